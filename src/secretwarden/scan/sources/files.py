"""Files of a directory tree, honouring .gitignore unless told otherwise.

Inside a git work tree `git ls-files` gives git's own answer (tracked plus
untracked-but-not-ignored files). Elsewhere a walker applies every .gitignore
it meets with pathspec. Symlinks are never followed: a link could point out
of the tree, and a link inside the tree points at a file scanned anyway.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretwarden.scan.model import Notice

# Formats that are almost always binary: the scan reads their first 8 KB and
# skips them (with a notice) only when that head holds a NUL byte, like git.
BINARY_EXTS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".icns", ".webp", ".tif", ".tiff", ".psd", ".svgz", ".heic", ".avif", ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".mkv", ".wav", ".flac", ".ogg", ".webm", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".war", ".ear", ".whl", ".egg", ".apk", ".ipa", ".dmg", ".iso", ".deb", ".rpm", ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".lib", ".obj", ".bin", ".pyc", ".pyo", ".pyd", ".class", ".wasm", ".node", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".sqlite", ".sqlite3", ".db", ".parquet", ".npy", ".npz", ".pkl", ".pickle", ".pt", ".onnx", ".h5", ".tflite", ".mo", ".dat"]
)
SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
_IN_SKIP_DIR = re.compile("(?:^|/)(?:" + "|".join(re.escape(d) for d in sorted(SKIP_DIRS)) + ")/")


@dataclass(frozen=True)
class FileItem:
    path: str  # as reported: relative to the scan root, with forward slashes
    abspath: str
    size: int


def git_toplevel(root: Path) -> Path | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=False)
    except OSError:
        return None
    if out.returncode != 0:
        return None
    return Path(out.stdout.strip())


def _git_listed(root: Path) -> list[str] | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
             "--deduplicate", "--", "."],
            capture_output=True, check=False,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk(root: Path, honour_ignore: bool) -> Iterator[str]:
    specs: list[tuple[str, Any]] = []  # (dir prefix, spec) for every .gitignore met

    def ignored(rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        for prefix, spec in specs:
            if prefix and not probe.startswith(prefix):
                continue
            if spec.match_file(probe[len(prefix):]):
                return True
        return False

    stack = [""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = root / rel_dir if rel_dir else root
        if honour_ignore:
            gi = abs_dir / ".gitignore"
            if gi.is_file():
                import pathspec  # only when there is a file to apply (about 12 ms of a small scan's start)

                try:
                    lines = gi.read_text("utf-8", "replace").splitlines()
                    specs.append((rel_dir + "/" if rel_dir else "", pathspec.GitIgnoreSpec.from_lines(lines)))
                except OSError:
                    pass
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name in SKIP_DIRS or (honour_ignore and ignored(rel, True)):
                    continue
                stack.append(rel)
            elif entry.is_file(follow_symlinks=False):
                if honour_ignore and ignored(rel, False):
                    continue
                yield rel


def iter_files(root: Path, *, honour_ignore: bool, max_size: int, allow_spec: Any | None,
               notices: list[Notice]) -> Iterator[FileItem]:
    """Every file to scan under `root` (a directory) or `root` itself (a file).

    A single file passes the same checks as a file met in a directory: the size
    cap (with a notice) and the allowlist. Binary content is judged by the
    scanner from the bytes, never by the name alone."""
    if root.is_file():
        item = _item(root.as_posix(), str(root), max_size, allow_spec, notices)
        if item is not None:
            yield item
        return
    listed: list[str] | None = None
    if honour_ignore and git_toplevel(root) is not None:
        listed = _git_listed(root)
    names = listed if listed is not None else _walk(root, honour_ignore)
    prefix = str(root) if str(root).endswith("/") else f"{root}/"
    for rel in names:
        if _IN_SKIP_DIR.search(rel):
            continue
        abspath = prefix + rel
        # one lstat answers "a link?", "a regular file?" and the size (three calls before)
        try:
            st = os.lstat(abspath)
        except OSError:
            continue  # deleted since it was listed
        if not stat.S_ISREG(st.st_mode):
            continue  # links are never followed; fifos, sockets and devices are not files to read
        item = _checked(rel, abspath, st.st_size, max_size, allow_spec, notices)
        if item is not None:
            yield item


def _item(rel: str, abspath: str, max_size: int, allow_spec: Any | None, notices: list[Notice]) -> FileItem | None:
    try:
        st = os.stat(abspath)
    except OSError:
        return None  # deleted since git listed it
    if not stat.S_ISREG(st.st_mode):
        return None
    return _checked(rel, abspath, st.st_size, max_size, allow_spec, notices)


def _checked(rel: str, abspath: str, size: int, max_size: int, allow_spec: Any | None,
             notices: list[Notice]) -> FileItem | None:
    if allow_spec is not None and allow_spec.match_file(rel):
        return None
    if size > max_size:
        notices.append(Notice(rel, f"larger than {max_size} bytes: skipped (see --max-file-size)"))
        return None
    if size == 0:
        return None  # nothing to read
    return FileItem(rel, abspath, size)
