"""SHA-256, HMAC-SHA256, sub-keys derived from one key (HKDF-SHA256, RFC 5869) and MACs under them.

Written on the interpreter's own SHA-256, not on `hashlib`/`hmac`: `warden
run` hashes and MACs on its fast path, and `hashlib` loads OpenSSL's
libcrypto (cryptography's binding carries its own copy) for about 3 ms of
every start, more than all the hashing a run does. Above `_LARGE` bytes
OpenSSL's faster SHA-256 pays for its loading, and is used. Either way the
bytes are those of `hashlib.sha256` and `hmac.digest(key, msg, "sha256")`
(tests/crypto/test_derive.py). Each purpose of a derived key gets its own
`info` label, so a key derived for one purpose is useless for another.
"""

from __future__ import annotations

from _operator import _compare_digest

TYPE_CHECKING = False  # mypy takes any `TYPE_CHECKING` as true: it reads hashlib's constructor
if TYPE_CHECKING:
    from hashlib import sha256 as _small_sha256
else:
    try:
        from _sha256 import sha256 as _small_sha256  # Python 3.11
    except ImportError:  # 3.12 and later keep it in `_sha2`
        try:
            from _sha2 import sha256 as _small_sha256
        except ImportError:  # an interpreter built without it
            from hashlib import sha256 as _small_sha256

_SALT = b"secretwarden hkdf v1"
_LARGE = 1 << 20  # about where OpenSSL's SHA-256 has saved the ~3 ms of loading it
_BLOCK = 64  # SHA-256's block size, for HMAC's padded key
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def sha256(data: bytes) -> bytes:
    if len(data) > _LARGE:
        import hashlib

        return hashlib.sha256(data).digest()
    return _small_sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return sha256(data).hex()


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104)."""
    if len(msg) > _LARGE:
        import hmac

        return hmac.digest(key, msg, "sha256")
    if len(key) > _BLOCK:
        key = _small_sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = _small_sha256(key.translate(_IPAD))
    inner.update(msg)
    return _small_sha256(key.translate(_OPAD) + inner.digest()).digest()


def hkdf(key: bytes, info: bytes, length: int = 32) -> bytes:
    prk = hmac_sha256(_SALT, key)
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def mac_fields(key: bytes, *parts: str | int | None) -> str:
    """HMAC-SHA256 over length-prefixed parts (so ("a|b","c") and ("a","b|c") differ).

    One MAC over the joined bytes: `warden run` verifies a few of these per
    key, and one call is cheaper than an HMAC fed part by part (the result is
    the same).
    """
    buf = bytearray(b"warden-mac-v1")
    for part in parts:
        text = b"\x00" if part is None else b"\x01" + str(part).encode("utf-8", "surrogatepass")
        buf += len(text).to_bytes(4, "big")
        buf += text
    return hmac_sha256(key, bytes(buf)).hex()


def key_id(key: bytes, label: bytes) -> str:
    """A public identifier of `key`: HMAC of a fixed label, so the key itself never leaves."""
    return hmac_sha256(key, b"secretwarden key id: " + label).hex()[:32]


def same(a: str, b: str) -> bool:
    """Compared in constant time (what `hmac.compare_digest` does)."""
    return _compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def same_bytes(a: bytes, b: bytes) -> bool:
    return _compare_digest(a, b)
