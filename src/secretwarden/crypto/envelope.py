"""AES-256-GCM envelope encryption.

A root key wraps one data key per (environment, namespace); each value has its
own random nonce, and its associated data binds store id, environment,
namespace, instance, key and version, so a ciphertext copied into another slot
or version fails to decrypt instead of yielding a wrong secret.
"""

from __future__ import annotations

import os

try:
    # The class `cryptography.hazmat.primitives.ciphers.aead` re-exports, taken from the binding
    # it lives in: the public module's package also loads every other cipher and mode (about
    # 3 ms of `warden run`'s start-up). tests/crypto/test_envelope.py checks it is the same class.
    from cryptography.hazmat.bindings._rust import openssl as _openssl

    AESGCM = _openssl.aead.AESGCM
except (ImportError, AttributeError):  # a cryptography whose layout differs: the public name
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from secretwarden.errors import IntegrityError

NONCE_BYTES = 12
KEY_BYTES = 32


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes, *, what: str) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except Exception as exc:
        # Imported here: `cryptography.exceptions` brings `typing` (about 2.8 ms of every `warden
        # run`), and the binding imports it anyway to raise InvalidTag. Anything else propagates.
        from cryptography.exceptions import InvalidTag

        if not isinstance(exc, InvalidTag):
            raise
        raise IntegrityError(
            f"{what}: authentication failed (wrong key, or data moved or altered)"
        ) from None


def aad(*parts: str | int | None) -> bytes:
    # Length-prefixed so that ("a|b", "c") and ("a", "b|c") cannot collide.
    out = bytearray(b"warden-v1")
    for part in parts:
        text = b"" if part is None else str(part).encode("utf-8")
        out += len(text).to_bytes(4, "big") + text
    return bytes(out)
