"""Jupyter notebooks: cell sources and outputs are JSON strings, one per line of
the .ipynb file (as every notebook tool writes them). Each such line is replaced
by the text it holds, so `"api_key = \\"...\\"\\n",` reads as `api_key = "..."`."""

from __future__ import annotations

import json
import re

# a bare string element of a list (`source`, `text`, `data` lines), or a `"source"`/`"text"`
# key holding one string
_STRING_LINE = re.compile(rb'^(?P<indent>[ \t]*)(?:"(?:source|text|text/plain|text/markdown)":[ \t]*)?'
                          rb'(?P<literal>"(?:[^"\\]|\\.)*")[ \t]*,?[ \t]*$')


def _text(literal: bytes) -> bytes | None:
    try:
        value = json.loads(literal)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, str):
        return None
    # one line of the file stands for one line of text: inner newlines become spaces
    return value.rstrip("\n").replace("\r", " ").replace("\n", "  ").encode("utf-8", "surrogateescape")


def rewrite(buf: bytes) -> bytes:
    lines = buf.split(b"\n")
    changed = False
    for i, line in enumerate(lines):
        if b'"' not in line:
            continue
        m = _STRING_LINE.match(line)
        if m is None:
            continue
        text = _text(m.group("literal"))
        if text is None:
            continue
        lines[i] = m.group("indent") + text
        changed = True
    return b"\n".join(lines) if changed else buf
