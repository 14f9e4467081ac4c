"""Sub-keys derived from one key (HKDF-SHA256, RFC 5869) and MACs under them.

Written on `hmac` alone: `warden run` derives the metadata key on its fast
path, and importing cryptography's HKDF would cost more than the derivation.
Each purpose gets its own `info` label, so a key derived for one purpose is
useless for another.
"""

from __future__ import annotations

import hashlib
import hmac

_SALT = b"secretwarden hkdf v1"


def hkdf(key: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac.new(_SALT, key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def mac_fields(key: bytes, *parts: str | int | None) -> str:
    """HMAC-SHA256 over length-prefixed parts (so ("a|b","c") and ("a","b|c") differ).

    One `hmac.digest` call over the joined bytes: `warden run` verifies a few
    of these per key, and the one-shot C path is several times cheaper than
    an hmac object fed part by part (the result is the same).
    """
    buf = bytearray(b"warden-mac-v1")
    for part in parts:
        text = b"\x00" if part is None else b"\x01" + str(part).encode("utf-8", "surrogatepass")
        buf += len(text).to_bytes(4, "big")
        buf += text
    return hmac.digest(key, bytes(buf), "sha256").hex()


def key_id(key: bytes, label: bytes) -> str:
    """A public identifier of `key`: HMAC of a fixed label, so the key itself never leaves."""
    return hmac.new(key, b"secretwarden key id: " + label, hashlib.sha256).hexdigest()[:32]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
