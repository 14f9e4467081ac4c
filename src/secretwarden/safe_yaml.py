"""The one way Secret Warden reads YAML: libyaml, with bounds on hostile input.

YAML aliases let a few hundred bytes describe a tree of billions of nodes
("billion laughs"). libyaml composes such a document cheaply, because an
alias is the same node object again, but anything that walks the tree
afterwards (building a dict, validating, dumping JSON, a lint rule) expands
it. So every document is measured right after composing, before any caller
sees it: the number of aliases, the number of nodes the aliases add once
expanded, the nesting depth (callers walk recursively), and aliases that
point into themselves (an infinite tree) are bounded. The input size is
bounded before parsing. Measuring costs nothing for the common document
without aliases (no `*` in the text) and one pass over the distinct nodes
otherwise.

A refusal is `YamlLimitExceeded`: a `WardenError` (exit 2, one line, no
content of the file) that is also a `yaml.YAMLError`, so callers that
already treat unparsable YAML as a finding or a skipped file keep doing so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from secretwarden.errors import InputError

_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlLimits:
    max_chars: int = 32 * 1024 * 1024
    max_aliases: int = 10_000
    # Nodes that alias expansion may add beyond the document's own nodes: merge
    # keys and shared blocks in compose files and charts stay far below this.
    max_alias_nodes: int = 100_000
    # Callers walk node trees recursively; well under Python's recursion limit.
    max_depth: int = 200


DEFAULT_LIMITS = YamlLimits()


class YamlLimitExceeded(InputError, yaml.YAMLError):
    """A YAML input is larger, deeper or expands further than any real one should."""

    default_hint = "this file is shaped like a YAML bomb; remove the aliases (*name) or split the file"


class YamlValueRefused(InputError, yaml.YAMLError):
    """A scalar the safe constructors cannot turn into a value (exit 2, like unparsable YAML)."""

    default_hint = "quote the value to keep it as text, or correct it"


def _label(name: str | None) -> str:
    return f"{name}: " if name else ""


def _check_size(text: str | bytes, limits: YamlLimits, name: str | None) -> None:
    if len(text) > limits.max_chars:
        raise YamlLimitExceeded(
            f"{_label(name)}YAML input of {len(text)} characters is over the {limits.max_chars} limit"
        )


def _may_alias(text: str | bytes) -> bool:
    # An alias needs a `*`; a text without one has nothing to expand.
    return ("*" in text) if isinstance(text, str) else (b"*" in text)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


@dataclass
class _Budget:
    """What the documents of one input have used so far (a multi-document file shares one budget)."""

    limits: YamlLimits
    name: str | None
    aliases: int = 0
    alias_nodes: int = 0

    def refuse(self, what: str) -> YamlLimitExceeded:
        return YamlLimitExceeded(f"{_label(self.name)}YAML refused: {what}")

    def measure(self, root: yaml.Node) -> None:
        """One post-order pass over the distinct nodes: expanded size, height, cycles."""
        limits = self.limits
        size: dict[int, int] = {}
        height: dict[int, int] = {}
        on_path: set[int] = set()
        edges = 0
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, finished = stack.pop()
            key = id(node)
            kids = _children(node)
            if finished:
                on_path.discard(key)
                edges += len(kids)
                size[key] = 1 + sum(size[id(k)] for k in kids)
                height[key] = 1 + max((height[id(k)] for k in kids), default=0)
                if height[key] > limits.max_depth:
                    raise self.refuse(f"nesting deeper than {limits.max_depth} levels")
                # Every distinct node not measured yet adds at least one more node to the root's
                # expansion, so this lower bound on the added nodes is safe to stop on early.
                if size[key] - len(size) > limits.max_alias_nodes - self.alias_nodes:
                    raise self.refuse(self._expansion_text())
                continue
            if key in size:
                continue
            if key in on_path:
                raise self.refuse("an alias refers to a node that contains it (an endless tree)")
            on_path.add(key)
            stack.append((node, True))
            for kid in kids:
                if id(kid) in on_path:
                    raise self.refuse("an alias refers to a node that contains it (an endless tree)")
                if id(kid) not in size:
                    stack.append((kid, False))
        self.aliases += edges - (len(size) - 1)
        self.alias_nodes += size[id(root)] - len(size)
        if self.aliases > limits.max_aliases:
            raise self.refuse(f"more than {limits.max_aliases} aliases")
        if self.alias_nodes > limits.max_alias_nodes:
            raise self.refuse(self._expansion_text())

    def _expansion_text(self) -> str:
        return f"aliases expand to more than {self.limits.max_alias_nodes} extra nodes"


def _documents(
    text: str | bytes, limits: YamlLimits, name: str | None
) -> Iterator[tuple[Any, yaml.Node]]:
    """(loader, node) for each document, every node measured before it is yielded."""
    _check_size(text, limits, name)
    budget = _Budget(limits, name) if _may_alias(text) else None
    loader = _LOADER(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if budget is not None:
                budget.measure(node)
            yield loader, node
    finally:
        loader.dispose()


def compose(text: str | bytes, *, name: str | None = None, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The single document of `text` as a node tree with marks (None for an empty text)."""
    _check_size(text, limits, name)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is not None and _may_alias(text):
            _Budget(limits, name).measure(node)
        return node
    finally:
        loader.dispose()


def compose_all(text: str | bytes, *, name: str | None = None, limits: YamlLimits = DEFAULT_LIMITS) -> list[Any]:
    """Every non-empty document of `text` as node trees with marks."""
    return [node for _, node in _documents(text, limits, name)]


def _construct(loader: Any, node: yaml.Node, name: str | None) -> Any:
    # The safe constructors call int() and date() on the text: an integer of thousands of
    # digits (past Python's int-from-text limit) or a date such as 2021-02-30 raises
    # ValueError, which is a bad input, not a bug. The message withholds the value.
    try:
        return loader.construct_document(node)
    except (ValueError, OverflowError):
        raise YamlValueRefused(
            f"{_label(name)}YAML refused: a value cannot be read (an integer too long or a date that does not exist)"
        ) from None


def load(text: str | bytes, *, name: str | None = None, limits: YamlLimits = DEFAULT_LIMITS) -> Any:
    """The single document of `text` as Python data (what `yaml.safe_load` gives)."""
    _check_size(text, limits, name)
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _may_alias(text):
            _Budget(limits, name).measure(node)
        return _construct(loader, node, name)
    finally:
        loader.dispose()


def load_all(text: str | bytes, *, name: str | None = None, limits: YamlLimits = DEFAULT_LIMITS) -> list[Any]:
    """Every non-empty document of `text` as Python data."""
    return [_construct(loader, node, name) for loader, node in _documents(text, limits, name)]
