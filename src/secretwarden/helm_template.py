"""Go-template (Helm) and Jinja markup made parseable as YAML without changing its shape.

A chart template is YAML only after rendering. To read it before rendering,
every template action is replaced so that the YAML structure around it stays
what rendering would give:

- a line holding nothing but actions (`{{- if .Values.x }}`, `{{- end }}`,
  `{{- include "labels" . | nindent 4 }}`, `{% if %}`) becomes blank;
- an action inside a line becomes a run of `PLACEHOLDER` characters of the
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

import re

# A private-use character: valid inside a YAML plain scalar, never typed by hand,
# so a scalar holding it is known to be (partly) rendered by a template.
PLACEHOLDER = "\ue000"

# `{{- end }}  # closes the if`: a YAML comment after the actions of a line.
_TRAILING_COMMENT = re.compile(r"(^|[ \t])#.*$")
_ACTION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
# Markup that says "this file is documentation showing templates", not a manifest.
_DOC_MARKERS = re.compile(r"\{%-?\s*(raw|endraw)\s*-?%\}")


def has_markup(text: str) -> bool:
    return "{{" in text or "{%" in text


def is_documentation(text: str) -> bool:
    """Text that shows template markup verbatim (`{% raw %}`): docs, not deployment YAML."""
    return "{%" in text and _DOC_MARKERS.search(text) is not None


def mask(text: str) -> str:
    """`text` with every template action replaced as the module docstring says."""
    if not has_markup(text):
        return text
    pieces: list[str] = []
    last = 0
    for match in _ACTION.finditer(text):
        pieces.append(text[last : match.start()])
        action = match.group(0)
        if "\n" in action:
            pieces.append(re.sub(r"[^\n]", " ", action))
        else:
            pieces.append(PLACEHOLDER * len(action))
        last = match.end()
    pieces.append(text[last:])
    masked = "".join(pieces)
    if PLACEHOLDER not in masked:
        return masked
    # Lines that were nothing but actions carry no YAML of their own.
    lines = masked.split("\n")
    for i, line in enumerate(lines):
        if PLACEHOLDER in line and not _TRAILING_COMMENT.sub("", line.replace(PLACEHOLDER, "")).strip():
            lines[i] = " " * len(line)
    return "\n".join(lines)


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
