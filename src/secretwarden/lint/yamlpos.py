"""YAML with positions, tolerant of Helm templates and of broken files.

`parse_yaml` returns composed nodes (libyaml, so every node has a line and a
column) for each document of a multi-document file. Template actions are
masked first (`secretwarden.helm_template.mask`): the YAML keeps its shape and
every offset stays true, so `original(text, node)` gives a value's template
source back. A value that a template renders is no known scalar: `scalar()`
returns None for it.

A file that does not parse is read document by document: every document that
parses is kept, so one broken template never hides the rest of a file from
the rules. The problem of a document is reported only when it holds no
template markup (a templated document may be valid once rendered). Files
that show template markup as documentation (`{% raw %}`) are not parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from secretwarden import safe_yaml
from secretwarden.helm_template import has_markup, is_documentation, is_templated, mask

_DOC_START = re.compile(r"^---(?=[ \t]|$)", re.MULTILINE)


@dataclass(frozen=True)
class YamlProblem:
    line: int
    column: int
    message: str


@dataclass
class YamlFile:
    documents: list[yaml.Node] = field(default_factory=list)
    problem: YamlProblem | None = None
    templated: bool = False
    documentation: bool = False  # template markup shown verbatim: not deployment YAML
    unparsed_templates: int = 0  # templated documents that only rendering could read


def _problem(exc: yaml.YAMLError) -> YamlProblem:
    if isinstance(exc, safe_yaml.YamlLimitExceeded):  # a YAML bomb: says which bound, quotes nothing
        return YamlProblem(1, 1, exc.message)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        # The problem text names YAML tokens, never the file's content.
        return YamlProblem(line, col, f"YAML does not parse: {exc.problem or 'syntax error'}")
    return YamlProblem(1, 1, "YAML does not parse")


def _spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the documents of a multi-document text."""
    starts = [0] + [m.start() for m in _DOC_START.finditer(text) if m.start() > 0]
    return [(s, e) for s, e in zip(starts, [*starts[1:], len(text)], strict=True)]


def _only(text: str, start: int, end: int) -> str:
    """`text` with everything outside [start, end) blanked: offsets and lines stay true."""
    blank = re.compile(r"[^\n]")
    return blank.sub(" ", text[:start]) + text[start:end] + blank.sub(" ", text[end:])


def parse_yaml(text: str) -> YamlFile:
    if is_documentation(text):
        return YamlFile(templated=True, documentation=True)
    out = YamlFile(templated=has_markup(text))
    source = mask(text) if out.templated else text
    try:
        out.documents = [d for d in safe_yaml.compose_all(source) if d is not None]
        return out
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        whole = _problem(exc) if isinstance(exc, yaml.YAMLError) else YamlProblem(1, 1, "YAML does not parse")
    spans = _spans(source)
    if len(spans) == 1:
        if out.templated and has_markup(text):
            out.unparsed_templates = 1
        else:
            out.problem = whole
        return out
    for start, end in spans:
        try:
            docs = [d for d in safe_yaml.compose_all(_only(source, start, end)) if d is not None]
        except (yaml.YAMLError, ValueError, RecursionError) as exc:
            if has_markup(text[start:end]):
                out.unparsed_templates += 1
            elif out.problem is None:
                out.problem = _problem(exc) if isinstance(exc, yaml.YAMLError) else whole
            continue
        out.documents.extend(docs)
    return out


def blank_templates(text: str) -> str:
    """Every `{{ ... }}` replaced with spaces (newlines kept), columns unchanged.

    Kept for callers that want no placeholder at all; parsing uses `mask`,
    which keeps the YAML shape.
    """
    if "{{" not in text:
        return text
    return re.sub(r"\{\{.*?\}\}", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.DOTALL)


def original(text: str, node: yaml.Node) -> str:
    """The source text of a node (template actions included): masking keeps every offset."""
    return text[node.start_mark.index : node.end_mark.index]


# --- node helpers -----------------------------------------------------------------


def pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]
    return None


def get_path(node: yaml.Node | None, *keys: str) -> yaml.Node | None:
    for key in keys:
        node = get(node, key)
    return node


def items(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def seq(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def scalar(node: yaml.Node | None) -> str | None:
    """The text of a plain or quoted scalar; None for null, maps, lists and values a template renders."""
    if not isinstance(node, yaml.ScalarNode) or is_templated(node.value):
        return None
    if node.tag == "tag:yaml.org,2002:null" or (node.style is None and node.value in ("", "~", "null", "Null", "NULL")):
        return None
    return str(node.value)


def is_string(node: yaml.Node | None) -> bool:
    """A scalar that YAML would read as a string (not a bool, number or null)."""
    if not isinstance(node, yaml.ScalarNode) or scalar(node) is None:
        return False
    if node.style is not None:  # quoted or block scalar
        return True
    return node.tag == "tag:yaml.org,2002:str"
