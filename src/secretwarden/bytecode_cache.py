"""Warden's own compiled modules, kept sealed in its cache folder when Python may not write bytecode.

With `PYTHONDONTWRITEBYTECODE=1` (common in containers and CI, and the
default on this project's machines) an editable or source install compiles
every module of warden on every start: that is most of `warden run`'s
start-up, and about 0.3 s of a report's. Every `warden` command installs this
finder first (entry.py): a module of the `secretwarden` package is compiled
once and its code object kept, marshalled, under `<cache dir>/code/`, sealed
like every other cache file (contract/sealed_cache.py: HMAC under the local
cache key, bound to the module's path, its source's modification time and
size, as Python's own `.pyc` files are, and this interpreter's exact
version). A file that does not verify is ignored and the source is compiled
again, so a cache folder written by someone else can never inject code.
Nothing is written next to the sources, and other packages are left to Python.

This module and the three it needs before the finder is in place (entry.py,
dirs.py, contract/sealed_cache.py) are compiled from source on every such
start, so they stay small and import only what the interpreter has already
loaded (no pathlib, typing or importlib package): `_frozen_importlib_external`
is the import system's own module, the one `importlib.machinery` re-exports.
"""

from __future__ import annotations

import _frozen_importlib_external as _bootstrap
import marshal
import os
import sys
from types import CodeType

_PACKAGE = "secretwarden"


class _SealedSourceLoader(_bootstrap.SourceFileLoader):
    def __init__(self, fullname: str, path: str, key: bytes, folder: str) -> None:
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
        target = os.path.join(self._folder, file_name(self._key, context) + ".bin")
        body = unseal(self._key, context, target)
        if body is not None:
            try:
                code = marshal.loads(body)
            except (ValueError, TypeError, EOFError):
                code = None
            if isinstance(code, CodeType):
                return code
        code = self.source_to_code(self.get_data(path), path)
        self._keep(target, context, marshal.dumps(code))
        return code

    def _keep(self, target: str, context: bytes, body: bytes) -> None:
        """Write without fsync: losing a cache file on a crash only costs one compile."""
        from secretwarden.contract.sealed_cache import seal

        head, name = os.path.split(target)
        tmp = os.path.join(head, f".{name}.{os.getpid()}.tmp")
        try:
            os.makedirs(self._folder, mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(seal(self._key, context, body))
            os.replace(tmp, target)
        except OSError:
            import contextlib  # only on this rare path: contextlib is not loaded yet at start-up

            with contextlib.suppress(OSError):
                os.unlink(tmp)


class _SealedFinder:
    """Finds `secretwarden.*` like the path finder does, and loads it through the sealed cache."""

    def __init__(self, key: bytes, folder: str) -> None:
        self._key = key
        self._folder = folder

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        if not fullname.startswith(_PACKAGE + "."):
            return None
        spec = _bootstrap.PathFinder.find_spec(fullname, path)  # type: ignore[arg-type]
        if spec is None or type(spec.loader) is not _bootstrap.SourceFileLoader or not spec.origin:
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

        key = local_key(create=False, project_root=os.path.dirname(os.path.abspath(__file__)))
        folder = os.path.join(cache_dir(), "code")
    except (OSError, RuntimeError, KeyError):
        return
    if key is None:
        return  # no key yet: the first command that loads a contract makes one
    sys.meta_path.insert(0, _SealedFinder(key, folder))  # type: ignore[arg-type]
