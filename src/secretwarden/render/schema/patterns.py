"""Carry a contract's Python regular expression into another language's regex dialect.

Contracts are validated with Python's `re` (whole-value match, `.` matching
newlines). Generated code must accept exactly what `warden check` accepts, so
a construct the target dialect cannot express is a render error naming the
key, never a silently different check.
"""

from __future__ import annotations

import re

from secretwarden.errors import UsageError

# Python-only syntax that ECMAScript (and JSON Schema) cannot express.
_ECMA_UNSUPPORTED = re.compile(r"\(\?[aLmsux]|\(\?i:|\(\?#|\(\?>|[*+?}]\+")
# What RE2 (Go's regexp) lacks: lookaround and back-references.
_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\(\?P=|\\[1-9]|\(\?>|[*+?}]\+|\(\?#")
_LEADING_CASELESS = "(?i)"


def _refuse(key: str, dialect: str, pattern: str) -> UsageError:
    return UsageError(
        f"the pattern of `{key}` uses syntax that {dialect} cannot express",
        hint="simplify the key's `format: {regex: ...}` in warden.yaml, or pick another --lang",
    )


def _walk(pattern: str, *, dot_all: bool, slash: bool) -> str:
    """Rewrite outside character classes: `.` for dot-all, `/` escaped, \\A and \\Z anchors."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not in_class and nxt == "A":
                out.append("^")
            elif not in_class and nxt == "Z":
                out.append("$")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif slash and ch == "/":
                ch = "\\/"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # `[]...]`: a literal ] first in the class
                out.append("[]")
                i += 2
                continue
        elif ch == "." and dot_all:
            ch = "[\\s\\S]"
        elif ch == "/" and slash:
            ch = "\\/"
        elif ch == "\n":
            ch = "\\n"
        out.append(ch)
        i += 1
    return "".join(out)


def ecmascript(key: str, pattern: str, *, dot_all_flag: bool) -> tuple[str, str]:
    """(anchored source, flags) for a JavaScript RegExp literal, or for JSON Schema (no flags).

    With `dot_all_flag` the caller adds the `s` flag; without it (JSON Schema
    has no flags) `.` becomes `[\\s\\S]`.
    """
    flags = ""
    if pattern.startswith(_LEADING_CASELESS):
        pattern, flags = pattern[len(_LEADING_CASELESS):], "i"
    whole = re.fullmatch(r"\(\?i:(.*)\)", pattern, flags=re.DOTALL)
    if whole is not None and _balanced(whole.group(1)):
        pattern, flags = whole.group(1), "i"
    if _ECMA_UNSUPPORTED.search(pattern):
        raise _refuse(key, "ECMAScript", pattern)
    body = pattern.replace("(?P<", "(?<")
    body = re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", body)
    body = _walk(body, dot_all=not dot_all_flag, slash=dot_all_flag)
    if dot_all_flag:
        flags = "s" + flags
    elif flags == "i":
        raise _refuse(key, "JSON Schema (no case-insensitive flag)", pattern)
    return f"^(?:{body})$", flags


def re2(key: str, pattern: str) -> str:
    """An anchored RE2 pattern (Go's regexp) with dot-all semantics."""
    if _RE2_UNSUPPORTED.search(pattern):
        raise _refuse(key, "Go's regexp (RE2)", pattern)
    return f"^(?s:{_walk(pattern, dot_all=False, slash=False)})$"


def _balanced(body: str) -> bool:
    depth = 0
    escaped = False
    for ch in body:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
