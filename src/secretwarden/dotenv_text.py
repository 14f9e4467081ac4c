"""The one reader of `KEY=value` text: `.env` files, Compose `env_file`s, sops's dotenv files.

Three callers, one set of rules (a name is found the same way everywhere):

* `transfer/` imports values (`parse`): the rules Docker Compose and the
  common dotenv loaders agree on. `#` starts a comment line; `export ` before
  a name is allowed; single quotes keep the text as it is; double quotes
  understand `\\n`, `\\t`, `\\r`, `\\"`, `\\\\` and `\\$` and may span lines; an
  unquoted value ends at ` #`. `${VAR}` is not expanded (an import takes
  values, not references). A line that is not an assignment is reported by
  its number only: it may hold a value.
* `contract/discovery` wants names (`parse(..., commented=True)`): example
  files often ship optional keys commented out (`# SENTRY_DSN=`); those
  names are returned too (upper-case names only, so prose such as
  `# see: a=b` is not read as a key), never their text after `=`.
* the sops store reads its own dotenv files (`parse(..., quoting=False)`):
  sops writes `key=value` per line with the value as it is (no quotes, no
  inline comments), so the value must come back byte for byte.

It sits below every layer that reads such text (`stores/`, `contract/`,
`transfer/`), beside `safe_yaml`, and imports nothing of warden's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_COMMENTED = re.compile(r"#+[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]*)[ \t]*=")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}
MAX_VALUE = 1 << 20  # a value longer than this is not a secret we import; a bound for hostile input


@dataclass(frozen=True)
class Assignment:
    name: str
    value: str  # "" for a commented assignment: its text is never kept
    line: int  # 1-based line where the assignment starts
    commented: bool = False


@dataclass(frozen=True)
class Parsed:
    assignments: tuple[Assignment, ...]
    skipped_lines: tuple[int, ...]  # lines that are neither comments nor assignments


def _double_quoted(text: str, start: int) -> tuple[str, int] | None:
    """The value of a double-quoted string opening at `start`, and the index after its closing quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
        if len(out) > MAX_VALUE:
            return None
    return None


def _rest_is_comment(text: str, start: int) -> int:
    """Index of the end of the line after a closing quote, if only blanks or a comment follow; else -1."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    rest = text[start:end].strip()
    return end if rest == "" or rest.startswith("#") else -1


def parse(text: str, *, commented: bool = False, quoting: bool = True) -> Parsed:
    """The assignments in `text`, in order; see the module docstring for the three modes."""
    assignments: list[Assignment] = []
    skipped: list[int] = []
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        raw = text[pos:end]
        stripped = raw.strip()
        here = line
        if not stripped or stripped.startswith("#"):
            if commented and stripped and (m := _COMMENTED.match(stripped)) is not None:
                assignments.append(Assignment(m.group(1), "", here, commented=True))
            pos, line = end + 1, line + 1
            continue
        if not quoting:  # sops's own layout: the name up to the first `=`, the value verbatim
            name, sep, value = raw.partition("=")
            if sep:
                assignments.append(Assignment(name, value, here))
            else:
                skipped.append(here)
            pos, line = end + 1, line + 1
            continue
        body = stripped[len("export "):].lstrip() if stripped.startswith("export ") else stripped
        name_match = _NAME.match(body)
        eq = body.find("=")
        if name_match is None or eq < 0 or body[:eq].strip() != name_match.group(0):
            skipped.append(here)
            pos, line = end + 1, line + 1
            continue
        name = name_match.group(0)
        value_start = pos + raw.index(body) + eq + 1
        while value_start < end and text[value_start] in " \t":
            value_start += 1
        first = text[value_start] if value_start < end else ""
        if first in ("'", '"'):
            if first == "'":
                close = text.find("'", value_start + 1)
                parsed = (text[value_start + 1 : close], close + 1) if close >= 0 else None
            else:
                parsed = _double_quoted(text, value_start)
            after = _rest_is_comment(text, parsed[1]) if parsed is not None else -1
            if parsed is None or after < 0:
                skipped.append(here)
                pos, line = end + 1, line + 1
                continue
            value = parsed[0]
            line += text.count("\n", pos, after)
            pos, line = after + 1, line + 1
        else:
            value = text[value_start:end]
            comment = re.search(r"\s#", value)
            if comment is not None:
                value = value[: comment.start()]
            value = value.strip()
            pos, line = end + 1, line + 1
        if len(value) > MAX_VALUE:
            skipped.append(here)
            continue
        assignments.append(Assignment(name, value, here))
    return Parsed(tuple(assignments), tuple(skipped))
