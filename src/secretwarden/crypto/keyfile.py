"""Reading and creating key files: never through a symlink, never readable by others.

Every key warden keeps on disk (root keys, the fingerprint key, the audit
key) goes through here, so the rules are written once: the folder is 0700,
the file 0600 and created exclusively, and a symlink or a wider mode is
refused with a hint instead of being used.
"""

from __future__ import annotations

import binascii
import contextlib
import os
from pathlib import Path

from secretwarden.errors import MasterKeyError, StoreUnavailable
from secretwarden.paths import ensure_private_dir, open_nofollow

# URL-safe base64 through binascii: the `base64` module (with `struct`) would cost `warden run`
# about 0.7 ms of start-up to load, for two calls. Same rules as base64.urlsafe_b64decode: other
# characters are dropped, a wrong length raises binascii.Error (a ValueError).
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def key_from_base64(text: str) -> bytes:
    """The bytes of a key written in URL-safe base64, its padding optional; ValueError when it is not."""
    cleaned = text.strip()
    padded = (cleaned + "=" * (-len(cleaned) % 4)).encode("ascii")  # UnicodeEncodeError is a ValueError
    return binascii.a2b_base64(padded.translate(_FROM_URLSAFE))


def key_to_base64(key: bytes) -> str:
    """A key as URL-safe base64 without padding (what key files and variables hold)."""
    return binascii.b2a_base64(key, newline=False).translate(_TO_URLSAFE).decode().rstrip("=")


def read_key_text(path: Path, *, what: str) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        fd = open_nofollow(path, os.O_RDONLY, what=what)
    except FileNotFoundError:
        return None
    except StoreUnavailable as exc:
        raise MasterKeyError(exc.message, hint=exc.hint) from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode & 0o777
        if mode & 0o077:
            raise MasterKeyError(f"{path}: the {what} is readable by other users (mode {mode:o})", hint=f"chmod 600 {path}")
        raw = fh.read(4097)
    if len(raw) > 4096:  # a key is tens of bytes: reading a prefix of a big file would accept a key nobody made
        raise MasterKeyError(f"{path}: the {what} file is larger than any key", hint=f"restore {path} from a backup")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise MasterKeyError(f"{path}: the {what} is not text") from None


def create_key_file(path: Path, text: str, *, what: str) -> bool:
    """Write a new key file (0600, exclusive). False when another process made it first.

    The key is written to a private temporary file and then hard-linked into
    place: `link` fails if the name exists, and a reader never sees the file
    before its content is complete (an exclusive create followed by a write
    would show concurrent readers an empty key).
    """
    import secrets

    from secretwarden.paths import environment_error

    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.warden.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    except OSError as exc:
        raise environment_error(exc, path, what) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
