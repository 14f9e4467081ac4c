"""Fixture values from a key's `generate` rule (dev/ci bootstrap, `warden rotate`)."""

from __future__ import annotations

import base64
import secrets
import string
import uuid
from typing import Any

from secretwarden.stores.base import SecretValue

_ALPHABET = string.ascii_letters + string.digits
# One urandom call per value, mapped in C: bytes at or above _UNBIASED are dropped so every
# character is equally likely (a `secrets.choice` per character cost a second per 10,000 keys).
_UNBIASED = 256 - 256 % len(_ALPHABET)
_TO_ALPHABET = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) if b < _UNBIASED else 0 for b in range(256))
_DROPPED = bytes(range(_UNBIASED, 256))


def _chars(length: int) -> str:
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length - len(out) + 8).translate(_TO_ALPHABET, _DROPPED)
    return out[:length].decode("ascii")


def generate_value(rule: dict[str, Any]) -> SecretValue:
    kind = rule.get("kind", "chars")
    length = int(rule.get("length", 32))
    prefix = str(rule.get("prefix", ""))
    if kind == "literal":
        return SecretValue(str(rule["value"]))
    if kind == "chars":
        body = _chars(length)
    elif kind == "hex":
        body = secrets.token_hex((length + 1) // 2)[:length]
    elif kind == "base64":
        body = base64.urlsafe_b64encode(secrets.token_bytes(length)).decode().rstrip("=")[:length]
    elif kind == "bytes":
        body = base64.b64encode(secrets.token_bytes(length)).decode()
    elif kind == "uuid":
        body = str(uuid.uuid4())
    else:
        raise ValueError(f"unknown generate kind `{kind}`")
    return SecretValue(prefix + body)
