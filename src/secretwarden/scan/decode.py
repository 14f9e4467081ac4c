"""Find encoded text worth rescanning: base64 runs and percent-encoded lines.

Secrets are committed encoded too: a Kubernetes Secret's `data:` values, a
docker `config.json` auth, a URL-encoded connection string. The engine hands
what these functions return back to itself, one level deep.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

_B64_RUN = re.compile(rb"(?:^|(?<=[\s:=\"'>,(\[]))([A-Za-z0-9+/]{24,}={0,2}|[A-Za-z0-9_\-]{24,}={0,2})(?=$|[\s\"'<,;)\]])", re.MULTILINE)
_PERCENT = re.compile(rb"%[0-9A-Fa-f]{2}")

MIN_PRINTABLE = 0.95


_PRINTABLE_BYTES = bytes(range(0x20, 0x7F)) + b"\t\r\n"


def _printable(raw: bytes) -> bool:
    if not raw:
        return False
    bad = len(raw.translate(None, _PRINTABLE_BYTES))  # what is left once printable bytes are deleted
    return bad / len(raw) <= 1 - MIN_PRINTABLE


def decode_base64(token: bytes) -> bytes | None:
    """The decoded bytes when `token` is base64 of mostly printable text, else None."""
    if len(set(token)) < 8:
        return None
    if b"-" in token or b"_" in token:
        token = token.replace(b"-", b"+").replace(b"_", b"/")
    padded = token.rstrip(b"=")
    padded += b"=" * (-len(padded) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if _printable(raw) else None


# The hyperscan expression the engine runs to find candidate runs: one report
# per run, at the character that ends it.
PREFILTER = rb"(?:^|[\s:=>\"'(,\[])[A-Za-z0-9+/_\-]{24,}={0,2}(?:[\s\"'<,;)\]]|$)"
# matched against the reversed bytes before the report, so the match is anchored and linear
_REVERSED_RUN = re.compile(rb"[\s\"'<,;)\]]?(={0,2}[A-Za-z0-9+/_\-]{24,})")
_MAX_RUN = 8192


_SHORT_RUN = 256  # most runs are shorter: reverse this much first, the whole reach only when it is full


def base64_at(buf: bytes, end: int) -> tuple[int, bytes] | None:
    """The run of base64 ending at `end` (a prefilter report): (offset, decoded text) or None."""
    lo = max(0, end - _SHORT_RUN)
    m = _REVERSED_RUN.match(buf[lo:end][::-1])
    if m is not None and m.end(1) == end - lo and lo > 0:
        lo = max(0, end - _MAX_RUN)  # the run goes on past the short window
        m = _REVERSED_RUN.match(buf[lo:end][::-1])
    if m is None:
        return None
    token = m.group(1)[::-1]
    decoded = _decode_if_text(token)
    if decoded is None:
        return None
    return end - m.end(1), decoded


_DIGIT = re.compile(rb"[0-9]")
_UPPER = re.compile(rb"[A-Z]")
_LOWER = re.compile(rb"[a-z]")


def _decode_if_text(token: bytes) -> bytes | None:
    if not (_UPPER.search(token) and _LOWER.search(token)
            and (token.endswith(b"=") or _DIGIT.search(token))):
        return None  # identifiers and words, not base64 of anything
    return decode_base64(token)


def base64_runs(buf: bytes) -> Iterator[tuple[int, bytes]]:
    """(byte offset, decoded text) for each base64 run that decodes to text."""
    for m in _B64_RUN.finditer(buf):
        token = m.group(1)
        has_digit = any(48 <= b <= 57 for b in token)
        has_upper = any(65 <= b <= 90 for b in token)
        has_lower = any(97 <= b <= 122 for b in token)
        if not (has_upper and has_lower and (has_digit or token.endswith(b"="))):
            continue  # identifiers and words, not base64 of anything
        decoded = decode_base64(token)
        if decoded is not None:
            yield m.start(1), decoded


# Two escapes (an encoded query or connection string), or one escape inside a token
# (`ghp%5F...`: an underscore or dash encoded by a URL builder).
PERCENT_PREFILTER = rb"%[0-9A-Fa-f]{2}[^\s%]{0,200}%[0-9A-Fa-f]{2}|[A-Za-z0-9]%(?:2[dD]|5[fF]|2[eE]|7[eE])[A-Za-z0-9]{16}"
_TOKEN_ESCAPE = re.compile(rb"[A-Za-z0-9]%(?:2[dD]|5[fF]|2[eE]|7[eE])[A-Za-z0-9]{16}")


def percent_decode(line: bytes) -> bytes | None:
    """The line with %XX sequences decoded, when it has two of them or one inside a token."""
    if len(_PERCENT.findall(line)) < 2 and not _TOKEN_ESCAPE.search(line):
        return None
    decoded = unquote_to_bytes(line)
    return decoded if decoded != line else None
