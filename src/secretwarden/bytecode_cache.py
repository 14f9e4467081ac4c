"""Warden's own compiled modules, kept sealed in its cache folder when Python may not write bytecode.

With `PYTHONDONTWRITEBYTECODE=1` (common in containers and CI, and the
default on this project's machines) an editable or source install compiles
every module of warden on every start: that is most of `warden run`'s
start-up. `warden run` installs this finder first: a module of the
`secretwarden` package is compiled once and its code object kept, marshalled,
under `<cache dir>/code/`, sealed like every other cache file
(contract/sealed_cache.py: HMAC under the local cache key, bound to the
module's path, its source's modification time and size, as Python's own
`.pyc` files are, and this interpreter's exact version). A
file that does not verify is ignored and the source is compiled again, so a
cache folder written by someone else can never inject code. Nothing is
written next to the sources, and other packages are left to Python.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import marshal
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

_PACKAGE = "secretwarden"


class _SealedSourceLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, key: bytes, folder: Path) -> None:
        super().__init__(fullname, path)
        self._key = key
        self._folder = folder

    def get_code(self, fullname: str) -> CodeType:
        from secretwarden.contract.sealed_cache import file_name, unseal

        path = self.get_filename(fullname)
        st = self.path_stats(path)
        # Bound to the source's path, modification time and size, as Python's own .pyc files
        # are (no need to read the source when the code is kept); the MAC makes it ours. The
        # interpreter is named by its exact version (stricter than the bytecode magic number,
        # and it spares loading importlib.util).
        context = b"code\0%s\0%d\0%d\0%d\0%s\0%d\0%d" % (
            (sys.implementation.cache_tag or "").encode(), sys.hexversion, marshal.version, sys.flags.optimize,
            os.fsencode(path), int(st["mtime"] * 1e9), st["size"],
        )
        target = self._folder / f"{file_name(self._key, context)}.bin"
        body = unseal(self._key, context, target)
        if body is not None:
            with contextlib.suppress(ValueError, TypeError, EOFError):
                code = marshal.loads(body)
                if isinstance(code, CodeType):
                    return code
        code = self.source_to_code(self.get_data(path), path)
        self._keep(target, context, marshal.dumps(code))
        return code

    def _keep(self, target: Path, context: bytes, body: bytes) -> None:
        """Write without fsync: losing a cache file on a crash only costs one compile."""
        from secretwarden.contract.sealed_cache import seal

        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(seal(self._key, context, body))
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


class _SealedFinder:
    """Finds `secretwarden.*` like the path finder does, and loads it through the sealed cache."""

    def __init__(self, key: bytes, folder: Path) -> None:
        self._key = key
        self._folder = folder

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader or not spec.origin:
            return spec
        spec.loader = _SealedSourceLoader(fullname, spec.origin, self._key, self._folder)
        return spec

    def invalidate_caches(self) -> None:
        return None


def install() -> None:
    """Use the sealed cache for the rest of this process, when Python will not cache bytecode itself."""
    if not sys.dont_write_bytecode or any(isinstance(f, _SealedFinder) for f in sys.meta_path):
        return
    cached = __spec__.cached if __spec__ is not None else None  # this module's .pyc
    if cached and os.path.exists(cached):
        return  # the installation ships compiled bytecode: Python's own is as good
    try:
        from secretwarden.contract.sealed_cache import local_key
        from secretwarden.dirs import cache_dir

        key = local_key(create=False, project_root=Path(__file__).resolve().parent)
        folder = cache_dir() / "code"
    except (OSError, RuntimeError, KeyError):
        return
    if key is None:
        return  # no key yet: the first full `warden run` makes one
    finder: Any = _SealedFinder(key, folder)
    sys.meta_path.insert(0, finder)
