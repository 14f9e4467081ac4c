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


def _printable(raw: bytes) -> bool:
    if not raw:
        return False
    good = sum(1 for b in raw if 32 <= b < 127 or b in (9, 10, 13))
    return good / len(raw) >= MIN_PRINTABLE


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


def percent_decode(line: bytes) -> bytes | None:
    """The line with %XX sequences decoded, when it has at least two of them."""
    if len(_PERCENT.findall(line)) < 2:
        return None
    decoded = unquote_to_bytes(line)
    return decoded if decoded != line else None
