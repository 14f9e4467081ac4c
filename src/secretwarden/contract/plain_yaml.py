"""The YAML that contracts are written in, read line by line without libyaml.

A 10,000-key contract is mostly lines like `  KEY: {min_length: 16}` under
block mappings. libyaml composes such a file into one node per scalar and
resolves every scalar's tag in Python, which costs more than everything
else `warden validate` does. This reader handles that common subset and
nothing else: block mappings, block sequences of scalars or flow
collections, flow mappings and sequences on one line, plain and simple
quoted scalars, comments. It resolves scalars exactly as libyaml's safe
loader does for what it accepts (strings, plain integers, dates, YAML 1.1
booleans, null) and gives up — returns `NOT_PLAIN` — on anything else: anchors,
aliases, tags, block scalars, floats, dates, escapes, duplicate keys, tabs,
multi-line flow, several documents. The loader then reads the file with
libyaml, which also produces every error message, so a file this reader
accepts loads to the same data as through libyaml (a property test holds
both to that).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

NOT_PLAIN: Any = object()

_BOOLS = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_ENTRY = re.compile(r"( *)(?:(- +)(.*)|([^ \-\"'#][^:]*?|\"[^\"\\]*\"|'[^']*')[ ]*:(?: +(.*))?)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS_THEN_LETTERS = re.compile(r"[1-9][0-9]*[a-zA-Z][a-zA-Z0-9]*")
_PLAIN_START_BAD = set("-?:,[]{}#&*!|>'\"%@`")


# A plain scalar in a flow collection runs until one of its stop characters (or a nested opener).
_RUNS = {stop: re.compile("[^" + re.escape(stop + "[{") + "]*") for stop in (",]}", ":,]}")}


class _NotPlain(Exception):
    pass


def _scalar(text: str) -> Any:
    """A plain or simply quoted scalar, resolved as the safe loader does; raises _NotPlain otherwise."""
    if not text:
        return None
    first = text[0]
    if first == '"':
        if len(text) >= 2 and text[-1] == '"' and '"' not in text[1:-1] and "\\" not in text:
            return text[1:-1]
        raise _NotPlain
    if first == "'":
        if len(text) >= 2 and text[-1] == "'" and "'" not in text[1:-1]:
            return text[1:-1]
        raise _NotPlain
    if text in _NULLS:
        return None
    hit = _BOOLS.get(text)
    if hit is not None:
        return hit
    if _INT.fullmatch(text):
        if len(text) > 1000:  # past Python's int-from-text limit int() raises: libyaml's path reports it
            raise _NotPlain
        return int(text)
    if first == "." and text[1:2].isalpha() and text.lower() not in (".inf", ".nan") and " " not in text:
        return text  # a relative path such as .warden/store.db: only .inf and .nan are numbers
    if _DATE.fullmatch(text):
        try:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        except ValueError:
            raise _NotPlain from None
    if _DIGITS_THEN_LETTERS.fullmatch(text):
        return text  # durations such as 90d, 15m: no YAML number or date looks like this
    # Numbers other than plain integers, dates, times, and indicators: libyaml decides.
    if first in "0123456789.+" or first in _PLAIN_START_BAD or text in ("=", "<<"):
        raise _NotPlain
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        raise _NotPlain
    return text


class _Flow:
    """One line's flow collection: `{a: 1, b: [x, y]}`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.depth = 0

    def parse(self) -> Any:
        value = self.node()
        self.space()
        if self.i != len(self.text):
            raise _NotPlain
        return value

    def space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] == " ":
            self.i += 1

    def node(self) -> Any:
        self.space()
        if self.i >= len(self.text):
            raise _NotPlain
        c = self.text[self.i]
        if c in "{[":
            self.depth += 1
            if self.depth > 32:  # deeper than any contract: libyaml reads it and the loader bounds it
                raise _NotPlain
            value = self.mapping() if c == "{" else self.sequence()
            self.depth -= 1
            return value
        return _scalar(self.atom(stop=",]}"))

    def atom(self, stop: str) -> str:
        start = self.i
        quote = self.text[self.i] if self.text[self.i] in "\"'" else ""
        if quote:
            end = self.text.find(quote, self.i + 1)
            if end < 0:
                raise _NotPlain
            self.i = end + 1
        else:
            self.i = _RUNS[stop].match(self.text, self.i).end()  # type: ignore[union-attr]
            if self.i < len(self.text) and self.text[self.i] in "[{":
                raise _NotPlain
        return self.text[start : self.i].rstrip(" ")

    def mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        self.i += 1
        self.space()
        if self.i < len(self.text) and self.text[self.i] == "}":
            self.i += 1
            return out
        while True:
            self.space()
            key = _key(self.atom(stop=":,]}"))
            if self.text[self.i : self.i + 2] != ": " or key in out:
                raise _NotPlain
            self.i += 2
            out[key] = self.node()
            self.space()
            if self.i >= len(self.text):
                raise _NotPlain
            c = self.text[self.i]
            self.i += 1
            if c == "}":
                return out
            if c != ",":
                raise _NotPlain
            self.space()
            if self.i < len(self.text) and self.text[self.i] in ",}":
                raise _NotPlain  # an empty entry: libyaml decides

    def sequence(self) -> list[Any]:
        out: list[Any] = []
        self.i += 1
        self.space()
        if self.i < len(self.text) and self.text[self.i] == "]":
            self.i += 1
            return out
        while True:
            item = self.node()
            if isinstance(item, str) and ": " in item:
                raise _NotPlain
            out.append(item)
            self.space()
            if self.i >= len(self.text):
                raise _NotPlain
            c = self.text[self.i]
            self.i += 1
            if c == "]":
                return out
            if c != ",":
                raise _NotPlain
            self.space()
            if self.i < len(self.text) and self.text[self.i] in ",]":
                raise _NotPlain


def _key(text: str) -> str:
    # The loader turns every key into a string (`1` -> "1"), as here; a boolean or null key stays
    # the text that was written (`ON` -> "ON", `~` -> "~"): a name nobody wrote must not appear.
    if not text:
        raise _NotPlain
    value = _scalar(text)
    return text if value is None or isinstance(value, bool) else str(value)


def _shared(seen: dict[str, Any], text: str) -> Any:
    if text[:1] not in ("{", "["):
        return _scalar(text)
    hit = seen.get(text, seen)
    if hit is seen:
        hit = seen[text] = _Flow(text).parse()
    return hit


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line
    if "'" in line or '"' in line:
        raise _NotPlain  # a `#` that may sit inside quotes
    cut = line.find(" #")
    return line if cut < 0 else line[:cut]


def load(text: str) -> Any:
    """The document as Python data, or NOT_PLAIN when libyaml must read it.

    Equal flow collections on several lines (every key's `{min_length: 16, ...}`)
    are parsed once and the same object is shared: the result is read, never changed.
    """
    try:
        return _load(text)
    except (_NotPlain, IndexError):
        return NOT_PLAIN


def _load(text: str) -> Any:
    if "\t" in text or "\r" in text or "\\" in text or "&" in text or "*" in text or "!" in text:
        raise _NotPlain
    root: Any = None
    seen: dict[str, Any] = {}
    stack: list[tuple[int, Any]] = []  # (indent, container)
    pending: tuple[Any, str, int] | None = None  # a key whose value is the block below it
    for raw in text.split("\n"):
        stripped = raw.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        if raw.startswith(("---", "...", "%")):
            raise _NotPlain
        line = _strip_comment(raw).rstrip(" ")
        m = _ENTRY.fullmatch(line)
        if m is None:
            raise _NotPlain
        indent = len(m.group(1))
        is_item = m.group(2) is not None
        if pending is not None:
            parent, key, at = pending
            pending = None
            if indent > at or (is_item and indent == at):
                child: Any = [] if is_item else {}
                parent[key] = child
                stack.append((indent, child))
            else:
                parent[key] = None
        if root is None:
            if indent != 0:
                raise _NotPlain
            root = [] if is_item else {}
            stack.append((0, root))
        while stack and stack[-1][0] > indent:
            stack.pop()
        if not is_item and len(stack) > 1 and stack[-1][0] == indent == stack[-2][0]:
            stack.pop()  # a block sequence written at its key's indent ends at the next key
        if not stack or stack[-1][0] != indent:
            raise _NotPlain
        container = stack[-1][1]
        if is_item:
            if not isinstance(container, list):
                raise _NotPlain
            item = m.group(3)
            if not item or item.startswith("-"):
                raise _NotPlain  # sequences inside block items: libyaml reads them
            if not (": " in item or item.endswith(":")) or item[0] in "{[\"'":
                container.append(_shared(seen, item))
                continue
            # `- key: value` opens a mapping whose keys line up after the dash.
            indent += len(m.group(2))
            m = _ENTRY.fullmatch(" " * indent + item)
            if m is None or m.group(2) is not None:
                raise _NotPlain
            child = {}
            container.append(child)
            stack.append((indent, child))
            container = child
        if not isinstance(container, dict):
            raise _NotPlain
        key = _key(m.group(4).rstrip(" "))
        if key in container or key == "<<":
            raise _NotPlain
        rest = m.group(5)
        if rest:
            container[key] = _shared(seen, rest)
        else:
            pending = (container, key, indent)
    if pending is not None:
        pending[0][pending[1]] = None
    return root
