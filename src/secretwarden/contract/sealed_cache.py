"""Cache files that only this user's warden can have written: a MAC under a local key.

Warden caches what it compiled from a contract (the validated contract, the
service plans) so that start-up skips the parser. A cache folder is easy to
share by accident (a CI cache restored from another branch, a copied home
folder), so every cache file carries a MAC under a key kept beside warden's
other keys (`<config dir>/keys/cache.key`, 0600, never inside the project),
bound to a context that names what the file is for. A file that is missing,
unreadable, not a private regular file of ours, or whose MAC does not verify
reads as a miss: the caller compiles again and never trusts the file.
"""

from __future__ import annotations

import os
from pathlib import Path

# The sealed-file format is defined in bundle_finder.py: `warden run` reads its code bundle before this module.
from secretwarden.bundle_finder import existing_key, inside, read_private
from secretwarden.bundle_finder import seal as seal
from secretwarden.bundle_finder import unseal as unseal
from secretwarden.crypto.derive import hmac_sha256
from secretwarden.dirs import config_dir

KEY_FILE_NAME = "cache.key"


def key_path() -> Path:
    return config_dir() / "keys" / KEY_FILE_NAME


def local_key(*, create: bool, project_root: str | os.PathLike[str]) -> bytes | None:
    """The cache key; None when there is none we can trust (then nothing is cached)."""
    path = key_path()
    try:
        key = existing_key(os.fspath(project_root))
        if key is not None or not create or inside(os.fspath(path), os.fspath(project_root)):
            return key  # a key the repository carries is no key, and none is made there
    except (OSError, RuntimeError, ValueError):
        return None
    if read_private(path, 64) is not None:
        return None  # a key file of ours, of the wrong length: never replaced
    import secrets

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        again = read_private(path, 64)  # another process made it first
        return again if again is not None and len(again) == 32 else None
    except OSError:
        return None
    fresh = secrets.token_bytes(32)
    try:
        os.write(fd, fresh)
        os.fsync(fd)
    finally:
        os.close(fd)
    return fresh


def file_name(key: bytes, context: bytes) -> str:
    """A name for the file of `context` that reveals nothing of it."""
    return hmac_sha256(key, b"name\0" + context).hex()[:48]


def write_sealed(path: Path, key: bytes, context: bytes, body: bytes) -> None:
    from secretwarden.paths import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, seal(key, context, body), mode=0o600)
