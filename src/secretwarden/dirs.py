"""Where warden keeps its configuration (keys) and its caches: the one definition.

paths.py re-exports both. The folders are worked out in bundle_finder.py, as
strings: `warden run` reads its cache key there before any other module of
warden is loaded.
"""

from __future__ import annotations

from pathlib import Path

from secretwarden.bundle_finder import cache_folder, config_folder


def cache_dir() -> Path:
    return Path(cache_folder())


def config_dir() -> Path:
    return Path(config_folder())
