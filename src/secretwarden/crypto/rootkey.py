"""Where an embedded store's root key comes from.

Order: WARDEN_MASTER_KEY (base64, 32 bytes) > the OS keyring (when the
optional `keyring` package has a usable backend) > a key file under the user's
config directory (mode 0600, never inside the repository). A new store gets a
new key in the keyring or a key file; an existing store never gets a new key.
"""

from __future__ import annotations

import binascii
import os
from pathlib import Path

from secretwarden.crypto.keyfile import (
    create_key_file,
    key_from_base64,
    key_to_base64,
    read_key_text,
)
from secretwarden.errors import MasterKeyError
from secretwarden.paths import config_dir, refuse_config_inside
from secretwarden.value_class import FrozenValue

ENV_VAR = "WARDEN_MASTER_KEY"
KEYRING_SERVICE = "secretwarden"


class RootKey(FrozenValue):
    """An embedded store's root key and where it came from (the repr never shows the key).

    Written out on `FrozenValue`: it is built on `warden run`'s fast path, where creating
    a named tuple class costs about 0.25 ms of start-up (a dataclass 0.5 ms), a plain
    class about 0.03 ms.
    """

    _fields = ("key", "origin")

    key: bytes
    origin: str  # human description, never the key

    def __init__(self, key: bytes, origin: str) -> None:
        d = self.__dict__
        d["key"] = key
        d["origin"] = origin

    def __repr__(self) -> str:
        return f"RootKey(origin={self.origin!r})"


def decode_key_text(text: str, origin: str) -> bytes:
    cleaned = text.strip()
    try:
        raw = key_from_base64(cleaned)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        try:
            raw = bytes.fromhex(cleaned)
        except ValueError:
            raw = b""
    if len(raw) != 32:
        raise MasterKeyError(f"{origin} is not a 32-byte key in base64 or hex")
    return raw


def encode_key(key: bytes) -> str:
    return key_to_base64(key)


def key_file_path(store_id: str) -> Path:
    return config_dir() / "keys" / f"{store_id}.key"


def _keyring() -> object | None:
    if os.environ.get("WARDEN_NO_KEYRING") == "1":
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring) or ("chainer" in type(backend).__name__.lower() and not getattr(
        backend, "backends", None
    )):
        return None
    module: object = keyring  # typed the same whether or not keyring's stubs are installed
    return module


def find_root_key(store_id: str) -> RootKey | None:
    env = os.environ.get(ENV_VAR)
    if env:
        return RootKey(decode_key_text(env, ENV_VAR), ENV_VAR)
    kr = _keyring()
    if kr is not None:
        try:
            stored = kr.get_password(KEYRING_SERVICE, store_id)  # type: ignore[attr-defined]
        except Exception:
            stored = None
        if stored:
            return RootKey(decode_key_text(stored, "the OS keyring entry"), "OS keyring")
    path = key_file_path(store_id)
    text = read_key_text(path, what="root key file")  # no symlinks, 0600 only
    if text is None:
        return None
    return RootKey(decode_key_text(text, str(path)), f"key file {path}")


def create_root_key(store_id: str, *, forbidden_root: Path | None = None) -> RootKey:
    """Make and keep a new key for a new store (env var > keyring > key file)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return RootKey(decode_key_text(env, ENV_VAR), ENV_VAR)
    import secrets  # only when a key is made: not on run's path
    key = secrets.token_bytes(32)
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, store_id, encode_key(key))  # type: ignore[attr-defined]
            return RootKey(key, "OS keyring")
        except Exception:
            pass  # fall back to a key file
    path = key_file_path(store_id)
    if forbidden_root is not None:
        refuse_config_inside(forbidden_root)
    if not create_key_file(path, encode_key(key) + "\n", what="root key file"):
        raise MasterKeyError(f"{path}: a root key file for this new store already exists")
    return RootKey(key, f"key file {path}")
