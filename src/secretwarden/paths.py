"""Where warden keeps its own files, and how it writes them.

Every file warden writes goes through `write_atomic` (temp file in the same
folder, fsync, `os.replace`), so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _xdg(var: str, default: str) -> Path:
    base = os.environ.get(var)
    return Path(base) if base else Path.home() / default


def cache_dir() -> Path:
    override = os.environ.get("WARDEN_CACHE_DIR")
    return Path(override) if override else _xdg("XDG_CACHE_HOME", ".cache") / "secretwarden"


def config_dir() -> Path:
    override = os.environ.get("WARDEN_CONFIG_DIR")
    return Path(override) if override else _xdg("XDG_CONFIG_HOME", ".config") / "secretwarden"


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    import tempfile  # not at module level: `warden run` imports this module on its fast path

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
