"""Keyed fingerprints of secret values (HMAC-SHA256).

They let warden compare values (reuse of an old or compromised value,
the same value in two environments) without keeping or reading plaintext.
The fingerprint key is kept apart from every encryption key: whoever holds
it can test guesses of weak values against fingerprints, so it has its own
file and access control (docs/isolation.md explains the trade-off).

One fingerprint key per project, shared by all its stores, so the same value
in an embedded store and a Vault store produces the same fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from secretwarden.errors import MasterKeyError
from secretwarden.paths import config_dir

ENV_VAR = "WARDEN_FINGERPRINT_KEY"
PREFIX = "hs256:"


def _decode_key(text: str, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise MasterKeyError(f"{origin}: the fingerprint key is not base64") from None
    if len(raw) < 32:
        raise MasterKeyError(f"{origin}: the fingerprint key must be at least 32 bytes")
    return raw


def fingerprint_key_path(project: str) -> Path:
    return config_dir() / "keys" / f"{project}.fingerprint.key"


def load_fingerprint_key(project: str, *, create: bool) -> bytes | None:
    """The project's fingerprint key: WARDEN_FINGERPRINT_KEY, else its key file.

    With `create`, a missing key file is made (mode 0600). Returns None when
    the key is absent and `create` is false (metadata-only readers).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return _decode_key(env, ENV_VAR)
    path = fingerprint_key_path(project)
    try:
        return _decode_key(path.read_text(), str(path))
    except FileNotFoundError:
        if not create:
            return None
    except PermissionError:
        raise MasterKeyError(f"{path}: permission denied reading the fingerprint key") from None
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _decode_key(path.read_text(), str(path))
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.urlsafe_b64encode(key).decode().rstrip("="))
        fh.flush()
        os.fsync(fh.fileno())
    return key


class Fingerprinter:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "Fingerprinter(<key withheld>)"

    def __call__(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + digest


def fingerprinter_for(project: str) -> Fingerprinter:
    key = load_fingerprint_key(project, create=True)
    assert key is not None
    return Fingerprinter(key)


def random_key_text() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
