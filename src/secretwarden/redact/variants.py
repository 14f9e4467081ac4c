"""The byte strings a secret can take in a log: raw, URL-encoded, JSON-escaped, base64.

Each variant is something a redactor must find in output. A base64 encoding
of a larger blob that contains the secret only shows the secret's bytes in
one of three alignments (its offset modulo 3), and the first and last
characters of each alignment also depend on the neighbouring bytes, so only
the characters fully determined by the secret are kept.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

# An encoded fragment shorter than this would match ordinary text too often.
MIN_ENCODED_LEN = 8

_STD_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def base64_fragments(raw: bytes) -> set[bytes]:
    """The characters of `raw` in base64 that do not depend on its neighbours, per alignment."""
    out: set[bytes] = set()
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + raw + b"\0\0")
        first_bit, end_bit = 8 * align, 8 * (align + len(raw))
        start = -(-first_bit // 6)  # first 6-bit group that begins inside the secret
        stop = end_bit // 6  # groups that end inside the secret
        fragment = encoded[start:stop]
        if len(fragment) >= MIN_ENCODED_LEN:
            out.add(fragment)
            out.add(fragment.translate(_STD_TO_URLSAFE))
    return out


def url_variants(value: str) -> set[bytes]:
    out: set[bytes] = set()
    for encoded in (quote(value, safe=""), quote_plus(value, safe=""), quote(value, safe="/:@")):
        out.add(encoded.encode())
        # Some encoders write lower-case hex (%2f instead of %2F).
        out.add(_lower_percent(encoded).encode())
    return out


def _lower_percent(text: str) -> str:
    parts = text.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def json_variants(value: str) -> set[bytes]:
    return {
        json.dumps(value, ensure_ascii=True)[1:-1].encode(),
        json.dumps(value, ensure_ascii=False)[1:-1].encode(),
        json.dumps(value, ensure_ascii=True)[1:-1].replace("/", "\\/").encode(),
    }


def variants(value: str) -> set[bytes]:
    """Every form of `value` worth redacting, raw form included (UTF-8 bytes)."""
    raw = value.encode("utf-8")
    encoded = url_variants(value) | json_variants(value) | base64_fragments(raw)
    forms = {raw} | {v for v in encoded if len(v) >= MIN_ENCODED_LEN or v == raw}
    if b"\n" in raw and b"\r\n" not in raw:
        # A terminal (and Windows tools) write each newline as CR LF.
        forms.add(raw.replace(b"\n", b"\r\n"))
    return forms
