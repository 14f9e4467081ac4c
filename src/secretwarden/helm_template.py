"""Go-template (Helm) and Jinja markup made parseable as YAML without changing its shape.

A chart template is YAML only after rendering. To read it before rendering,
every template action is replaced so that the YAML structure around it stays
what rendering would give:

- a line holding nothing but actions (`{{- if .Values.x }}`, `{{- end }}`,
  `{{- include "labels" . | nindent 4 }}`, `{% if %}`) becomes blank;
- an action that ends a line and renders a block (`nindent`, `indent`,
  `toYaml`: `labels: {{- include "labels" . | nindent 4 }}` followed by more
  labels) becomes blank, so the key holds the lines below it;
- any other action inside a line becomes a run of `PLACEHOLDER` characters of the
  same length, so `{{ a }}-{{ b }}`, `{{ a }}/{{ b }}:{{ c }}` and
  `chart: {{ .Chart.Name }}-{{ .Chart.Version }}` stay one plain scalar
  (blanking them with spaces left a stray `-` or `:` that broke the parse);
- an action spanning lines becomes blank (newlines kept).

Lengths never change, so line, column and character offset of every node
point into the original text: `original(text, node)` gives the template
source of a value back. Lint (`lint/yamlpos.py`) and init
(`contract/discovery/sources/yamldocs.py`) share this one technique.
"""

from __future__ import annotations

import bisect
import re

# A private-use character: valid inside a YAML plain scalar, never typed by hand,
# so a scalar holding it is known to be (partly) rendered by a template.
PLACEHOLDER = "\ue000"

# A line of nothing but actions, maybe with a comment (`{{- end }}  # closes the if`).
_ACTION_LINE = re.compile(rf"^[ \t]*{PLACEHOLDER}[{PLACEHOLDER} \t]*(?:[ \t]#[^\n]*)?$", re.MULTILINE)
_BLOCK_ACTION = re.compile(r"\b(nindent|indent|toYaml)\b")
_BLOCK_RUN = re.compile(r"(?:[:\-][ \t]*)(?P<run>(?:\{\{(?:(?!\}\}).)*\}\}[ \t]*)+)(?=(?:#[^\n]*)?$)", re.MULTILINE)
# Go/Helm and Jinja actions, and ERB tags (`<%= ENV["DB_PASSWORD"] %>` in Rails' YAML configs and fixtures)
_ACTION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<%.*?%>", re.DOTALL)
# Markup that says "this file is documentation showing templates", not a manifest.
_DOC_MARKERS = re.compile(r"\{%-?\s*(raw|endraw)\s*-?%\}")


def has_markup(text: str) -> bool:
    return "{{" in text or "{%" in text or "<%" in text


def is_documentation(text: str) -> bool:
    """Text that shows template markup verbatim (`{% raw %}`): docs, not deployment YAML."""
    return "{%" in text and _DOC_MARKERS.search(text) is not None


def mask(text: str) -> str:
    """`text` with every template action replaced as the module docstring says."""
    if not has_markup(text):
        return text
    pieces: list[str] = []
    last = 0
    blocks = _block_spans(text) if "indent" in text or "toYaml" in text else []
    block_starts = [start for start, _ in blocks]
    for match in _ACTION.finditer(text):
        pieces.append(text[last : match.start()])
        action = match.group(0)
        # Spans are sorted and disjoint: the one that may hold this action starts at or before it.
        i = bisect.bisect_right(block_starts, match.start()) - 1
        in_block = i >= 0 and match.start() < blocks[i][1]
        if "\n" in action or in_block:
            pieces.append(re.sub(r"[^\n]", " ", action))
        else:
            pieces.append(PLACEHOLDER * len(action))
        last = match.end()
    pieces.append(text[last:])
    masked = "".join(pieces)
    if PLACEHOLDER not in masked:
        return masked
    # Lines that were nothing but actions (and maybe a comment) carry no YAML of their own.
    return _ACTION_LINE.sub(lambda m: " " * len(m.group(0)), masked)


def _block_spans(text: str) -> list[tuple[int, int]]:
    """Runs of actions that end a line after `key:` or `-` and render a block below it.

    `labels: {{- include "labels" . | nindent 4 }}` (or `{{- if x }}{{- toYaml .y | nindent 8 }}{{- end }}`)
    renders the lines of a mapping or list under the key: blanking the run lets the key
    hold the lines that follow, as after rendering.
    """
    spans: list[tuple[int, int]] = []
    for m in _BLOCK_RUN.finditer(text):
        if _BLOCK_ACTION.search(m.group("run")):
            spans.append((m.start("run"), m.end("run")))
    return spans


def is_templated(value: str) -> bool:
    """A scalar (from masked text) that a template renders in whole or in part."""
    return PLACEHOLDER in value


def actions(source: str) -> list[str]:
    """The bodies of the `{{ ... }}` actions in a piece of template source."""
    return [m.group(0)[2:-2].strip(" -\t") for m in _ACTION.finditer(source) if m.group(0).startswith("{{")]


_VALUES_REF = re.compile(r"\.Values((?:\.[A-Za-z_][\w-]*)+)")


def values_refs(source: str) -> list[str]:
    """Dotted `.Values` paths an action reads: `{{ .Values.auth.password | b64enc }}` -> ["auth.password"]."""
    return [m.group(1)[1:] for m in _VALUES_REF.finditer(source)]


_BLOCK_OPEN = re.compile(r"^(if|with|range|define|block)\b")
_ELSE = re.compile(r"^else\b\s*(?P<rest>.*)$", re.DOTALL)


def enclosing_conditions(source: str, offset: int) -> list[str]:
    """The conditions of the `if`/`with`/`range` blocks open at `offset` of a template, outermost first.

    An `else` branch has no condition of its own (it runs when the `if` did not), so it
    counts as "" ; `else if X` counts as X.
    """
    stack: list[str] = []
    for match in _ACTION.finditer(source, 0, offset):
        if not match.group(0).startswith("{{"):
            continue
        body = match.group(0)[2:-2].strip(" -\t\n")
        opened = _BLOCK_OPEN.match(body)
        if opened:
            stack.append(body[opened.end():].strip() if opened.group(1) in ("if", "with") else "")
        elif body == "end" or body.startswith("end "):
            if stack:
                stack.pop()
        else:
            other = _ELSE.match(body)
            if other and stack:
                rest = other.group("rest").strip()
                stack[-1] = rest[2:].strip() if rest.startswith("if") else ""
    return stack


def guarded_by(conditions: list[str], path: str) -> bool:
    """Does an open condition require `.Values.<path>` to be set (`if .Values.a.existingSecret`,
    `if and x .Values.a.existingSecret`; not `if not .Values.a.existingSecret`)?"""
    ref = f".Values.{path}"
    for cond in conditions:
        for m in re.finditer(re.escape(ref) + r"(?![\w.])", cond):
            before = cond[: m.start()].rstrip()
            if not (before.endswith("not") or before.endswith("(not")):
                return True
    return False
