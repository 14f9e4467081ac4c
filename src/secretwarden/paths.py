"""Where warden keeps its own files, and how it writes and opens them.

Every file warden writes goes through `write_atomic` (temp file in the same
folder, fsync, `os.replace`), so a crash leaves the old file or the new one.
Temp files carry the writer's pid, so the next write cleans up the ones a
killed process left behind.

Warden's private folders (the cache, the key/config folder, `.warden`) are
0700 whatever the umask, and an existing one that is wider is tightened.
Files warden reads as trusted state (stores, the audit log, key files) are
opened without following symlinks (`open_nofollow`): a cloned repository can
ship `.warden/audit.jsonl -> elsewhere`, and warden must not write through it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from secretwarden.dirs import cache_dir as cache_dir  # the one definition of both folders
from secretwarden.dirs import config_dir as config_dir
from secretwarden.errors import InputError, MasterKeyError, StoreUnavailable

PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` (and missing parents) as 0700; tighten it when it exists wider.

    `mkdir(mode=)` is filtered by the umask and `parents=True` ignores it for
    the parents, so every folder made here gets an explicit chmod. Folders
    that already existed above `path` are left alone: they are not warden's.
    `tighten=False` leaves an existing `path` as it is (a folder the user
    chose to share, e.g. an audit log for a team).
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        if probe.is_symlink():  # a dangling symlink: mkdir would fail with a confusing error
            raise StoreUnavailable(
                f"{probe}: is a symlink to a folder that does not exist",
                hint="remove the symlink or create its target",
            )
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        os.chmod(folder, PRIVATE_DIR_MODE)
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise StoreUnavailable(f"{path}: exists and is not a folder")
    if tighten and info.st_mode & 0o077 and info.st_uid == os.getuid():
        os.chmod(path, PRIVATE_DIR_MODE)


def is_state_dir(path: Path) -> bool:
    """Warden's own state folder in a checkout (tightened to 0700 when found wider)."""
    return path.name == ".warden"


def _private_base(path: Path) -> Path | None:
    """Warden's own folder (cache or config) that `path` lies under, if any."""
    for base in (cache_dir(), config_dir()):
        with contextlib.suppress(ValueError, OSError):
            path.absolute().relative_to(base.absolute())
            return base.absolute()
    return None


def _tighten_chain(base: Path, folder: Path) -> None:
    """0700 on every folder from `base` down to `folder` (others may have made them with the umask)."""
    chain = [folder.absolute()]
    while chain[-1] != base and chain[-1].parent != chain[-1]:
        chain.append(chain[-1].parent)
    for each in chain:
        with contextlib.suppress(OSError):
            info = os.lstat(each)
            if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
                os.chmod(each, PRIVATE_DIR_MODE)


def config_inside(root: Path) -> bool:
    """True when warden's key/config folder lies inside `root` (a repository)."""
    try:
        return config_dir().resolve().is_relative_to(root.resolve())
    except OSError:
        return False


def refuse_config_inside(root: Path) -> None:
    """Refuse before writing any key: keys in the repository would be committed with it."""
    if config_inside(root):
        raise MasterKeyError(
            f"warden's key folder ({config_dir()}) is inside the repository ({root})",
            hint="set WARDEN_CONFIG_DIR or XDG_CONFIG_HOME to a folder outside the repository",
        )


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


TEMP_SUFFIX = ".warden.tmp"  # git-ignored by `warden sops init` (`*.warden.tmp`)


def clean_stale_temps(folder: Path, name: str) -> None:
    """Remove `.{name}.<pid>.*.tmp` files whose writer is no longer running."""
    prefix = f".{name}."
    try:
        candidates = [e for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return
    for entry in candidates:
        pid_text = entry.name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and not pid_alive(int(pid_text)) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def temp_name(path: Path) -> Path:
    """A sibling temp name that says which process made it (see `clean_stale_temps`)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}{TEMP_SUFFIX}")


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    if _is_special(path) or _is_system_link(path):
        # Replacing a device (or a link to one, or /dev/stdout) would put a regular file where
        # /dev/null was, for every process on the machine; writing into it is only for outputs
        # the user named.
        import errno

        raise OSError(errno.EINVAL, "not a regular file (a device or a pipe)", str(path))
    base = _private_base(path)
    if base is not None:
        ensure_private_dir(path.parent)
        _tighten_chain(base, path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(path.parent, path.name)
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
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


def write_output(path: Path, text: str, *, what: str = "file", mode: int = 0o644) -> Path:
    """A file the user asked a command for (`--output`, `--out`, `--html`), written atomically.

    Every command's output file goes through here, so each is replaced whole
    and an unwritable path is the user's error (exit 2, one line), never a
    traceback. `what` names the file in that message ("report", "calendar").
    """
    # A file name that is not UTF-8 (a project folder named in a report) reaches Python as lone
    # surrogates: it goes out as the same bytes the file system gave, not as an encoding error.
    data = text.encode("utf-8", "surrogateescape")
    try:
        if _is_special(path) or _is_system_link(path):
            _write_into_special(path, data)
        else:
            write_atomic(path, data, mode=mode)
    except OSError as exc:
        raise InputError(
            f"{path}: cannot write the {what} ({exc.strerror or type(exc).__name__})",
            hint="check that the folder exists and is writable, or write elsewhere",
        ) from None
    return path


def _write_into_special(path: Path, data: bytes) -> None:
    """`-o /dev/stdout`, `-o /dev/null`, a FIFO: written into, never replaced; a block device or
    a socket is refused. Opened without blocking so a FIFO nobody reads fails (ENXIO) at once."""
    import errno

    kind = os.stat(path).st_mode
    if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind) or stat.S_ISREG(kind)):
        raise OSError(errno.EINVAL, "not a file, a character device or a pipe", str(path))
    # O_TRUNC: /dev/stdout redirected to a file (`> out.txt`) is a regular file behind a link.
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "wb") as handle:
        os.set_blocking(fd, True)
        handle.write(data)


def _is_system_link(path: Path) -> bool:
    """A link into /proc or /dev (`/dev/stdout` -> /proc/self/fd/1): the link itself must never
    be replaced, whatever file it leads to."""
    try:
        return os.path.islink(path) and os.readlink(path).startswith(("/proc/", "/dev/"))
    except OSError:
        return False


def _is_special(path: Path) -> bool:
    """An existing path (symlinks followed) that is neither a regular file nor a folder."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode))


class NotRegularFile(Exception):
    """`read_bounded` was given something else than a regular file (`mode`: its st_mode)."""

    def __init__(self, mode: int) -> None:
        super().__init__(mode)
        self.mode = mode


class FileTooLarge(Exception):
    """`read_bounded` found more than its limit (`size`: st_size when that already said so)."""

    def __init__(self, size: int | None) -> None:
        super().__init__(size)
        self.size = size


def open_for_reading(path: str | os.PathLike[str]) -> int:
    """A descriptor for `read_bounded`: opened without blocking, so a FIFO cannot hang the open."""
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))


def read_bounded(fd: int, limit: int) -> bytes:
    """The bytes of the file open on `fd` (closed here), judged on the descriptor, so a stat taken
    before the open cannot describe another file: a regular file of at most `limit` bytes, else
    NotRegularFile or FileTooLarge. A file any reader in the repository can shape may be a link to
    /dev/zero (endless) or a FIFO (blocks); one byte past the limit is read rather than trusting
    st_size (files under /proc say 0). OSError of the read passes."""
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(info.st_mode)
        if info.st_size > limit:
            raise FileTooLarge(info.st_size)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(None)
    return data


def read_input_file(path: Path, *, limit: int, what: str, hint: str | None = None) -> bytes:
    """A file warden reads but did not write (a baseline in the repository): a regular file of at
    most `limit` bytes, else exit 2 (`read_bounded`)."""
    try:
        return read_bounded(open_for_reading(path), limit)
    except NotRegularFile:
        raise InputError(f"{path}: the {what} is not a regular file (a device or a pipe)", hint=hint) from None
    except FileTooLarge:
        raise InputError(f"{path}: the {what} is larger than {limit} bytes", hint=hint) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or type(exc).__name__})", hint=hint) from None


def write_outputs(folder: Path, files: dict[str, str], *, what: str = "file") -> list[Path]:
    """Several output files (name -> text) in `folder`, each written by `write_output`; their paths."""
    return [write_output(folder / name, text, what=what) for name, text in files.items()]


def open_nofollow(path: Path, flags: int, mode: int = 0o600, *, what: str) -> int:
    """`os.open` that refuses symlinks and anything but a regular file.

    Raises StoreUnavailable (exit 3) naming the path; FileNotFoundError passes
    through so callers can treat "absent" as they need.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode)
    except OSError as exc:
        import errno

        if exc.errno == errno.ELOOP:
            raise StoreUnavailable(
                f"{path}: the {what} is a symlink; warden does not follow symlinks for its own files",
                hint="replace the symlink with the real file (a cloned repository may have shipped it)",
            ) from None
        if exc.errno == errno.ENOENT:
            raise
        raise environment_error(exc, path, what) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StoreUnavailable(f"{path}: the {what} is not a regular file", hint="remove it or move it aside")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_regular_file(path: Path, *, what: str) -> None:
    """Refuse a symlink or a non-regular file at `path` (absent is fine)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise environment_error(exc, path, what) from None
    if stat.S_ISLNK(info.st_mode):
        raise StoreUnavailable(
            f"{path}: the {what} is a symlink; warden does not follow symlinks for its own files",
            hint="replace the symlink with the real file (a cloned repository may have shipped it)",
        )
    if not stat.S_ISREG(info.st_mode):
        raise StoreUnavailable(f"{path}: the {what} is not a regular file", hint="remove it or move it aside")


def environment_error(exc: OSError, path: Path | str | None, what: str) -> StoreUnavailable:
    """An OSError about one of warden's files as a one-line store error (exit 3)."""
    import errno

    where = f"{path}: " if path is not None else ""
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        # The OS names the file that failed; it can differ from the one the caller guarded (an
        # audit append also writes its anchor under WARDEN_CONFIG_DIR): name the real one.
        failed = exc.filename if isinstance(exc.filename, str) and exc.filename else None
        reason = os.strerror(exc.errno)
        other = failed is not None and failed != str(path)
        return StoreUnavailable(
            f"{where}the {what} needs {failed} ({reason})" if other else f"{where}cannot use the {what} ({reason})",
            hint="a folder on that path is missing or is a file: check the path, WARDEN_CONFIG_DIR and WARDEN_CACHE_DIR",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return StoreUnavailable(
            f"{where}permission denied on the {what}", hint="check the owner and mode of the file and its folder"
        )
    if exc.errno == errno.EROFS:
        return StoreUnavailable(f"{where}the {what} is on a read-only file system")
    if exc.errno == errno.ENOSPC:
        return StoreUnavailable(f"{where}no space left for the {what}")
    reason = os.strerror(exc.errno) if exc.errno else type(exc).__name__
    return StoreUnavailable(f"{where}cannot use the {what} ({reason})")
