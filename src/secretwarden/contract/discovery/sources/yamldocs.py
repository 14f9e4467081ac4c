"""YAML as node trees (names and line numbers), tolerant of Helm templates.

Sources walk the composed nodes instead of constructed Python objects: nodes
carry line numbers, aliases are not expanded (no billion-laughs blow-up), and
nothing is converted that a source does not look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from secretwarden.contract.discovery.sources.base import SourceError
from secretwarden.helm_template import has_markup, is_documentation, is_templated, mask

Node = Any  # yaml.Node; kept loose so importing this module does not import yaml



def _compose(text: str) -> tuple[Node, ...]:
    from secretwarden import safe_yaml  # bounds alias expansion (YAML bombs) like every reader

    return tuple(safe_yaml.compose_all(text))


def _each_document(masked: str) -> tuple[Node, ...]:
    """The documents of a templated text that parse on their own (one broken template hides nothing else)."""
    import yaml

    out: list[Node] = []
    starts = [0] + [m.start() for m in re.finditer(r"^---(?=[ \t]|$)", masked, re.MULTILINE) if m.start() > 0]
    for start, end in zip(starts, [*starts[1:], len(masked)], strict=True):
        # Blank the other documents instead of cutting them out: line numbers stay true.
        only = re.sub(r"[^\n]", " ", masked[:start]) + masked[start:end] + re.sub(r"[^\n]", " ", masked[end:])
        try:
            out.extend(_compose(only))
        except (yaml.YAMLError, RecursionError):
            continue
    return tuple(out)


@lru_cache(maxsize=8)
def documents(text: str) -> tuple[Node, ...]:
    """Every document of a (possibly multi-document) YAML text.

    Template actions (Helm, Jinja) are masked first with the technique lint
    uses (`secretwarden.helm_template`): the YAML keeps its shape, and a
    templated value reads as absent. A template file is never "invalid YAML":
    the documents that parse are returned. Other files that do not parse
    raise `SourceError` naming only a line number: a parser message can quote
    the file, and the file may hold a value.
    """
    import yaml

    if has_markup(text):
        if is_documentation(text):
            return ()
        masked = mask(text)
        try:
            return _compose(masked)
        except (yaml.YAMLError, RecursionError):
            return _each_document(masked)
    try:
        return _compose(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 0
        raise SourceError(f"not valid YAML (near line {line})") from None
    except (yaml.YAMLError, RecursionError):
        raise SourceError("not valid YAML") from None


def line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def is_mapping(node: Node) -> bool:
    return getattr(node, "id", None) == "mapping"


def is_sequence(node: Node) -> bool:
    return getattr(node, "id", None) == "sequence"


def scalar(node: Node | None) -> str | None:
    """The text of a scalar node; None for anything else and for template placeholders."""
    if node is not None and getattr(node, "id", None) == "scalar" and not is_templated(node.value):
        return str(node.value)
    return None


def items(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """(key text, key node, value node) for the scalar keys of a mapping."""
    if not is_mapping(node):
        return
    for key_node, value_node in node.value:
        key = scalar(key_node)
        if key is not None:
            yield key, key_node, value_node


def get(node: Node, key: str) -> Node | None:
    for k, _, v in items(node):
        if k == key:
            return v
    return None


def path_get(node: Node, *keys: str) -> Node | None:
    for key in keys:
        if node is None:
            return None
        node = get(node, key)
    return node


def elements(node: Node | None) -> list[Node]:
    if node is None or not is_sequence(node):
        return []
    return list(node.value)


def mappings(root: Node) -> Iterator[Node]:
    """Every mapping node under `root`, each once (aliases may point back up)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if is_mapping(node):
            yield node
            for _, v in node.value:
                stack.append(v)
        elif is_sequence(node):
            stack.extend(node.value)
