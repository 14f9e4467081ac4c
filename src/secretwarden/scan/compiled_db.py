"""Compiled hyperscan databases, kept sealed in the cache folder.

Compiling the rules' prefilters takes about 0.2 s of CPU, and every scan
worker needs the database: on a small tree that is most of the scan. A
compiled database is plain bytes (`hyperscan.dumpb`), so it is cached like
warden's other compiled artefacts: under a name and a MAC keyed by the local
cache key (`contract/sealed_cache.py`) over everything that decides it — the
hyperscan version, the machine, every expression and flag. A file that is
missing, foreign or fails its MAC is a miss and the database is compiled again;
hyperscan never parses bytes we did not write.
"""

from __future__ import annotations

import contextlib
import hashlib
import platform
from pathlib import Path
from typing import Any

_FORMAT = b"warden-scan-hsdb v1"


def _context(expressions: list[bytes], flags: list[int]) -> bytes:
    import hyperscan

    h = hashlib.sha256()
    for expr, flag in zip(expressions, flags, strict=True):
        h.update(len(expr).to_bytes(4, "big") + expr + flag.to_bytes(8, "big"))
    version = str(getattr(hyperscan, "__version__", "?")).encode()
    return b"\0".join([_FORMAT, version, platform.machine().encode(), h.hexdigest().encode()])


def _compile(expressions: list[bytes], flags: list[int]) -> Any:
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    return db


def load(expressions: list[bytes], flags: list[int]) -> Any:
    """A block-mode database of `expressions` (ids are their indexes), from the cache when it verifies."""
    import hyperscan

    from secretwarden.contract.sealed_cache import file_name, local_key, unseal, write_sealed
    from secretwarden.paths import cache_dir

    key = local_key(create=True, project_root=Path(__file__).resolve().parent)
    if key is None:
        return _compile(expressions, flags)
    context = _context(expressions, flags)
    path = cache_dir() / "scan" / f"{file_name(key, context)}.hsdb"
    body = unseal(key, context, path)
    if body is not None:
        try:
            return hyperscan.loadb(body, hyperscan.HS_MODE_BLOCK)
        except hyperscan.error:
            pass  # written by another hyperscan build: compile again below
    db = _compile(expressions, flags)
    with contextlib.suppress(OSError):  # a read-only cache folder only costs the compile next time
        write_sealed(path, key, context, hyperscan.dumpb(db))
    return db
