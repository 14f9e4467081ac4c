"""Keyed fingerprints of secret values (HMAC-SHA256).

They let warden compare values (reuse of an old or compromised value,
the same value in two environments) without keeping or reading plaintext.
The fingerprint key is kept apart from every encryption key: whoever holds
it can test guesses of weak values against fingerprints, so it has its own
file and access control (docs/isolation.md explains the trade-off).

One fingerprint key per project, shared by all its stores, so the same value
in an embedded store and a Vault store produces the same fingerprint.

A store records which key its fingerprints were made with (`key_id`, an HMAC
of a fixed label, never the key). A lost key file must never be replaced
silently: every fingerprint made with the new key would differ from the old
ones, and a compromised value would be accepted again. So the key is loaded
lazily and created only when the store it is used with holds no fingerprints
(see `stores.base.check_fingerprint_key`).
"""

from __future__ import annotations

import os
from pathlib import Path

from secretwarden.crypto.derive import hmac_sha256
from secretwarden.crypto.derive import key_id as derive_key_id
from secretwarden.crypto.keyfile import (
    create_key_file,
    key_from_base64,
    key_to_base64,
    read_key_text,
)
from secretwarden.errors import MasterKeyError
from secretwarden.paths import config_dir, refuse_config_inside

ENV_VAR = "WARDEN_FINGERPRINT_KEY"
PREFIX = "hs256:"
_ID_LABEL = b"fingerprint key"


def _decode_key(text: str, origin: str) -> bytes:
    try:
        raw = key_from_base64(text)
    except ValueError:
        raise MasterKeyError(f"{origin}: the fingerprint key is not base64") from None
    if len(raw) < 32:
        raise MasterKeyError(f"{origin}: the fingerprint key must be at least 32 bytes")
    return raw


def fingerprint_key_path(project: str) -> Path:
    return config_dir() / "keys" / f"{project}.fingerprint.key"


def fingerprint_key_origin(project: str) -> str:
    return ENV_VAR if os.environ.get(ENV_VAR) else str(fingerprint_key_path(project))


def load_fingerprint_key(project: str, *, create: bool, forbidden_root: Path | None = None) -> bytes | None:
    """The project's fingerprint key: WARDEN_FINGERPRINT_KEY, else its key file.

    With `create`, a missing key file is made (mode 0600), unless the key
    folder lies inside `forbidden_root` (the repository). Returns None when
    the key is absent and `create` is false.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return _decode_key(env, ENV_VAR)
    path = fingerprint_key_path(project)
    text = read_key_text(path, what="fingerprint key")
    if text is not None:
        return _decode_key(text, str(path))
    if not create:
        return None
    if forbidden_root is not None:
        refuse_config_inside(forbidden_root)
    import secrets  # only when a key is made: not on run's path
    key = secrets.token_bytes(32)
    if not create_key_file(path, key_to_base64(key), what="fingerprint key"):
        again = read_key_text(path, what="fingerprint key")  # another process made it first
        if again is None:
            raise MasterKeyError(f"{path}: the fingerprint key vanished while it was created")
        return _decode_key(again, str(path))
    return key


def fingerprint_key_id(key: bytes) -> str:
    return derive_key_id(key, _ID_LABEL)


class Fingerprinter:
    """Callable value -> fingerprint; the key is loaded (or created) on first need."""

    def __init__(self, key: bytes | None = None, *, project: str | None = None, forbidden_root: Path | None = None) -> None:
        if key is None and project is None:
            raise ValueError("a Fingerprinter needs a key or a project")
        self._key = key
        self._project = project
        self._forbidden_root = forbidden_root

    def __repr__(self) -> str:
        return "Fingerprinter(<key withheld>)"

    @property
    def origin(self) -> str:
        """Where the key comes from (a path or the variable's name), for messages."""
        return fingerprint_key_origin(self._project) if self._project else "the given fingerprint key"

    def _load(self, *, create: bool) -> bytes | None:
        if self._key is None and self._project is not None:
            self._key = load_fingerprint_key(self._project, create=create, forbidden_root=self._forbidden_root)
        return self._key

    def key_id(self, *, create: bool = False) -> str | None:
        """Identifier of the key (None when absent and not `create`)."""
        key = self._load(create=create)
        return None if key is None else fingerprint_key_id(key)

    def derived_key(self, info: bytes, *, create: bool = False) -> bytes | None:
        """A sub-key of the fingerprint key for one purpose (HKDF), None when the key is absent.

        Metadata that every holder of the project's fingerprint key must be able
        to check (a SOPS store's sidecars) is authenticated under such a key.
        """
        from secretwarden.crypto.derive import hkdf

        key = self._load(create=create)
        return None if key is None else hkdf(key, info)

    def __call__(self, value: str) -> str:
        key = self._load(create=True)
        assert key is not None
        digest = hmac_sha256(key, value.encode("utf-8")).hex()
        return PREFIX + digest


def fingerprinter_for(project: str, *, forbidden_root: Path | None = None) -> Fingerprinter:
    return Fingerprinter(project=project, forbidden_root=forbidden_root)


def random_key_text() -> str:
    import secrets  # only when a key is made: not on run's path
    return key_to_base64(secrets.token_bytes(32))
