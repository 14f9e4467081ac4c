"""Warden's own compiled modules, kept sealed in its cache folder when Python may not write bytecode.

With `PYTHONDONTWRITEBYTECODE=1` (common in containers and CI, and the
default on this project's machines) an editable or source install compiles
every module of warden on every start: that is most of `warden run`'s
start-up, and about 0.3 s of a report's. Every `warden` command installs this
finder first (entry.py): a module of the `secretwarden` package is compiled
once and its code object kept, marshalled, under `<cache dir>/code/`, sealed
like every other cache file (bundle_finder.py: a MAC under the local cache
key, bound to the module's path, its source's modification time and size, as
Python's own `.pyc` files are, and this interpreter's exact version). A file
that does not verify is ignored and the source is compiled again, so a cache
folder written by someone else can never inject code. Nothing is written next
to the sources, and other packages are left to Python.

`warden run` goes one step further, with or without Python's bytecode:
bundle_finder.py serves the modules its fast path loads from one sealed
bundle, written by the first fast run that finds none or a stale one
(code_bundle.py). Only the package, entry.py and bundle_finder.py are then
compiled from source on a start without bytecode; this module is loaded only
when there is no bundle yet, or when the full path takes over.
"""

from __future__ import annotations

import _frozen_importlib_external as _bootstrap
import marshal
import os
import sys
from types import CodeType

from secretwarden import bundle_finder
from secretwarden.bundle_finder import code_file, interpreter, seal, unseal

_PACKAGE = "secretwarden"


class _SealedSourceLoader(_bootstrap.SourceFileLoader):
    """A source module whose code comes from its own sealed file, compiled and kept when there is none."""

    def __init__(self, fullname: str, path: str, key: bytes, folder: str) -> None:
        super().__init__(fullname, path)
        self._key = key
        self._folder = folder

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        st = self.path_stats(path)
        # Bound to the source's path, modification time and size, as Python's own .pyc files
        # are (no need to read the source when the code is kept); the MAC makes it ours.
        context = b"code\0%s\0%s\0%d\0%d" % (interpreter(), os.fsencode(path), int(st["mtime"] * 1e9), st["size"])
        target = code_file(self._key, self._folder, context)
        body = unseal(self._key, context, target)
        if body is not None:
            try:
                code = marshal.loads(body)
            except (ValueError, TypeError, EOFError):
                code = None
            if isinstance(code, CodeType):
                return code
        code = self.source_to_code(self.get_data(path), path)
        keep_sealed(self._key, self._folder, target, context, marshal.dumps(code))
        return code


def keep_sealed(key: bytes, folder: str, target: str, context: bytes, body: bytes) -> None:
    """Write without fsync: losing a cache file on a crash only costs one compile."""
    head, name = os.path.split(target)
    tmp = os.path.join(head, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(seal(key, context, body))
        os.replace(tmp, target)
    except OSError:
        import contextlib  # only on this rare path: contextlib is not loaded yet at start-up

        with contextlib.suppress(OSError):
            os.unlink(tmp)


class _SealedFinder:
    """Finds `secretwarden.*` like the path finder does, loaded through the sealed cache."""

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
    """Use the sealed cache for the rest of this process when Python will not cache bytecode itself
    (after run's bundle finder, when bundle_finder.install_bundle put one in place)."""
    if any(isinstance(f, _SealedFinder) for f in sys.meta_path):
        return
    cached = __spec__.cached if __spec__ is not None else None  # this module's .pyc
    # Without bytecode of Python's own (none written, none shipped), every module goes through the cache.
    if not sys.dont_write_bytecode or (cached and os.path.exists(cached)):
        return
    try:
        key = bundle_finder.existing_key(os.path.dirname(os.path.abspath(__file__)))
        folder = os.path.join(bundle_finder.cache_folder(), "code")
    except (OSError, RuntimeError, KeyError, ValueError):
        return
    if key is None:
        return  # no key yet: the first command that loads a contract makes one
    first = 1 if sys.meta_path and isinstance(sys.meta_path[0], bundle_finder.BundleFinder) else 0
    sys.meta_path.insert(first, _SealedFinder(key, folder))  # type: ignore[arg-type]
