"""The key of a project's audit chain: a file in the key folder, never in the repository.

Whoever can write the repository's `.warden/` folder can rewrite an unkeyed
hash chain end to end. With each entry's hash an HMAC under this key, a
rewritten entry cannot be made to verify without the key, which lives with
the other keys (0600, in a 0700 folder outside the repository).
"""

from __future__ import annotations

from pathlib import Path

from secretwarden.crypto.keyfile import (
    create_key_file,
    key_from_base64,
    key_to_base64,
    read_key_text,
)
from secretwarden.errors import MasterKeyError
from secretwarden.paths import config_dir, refuse_config_inside


def audit_key_path(project: str) -> Path:
    return config_dir() / "keys" / f"{project}.audit.key"


def _decode(text: str, origin: str) -> bytes:
    cleaned = text.strip()
    try:
        raw = key_from_base64(cleaned)
    except ValueError:
        raw = b""
    if len(raw) < 32:
        raise MasterKeyError(
            f"{origin}: the audit key is not a base64 key of 32 bytes or more",
            hint="restore the audit key from a backup; without it the log cannot be continued or verified",
        )
    return raw


def load_audit_key(project: str, *, create: bool, forbidden_root: Path | None = None) -> bytes | None:
    """The project's audit key; with `create`, a missing one is made (None when absent otherwise)."""
    path = audit_key_path(project)
    text = read_key_text(path, what="audit key")
    if text is not None:
        return _decode(text, str(path))
    if not create:
        return None
    if forbidden_root is not None:
        refuse_config_inside(forbidden_root)
    import secrets  # only when a key is made: not on run's path
    key = secrets.token_bytes(32)
    if create_key_file(path, key_to_base64(key), what="audit key"):
        return key
    again = read_key_text(path, what="audit key")
    if again is None:
        raise MasterKeyError(f"{path}: the audit key vanished while it was created")
    return _decode(again, str(path))
