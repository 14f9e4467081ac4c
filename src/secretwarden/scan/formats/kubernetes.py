"""Kubernetes manifests (and Helm output): secrets sit one step away from their name.

- A Secret's `data:` values are base64: each is replaced by its decoded text (quoted,
  on the same line) so that real values are judged and encoded placeholders
  (`Y2hhbmdlbWU=` is `changeme`) are recognised as placeholders.
- A container's `env:` entry gives the name on one line and the literal on the next
  (`- name: DB_PASSWORD` / `value: ...`): the value line is rewritten as
  `DB_PASSWORD: ...` so the name's meaning reaches the value.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

_KIND_SECRET = re.compile(rb"^kind:[ \t]*[\"']?Secret[\"']?[ \t]*$", re.MULTILINE)
_DATA = re.compile(rb"^(?P<indent>[ \t]*)data:[ \t]*$")
_ENTRY = re.compile(rb"^(?P<indent>[ \t]+)(?P<key>[\w.\-]+):[ \t]*(?P<value>[A-Za-z0-9+/]+={0,2})[ \t]*$")
_ENV_NAME = re.compile(rb"^(?P<indent>[ \t]*)-[ \t]+name:[ \t]*[\"']?(?P<name>[\w.\-]+)[\"']?[ \t]*$")
_ENV_VALUE = re.compile(rb"^(?P<indent>[ \t]*)value:(?P<rest>[ \t]*\S.*)$")
_DOC_BREAK = re.compile(rb"^---")


def _decoded(value: bytes) -> bytes | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.strip() or "\n" in text.strip() or not text.strip().isprintable():
        return None  # multi-line payloads (files, keys) stay encoded: the base64 rescan reads them
    return json.dumps(text.strip()).encode()


def _rewrite_secret_data(lines: list[bytes], start: int, end: int, decoded_lines: set[int]) -> None:
    data_indent: int | None = None
    for i in range(start, end):
        line = lines[i]
        if data_indent is not None:
            m = _ENTRY.match(line)
            if m is not None and len(m.group("indent")) > data_indent:
                decoded = _decoded(m.group("value"))
                if decoded is not None:
                    lines[i] = m.group("indent") + m.group("key") + b": " + decoded
                    decoded_lines.add(i + 1)
                continue
            if line.strip() and len(line) - len(line.lstrip()) <= data_indent:
                data_indent = None
        d = _DATA.match(line)
        if d is not None:
            data_indent = len(d.group("indent"))


def _rewrite_env(lines: list[bytes]) -> bool:
    changed = False
    for i in range(len(lines) - 1):
        m = _ENV_NAME.match(lines[i])
        if m is None:
            continue
        v = _ENV_VALUE.match(lines[i + 1])
        if v is None or len(v.group("indent")) <= len(m.group("indent")):
            continue
        lines[i + 1] = v.group("indent") + m.group("name") + b":" + v.group("rest")
        changed = True
    return changed


def rewrite(buf: bytes) -> tuple[bytes, frozenset[int]]:
    """The rewritten buffer and the (1-based) lines whose values were decoded from base64."""
    if b"name:" not in buf and b"data:" not in buf:
        return buf, frozenset()
    lines = buf.split(b"\n")
    changed = False
    decoded_lines: set[int] = set()
    if b"value:" in buf:
        changed = _rewrite_env(lines)
    if _KIND_SECRET.search(buf):
        start = 0
        for i in range(len(lines) + 1):
            if i == len(lines) or _DOC_BREAK.match(lines[i]):
                if any(_KIND_SECRET.match(line) for line in lines[start:i]):
                    _rewrite_secret_data(lines, start, i, decoded_lines)
                start = i + 1
    if not changed and not decoded_lines:
        return buf, frozenset()
    return b"\n".join(lines), frozenset(decoded_lines)
