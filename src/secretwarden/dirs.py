"""Where warden keeps its configuration (keys) and its caches: the one definition.

paths.py re-exports both. They live apart, with nothing but `os` and
`pathlib`, because `warden run` reads its cache key before its sealed code
cache is in place (bytecode_cache.py): every module of warden imported by then
is compiled from source on each start when Python keeps no bytecode, and
paths.py with the exceptions it raises costs about 1.7 ms to compile.
"""

from __future__ import annotations

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
