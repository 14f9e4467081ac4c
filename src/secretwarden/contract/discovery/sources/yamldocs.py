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

Node = Any  # yaml.Node; kept loose so importing this module does not import yaml

# What an inline template action becomes: a plain scalar that is no valid name,
# so `scalar()` can report it as absent.
PLACEHOLDER = "<template>"
_TEMPLATE_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_TEMPLATE_INLINE = re.compile(r"\{\{.*?\}\}")


def _strip_templates(text: str) -> str:
    """Blank out Go-template lines and replace inline actions, keeping line numbers."""
    out = []
    for line in text.split("\n"):
        if _TEMPLATE_LINE.match(line):
            out.append("")
        else:
            out.append(_TEMPLATE_INLINE.sub(PLACEHOLDER, line))
    return "\n".join(out)


def _compose(text: str) -> tuple[Node, ...]:
    import yaml

    return tuple(d for d in yaml.compose_all(text, Loader=yaml.CSafeLoader) if d is not None)


@lru_cache(maxsize=8)
def documents(text: str) -> tuple[Node, ...]:
    """Every document of a (possibly multi-document) YAML text.

    Raises `SourceError` naming only a line number: a parser message can
    quote the file, and the file may hold a value.
    """
    import yaml

    try:
        return _compose(text)
    except yaml.MarkedYAMLError as exc:
        if "{{" in text:
            try:
                return _compose(_strip_templates(text))
            except yaml.YAMLError:
                pass
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
    if node is not None and getattr(node, "id", None) == "scalar" and PLACEHOLDER not in node.value:
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
