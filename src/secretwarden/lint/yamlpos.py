"""YAML with positions, tolerant of Helm templates and of broken files.

`parse_yaml` returns composed nodes (libyaml, so every node has a line and a
column) for each document of a multi-document file. Helm template actions
(`{{ ... }}`) are blanked with spaces before parsing so that columns stay
true; a value that was only a template action parses as null. A file that
still does not parse yields the documents read so far plus one `YamlProblem`,
never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_ACTION_LINE = re.compile(r"^[ \t]*\{\{[^\n]*\}\}[ \t]*$", re.MULTILINE)


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


def blank_templates(text: str) -> str:
    """Replace every `{{ ... }}` with spaces (newlines kept) so columns do not move."""
    if "{{" not in text:
        return text

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return _ACTION.sub(blank, text)


def parse_yaml(text: str) -> YamlFile:
    out = YamlFile(templated="{{" in text)
    source = blank_templates(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for doc in yaml.compose_all(source, Loader=loader):
            if doc is not None:
                out.documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        # The problem text names YAML tokens, never the file's content.
        out.problem = YamlProblem(line, col, f"YAML does not parse: {exc.problem or 'syntax error'}")
    except yaml.YAMLError:
        out.problem = YamlProblem(1, 1, "YAML does not parse")
    except (ValueError, RecursionError):
        out.problem = YamlProblem(1, 1, "YAML does not parse")
    return out


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
    """The text of a plain or quoted scalar; None for null, maps and lists."""
    if not isinstance(node, yaml.ScalarNode):
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
