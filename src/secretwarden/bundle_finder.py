"""Warden's first module: the cache key, the sealed-file format, and `warden run`'s code bundle.

When Python keeps no bytecode (`PYTHONDONTWRITEBYTECODE=1`), every warden
module imported before the sealed code is in place is compiled from source on
each start. So this one module does all that must come first, with nothing
but the interpreter's built-in modules: it finds the cache key, reads the run
bundle (code_bundle.py writes it), checks its MAC under that key before any
code in it runs, keeps the modules whose source is unchanged (path,
modification time in ns and size, as Python's `.pyc` files are bound) and
serves them. Everything else, including the full sealed cache
(bytecode_cache.py, contract/sealed_cache.py), then comes from the bundle.
A bundle that is missing, forged, sealed under another key or for another
interpreter or copy of the package reads as empty: its modules load as usual.
"""

from __future__ import annotations

import _frozen_importlib_external as _bootstrap
import marshal
import os
import stat
import sys
from _blake2 import blake2b  # the interpreter's own BLAKE2 (hashlib's blake2b), no OpenSSL
from _operator import _compare_digest

TYPE_CHECKING = False  # mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from types import CodeType

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
MAX_SEALED_FILE = 64 * 1024 * 1024


def _folder(override: str, xdg: str, default: str) -> str:
    """`$override`, else `$xdg/secretwarden`, else `~/<default>/secretwarden` (dirs.py serves them as Paths)."""
    chosen = os.environ.get(override)
    if chosen:
        return chosen
    base = os.environ.get(xdg)
    if not base:
        base = os.path.expanduser("~")
        if base[:1] == "~":
            raise RuntimeError("Could not determine home directory.")  # what Path.home() raises
        base = os.path.join(base, default)
    return os.path.join(base, "secretwarden")


def config_folder() -> str:
    return _folder("WARDEN_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_folder() -> str:
    return _folder("WARDEN_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def inside(path: str, root: str) -> bool:
    """`path` is `root` or below it, symbolic links resolved (Path.resolve().is_relative_to())."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, top]) == top


def read_private(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """Content of a regular file owned by us and readable by nobody else (no symlinks)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO here must not hang every command
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
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


def existing_key(project_root: str) -> bytes | None:
    """The cache key when one we can trust exists (never made here); None otherwise."""
    path = os.path.join(config_folder(), "keys", "cache.key")  # sealed_cache.key_path()
    if inside(path, project_root):
        return None  # a key the repository carries is no key
    key = read_private(path, 64)
    return key if key is not None and len(key) == 32 else None


def _mac(key: bytes, context: bytes, body: bytes) -> bytes:
    # Keyed BLAKE2b-256 (RFC 7693's MAC mode): `warden run` checks its ~340 KB bundle on every start,
    # 0.4 ms this way against 1.15 ms for HMAC on the interpreter's SHA-256.
    mac = blake2b(b"body\0", digest_size=32, key=key)
    mac.update(context)
    mac.update(b"\0")
    mac.update(body)
    return mac.hexdigest().encode()


def seal(key: bytes, context: bytes, body: bytes) -> bytes:
    return _mac(key, context, body) + b"\n" + body


def unseal(key: bytes, context: bytes, path: str | os.PathLike[str]) -> bytes | None:
    """The body of a sealed file, or None when it is absent or does not verify."""
    raw = read_private(path, MAX_SEALED_FILE)
    if raw is None:
        return None
    mac, sep, body = raw.partition(b"\n")
    if not sep or not _compare_digest(mac, _mac(key, context, body)):
        return None
    return body


def code_file(key: bytes, folder: str, context: bytes) -> str:
    """The file of sealed code for `context`, named so that the name reveals nothing of it."""
    return os.path.join(folder, blake2b(b"name\0" + context, digest_size=24, key=key).hexdigest() + ".bin")


def interpreter() -> bytes:
    """This interpreter, named by its exact version (stricter than the bytecode magic number)."""
    return b"%s\0%d\0%d\0%d" % (
        (sys.implementation.cache_tag or "").encode(), sys.hexversion, marshal.version, sys.flags.optimize,
    )


def bundle_context() -> bytes:
    """What a run bundle is bound to: this interpreter and this copy of the package."""
    return b"bundle\0run\0%s\0%s" % (interpreter(), os.fsencode(_PACKAGE))


class BundleLoader(_bootstrap.SourceFileLoader):
    """A module whose code object comes from the verified bundle (marshalled in `_code`)."""

    def __init__(self, fullname: str, path: str, code: bytes) -> None:
        super().__init__(fullname, path)
        self._code = code

    def get_code(self, fullname: str) -> CodeType:
        try:
            code = marshal.loads(self._code)
        except (ValueError, TypeError, EOFError):
            code = None
        if type(code) is type(_folder.__code__):  # a code object (`types` is not loaded yet)
            return code
        return self.source_to_code(self.get_data(self.path), self.path)


class BundleFinder:
    """Finds the bundle's modules: name -> (origin, is a package, marshalled code, mtime ns, size)."""

    def __init__(self, modules: dict[str, tuple[str, bool, bytes, int, int]]) -> None:
        self.modules = modules

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        origin = entry[0]
        return _bootstrap.spec_from_file_location(
            fullname, origin, loader=BundleLoader(fullname, origin, entry[2]),
            submodule_search_locations=[os.path.dirname(origin)] if entry[1] else None,
        )

    def invalidate_caches(self) -> None:
        return None


# Once the run bundle was looked for: (key, code folder, bundle file, the modules it serves, warden's
# modules loaded before it was in place); code_bundle.keep() reads it.
bundle_state: tuple[bytes, str, str, dict[str, tuple[str, bool, bytes, int, int]], frozenset[str]] | None = None


def install_bundle() -> bool:
    """Serve `warden run`'s modules from its sealed bundle, with or without Python's bytecode;
    False when there is no bundle that verifies (or no key to check one)."""
    global bundle_state
    try:
        key = existing_key(_PACKAGE)
        folder = os.path.join(cache_folder(), "code")
    except (OSError, RuntimeError, KeyError, ValueError):
        return False
    if key is None:
        return False  # no key yet: the first command that loads a contract makes one
    context = bundle_context()
    target = code_file(key, folder, context)
    body = unseal(key, context, target)
    modules: dict[str, tuple[str, bool, bytes, int, int]] = {}
    try:
        for name, origin, package, mtime_ns, size, code in marshal.loads(body) if body is not None else ():
            st = os.stat(origin)
            if st.st_mtime_ns == mtime_ns and st.st_size == size:  # else edited since: loaded from its source
                modules[name] = (origin, package, code, mtime_ns, size)
    except (OSError, ValueError, TypeError, EOFError):
        modules = {}
    bundle_state = (key, folder, target, modules, frozenset(n for n in sys.modules if n.startswith("secretwarden.")))
    if modules:
        sys.meta_path.insert(0, BundleFinder(modules))  # type: ignore[arg-type]
    return bool(modules)

