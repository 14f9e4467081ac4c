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
import stat
from _blake2 import blake2b  # the interpreter's own BLAKE2 (what hashlib.blake2b is), no OpenSSL
from pathlib import Path

from secretwarden.crypto.derive import hmac_sha256, same_bytes
from secretwarden.dirs import config_dir  # not paths.py: read before the code cache is in place

KEY_FILE_NAME = "cache.key"
MAX_CACHE_FILE = 64 * 1024 * 1024


def key_path() -> Path:
    return config_dir() / "keys" / KEY_FILE_NAME


def is_private_regular_file(st: os.stat_result) -> bool:
    return stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def _read_private(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """Content of a regular file owned by us and readable by nobody else (no symlinks)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO here must not hang every command
    except OSError:
        return None
    try:
        if not is_private_regular_file(os.fstat(fd)):
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def local_key(*, create: bool, project_root: str | os.PathLike[str]) -> bytes | None:
    """The cache key; None when there is none we can trust (then nothing is cached)."""
    path = key_path()
    try:
        if path.resolve().is_relative_to(Path(project_root).resolve()):
            return None  # a key the repository carries is no key
    except (OSError, RuntimeError):
        return None
    key = _read_private(path, 64)
    if key is not None and len(key) == 32:
        return key
    if key is not None or not create:
        return None
    import secrets

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        again = _read_private(path, 64)  # another process made it first
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


def _mac(key: bytes, context: bytes, body: bytes) -> bytes:
    # Keyed BLAKE2b-256 (RFC 7693's MAC mode), not HMAC-SHA256: `warden run` checks its code bundle
    # (about 340 KB) on every start, 0.4 ms this way against 1.15 ms with the interpreter's SHA-256.
    # A file sealed the older way reads as a miss and is written again.
    mac = blake2b(b"body\0", digest_size=32, key=key)
    mac.update(context)
    mac.update(b"\0")
    mac.update(body)
    return mac.hexdigest().encode()


def seal(key: bytes, context: bytes, body: bytes) -> bytes:
    return _mac(key, context, body) + b"\n" + body


def unseal(key: bytes, context: bytes, path: str | os.PathLike[str]) -> bytes | None:
    """The body of a sealed file, or None when it is absent or does not verify."""
    raw = _read_private(path, MAX_CACHE_FILE)
    if raw is None:
        return None
    mac, sep, body = raw.partition(b"\n")
    if not sep or not same_bytes(mac, _mac(key, context, body)):
        return None
    return body


def write_sealed(path: Path, key: bytes, context: bytes, body: bytes) -> None:
    from secretwarden.paths import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, seal(key, context, body), mode=0o600)
