"""Warden's own compiled modules, kept sealed in its cache folder when Python may not write bytecode.

With `PYTHONDONTWRITEBYTECODE=1` (common in containers and CI, and the
default on this project's machines) an editable or source install compiles
every module of warden on every start: that is most of `warden run`'s
start-up, and about 0.3 s of a report's. Every `warden` command installs this
finder first (entry.py): a module of the `secretwarden` package is compiled
once and its code object kept, marshalled, under `<cache dir>/code/`, sealed
like every other cache file (contract/sealed_cache.py: a MAC under the local
cache key, bound to the module's path, its source's modification time and
size, as Python's own `.pyc` files are, and this interpreter's exact
version). A file that does not verify is ignored and the source is compiled
again, so a cache folder written by someone else can never inject code.
Nothing is written next to the sources, and other packages are left to Python.

This module and the four it needs before the finder is in place (entry.py,
dirs.py, contract/sealed_cache.py and the HMAC of crypto/derive.py) are
compiled from source on every such start, so they stay small and import
little (no typing, hashlib or importlib package): `_frozen_importlib_external`
is the import system's own module, the one `importlib.machinery` re-exports.

`warden run` goes one step further, with or without Python's bytecode: the
modules its fast path loaded are kept together in one sealed bundle (code
objects bound to each source's path, modification time and size, under the
same key), written by the first fast run that finds none or a stale one
(code_bundle.py). Later runs read that one file, check one MAC and stat each
source, instead of searching the path, opening and checking a file per
module: about 40 modules, whose lookups cost more than running their code.
A module whose source changed is loaded as usual, and the bundle is written
again.
"""

from __future__ import annotations

import _frozen_importlib_external as _bootstrap
import marshal
import os
import sys
from types import CodeType

_PACKAGE = "secretwarden"


def interpreter() -> bytes:
    """This interpreter, named by its exact version (stricter than the bytecode magic number,
    and it spares loading importlib.util)."""
    return b"%s\0%d\0%d\0%d" % (
        (sys.implementation.cache_tag or "").encode(), sys.hexversion, marshal.version, sys.flags.optimize,
    )


class _SealedSourceLoader(_bootstrap.SourceFileLoader):
    """A source module whose code comes from the run bundle (`code`) or its own sealed file."""

    def __init__(self, fullname: str, path: str, key: bytes, folder: str, code: bytes | None = None) -> None:
        super().__init__(fullname, path)
        self._key = key
        self._folder = folder
        self._code = code

    def get_code(self, fullname: str) -> CodeType:
        from secretwarden.contract.sealed_cache import file_name, unseal

        path = self.get_filename(fullname)
        body = self._code
        if body is None:
            st = self.path_stats(path)
            # Bound to the source's path, modification time and size, as Python's own .pyc files
            # are (no need to read the source when the code is kept); the MAC makes it ours.
            context = b"code\0%s\0%s\0%d\0%d" % (interpreter(), os.fsencode(path), int(st["mtime"] * 1e9), st["size"])
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
        if self._code is None:
            keep_sealed(self._key, self._folder, target, context, marshal.dumps(code))
        return code


def keep_sealed(key: bytes, folder: str, target: str, context: bytes, body: bytes) -> None:
    """Write without fsync: losing a cache file on a crash only costs one compile."""
    from secretwarden.contract.sealed_cache import seal

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
    """Finds `secretwarden.*`: from the run bundle's `modules` (name -> origin, is a package, code, ...),
    else, with `per_module`, like the path finder does, loaded through the sealed cache."""

    def __init__(self, key: bytes, folder: str, per_module: bool, modules: dict[str, tuple[str, bool, bytes, int, int]]) -> None:
        self._key = key
        self._folder = folder
        self._per_module = per_module
        self.modules = modules

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        entry = self.modules.get(fullname)
        if entry is not None:
            origin, package, code = entry[:3]
            return _bootstrap.spec_from_file_location(
                fullname, origin, loader=_SealedSourceLoader(fullname, origin, self._key, self._folder, code),
                submodule_search_locations=[os.path.dirname(origin)] if package else None,
            )
        if not self._per_module or not fullname.startswith(_PACKAGE + "."):
            return None
        spec = _bootstrap.PathFinder.find_spec(fullname, path)  # type: ignore[arg-type]
        if spec is None or type(spec.loader) is not _bootstrap.SourceFileLoader or not spec.origin:
            return spec
        spec.loader = _SealedSourceLoader(fullname, spec.origin, self._key, self._folder)
        return spec

    def invalidate_caches(self) -> None:
        return None


# Once a run bundle was looked for: (key, code folder, bundle file, the modules it serves, warden's
# modules loaded before it was in place); code_bundle.keep() reads it.
bundle_state: tuple[bytes, str, str, dict[str, tuple[str, bool, bytes, int, int]], frozenset[str]] | None = None


def modules_to_bundle() -> dict[str, object]:
    """warden's modules loaded since the run bundle was looked for (name -> module) when the bundle
    lacks any of them; empty when it served them all, or when no bundle can be kept (no key)."""
    if bundle_state is None:
        return {}
    served, before = bundle_state[3], bundle_state[4]
    loaded: dict[str, object] = {name: module for name, module in list(sys.modules.items())
                                 if name.startswith(_PACKAGE + ".") and name not in before}
    return loaded if not set(loaded) <= set(served) else {}


def bundle_context() -> bytes:
    """What a run bundle is bound to: this interpreter and this copy of the package."""
    return b"bundle\0run\0%s\0%s" % (interpreter(), os.fsencode(os.path.dirname(os.path.abspath(__file__))))


def _bundled(key: bytes, folder: str) -> dict[str, tuple[str, bool, bytes, int, int]]:
    """The run bundle's modules whose source is still the one compiled (an edited one loads from source)."""
    global bundle_state
    from secretwarden.contract.sealed_cache import file_name, unseal

    context = bundle_context()
    target = os.path.join(folder, file_name(key, context) + ".bin")
    modules: dict[str, tuple[str, bool, bytes, int, int]] = {}
    body = unseal(key, context, target)
    try:
        for name, origin, package, mtime_ns, size, code in marshal.loads(body) if body is not None else ():
            st = os.stat(origin)
            if st.st_mtime_ns == mtime_ns and st.st_size == size:
                modules[name] = (origin, package, code, mtime_ns, size)
    except (OSError, ValueError, TypeError, EOFError):
        modules = {}
    before = frozenset(name for name in sys.modules if name.startswith(_PACKAGE + "."))
    bundle_state = (key, folder, target, modules, before)
    return modules


def install(*, run_bundle: bool = False) -> None:
    """Use the sealed cache for the rest of this process, when Python will not cache bytecode itself;
    with `run_bundle` (`warden run`), also the run bundle, whether Python caches bytecode or not."""
    if any(isinstance(f, _SealedFinder) for f in sys.meta_path):
        return
    cached = __spec__.cached if __spec__ is not None else None  # this module's .pyc
    # Without bytecode of Python's own (none written, none shipped), every module goes through the cache.
    per_module = sys.dont_write_bytecode and not (cached and os.path.exists(cached))
    if not per_module and not run_bundle:
        return
    try:
        from secretwarden.contract.sealed_cache import local_key
        from secretwarden.dirs import cache_dir

        key = local_key(create=False, project_root=os.path.dirname(os.path.abspath(__file__)))
        folder = os.path.join(cache_dir(), "code")
    except (OSError, RuntimeError, KeyError):
        return
    if key is None:
        return  # no key yet: the first command that loads a contract makes one
    modules = _bundled(key, folder) if run_bundle else {}
    if per_module or modules:
        sys.meta_path.insert(0, _SealedFinder(key, folder, per_module, modules))  # type: ignore[arg-type]
