"""Walk a repository the way git sees it: honour .gitignore, skip what is not source.

In a git work tree the list comes from git itself (`git ls-files --cached
--others --exclude-standard`): a file committed inside an ignored folder is
seen, as it is in the repository. Elsewhere ignored folders are pruned, never entered. Nested `.gitignore` files apply
below their folder and later (deeper) rules win, as in git. Symbolic links
are not followed, so a scan never leaves the tree it was given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from secretwarden.contract.discovery.model import Skipped

MAX_FILE_BYTES = 2 * 1024 * 1024
# Folders that hold tools, dependencies or build output, not the project's own code.
SKIP_DIRS = frozenset(
    {
        # version control
        ".git", ".hg", ".svn",
        # dependencies and vendored code
        "node_modules", "bower_components", ".venv", "venv", "site-packages",
        "vendor", "vendored", "third_party",
        # tool caches and build output
        ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".hypothesis", ".terraform", ".gradle", ".next", ".nuxt", ".idea",
        # warden's own state
        ".warden",
    }
)


@dataclass(frozen=True)
class _Rules:
    base: str  # folder the .gitignore lives in, relative to the root ("" or "a/b/")
    spec: Any  # pathspec.GitIgnoreSpec


def _read_rules(path: Path, base: str) -> _Rules | None:
    from pathspec import GitIgnoreSpec

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _Rules(base, GitIgnoreSpec.from_lines(lines))


def _ignored(rel: str, is_dir: bool, rules: list[_Rules]) -> bool:
    """Git's verdict for `rel` (POSIX, relative to the root): the last matching rule wins."""
    verdict: bool | None = None
    for r in rules:
        if not rel.startswith(r.base):
            continue
        sub = rel[len(r.base) :]
        include = r.spec.check_file(sub + "/" if is_dir else sub).include
        if include is not None:
            verdict = include
    return verdict is True


def _git_listing(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under root, or None outside a git work tree."""
    import subprocess

    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return None
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return sorted({p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


def iter_files(root: Path, skipped: list[Skipped]) -> Iterator[tuple[PurePosixPath, Path]]:
    """(path relative to root, absolute path) of every file git would not ignore, in sorted order.

    Plain strings and `os.scandir` instead of pathlib: on a tree of thousands
    of files, path objects were most of the walk's cost.
    """
    listed = _git_listing(root)
    if listed is not None:
        for rel in listed:
            parts = rel.split("/")
            if any(part in SKIP_DIRS for part in parts[:-1]):
                continue
            full = os.path.join(root, rel)
            if os.path.islink(full) or not os.path.isfile(full):
                continue  # symbolic links are not followed; deleted files are gone
            yield PurePosixPath(rel), Path(full)
        return
    top: list[_Rules] = []
    exclude = root / ".git" / "info" / "exclude"
    if exclude.is_file():
        found = _read_rules(exclude, "")
        if found:
            top.append(found)
    stack: list[tuple[str, str, list[_Rules]]] = [(str(root), "", top)]
    while stack:
        folder, rel_dir, inherited = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(rel_dir.rstrip("/") or ".", f"unreadable ({type(exc).__name__})"))
            continue
        rules = inherited
        if any(e.name == ".gitignore" for e in entries):
            found = _read_rules(Path(folder) / ".gitignore", rel_dir)
            if found:
                rules = [*inherited, found]
        subdirs = []
        for entry in entries:
            rel = rel_dir + entry.name
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIP_DIRS and not (rules and _ignored(rel, True, rules)):
                    subdirs.append((entry.path, rel + "/", rules))
            elif entry.is_file() and not (rules and _ignored(rel, False, rules)):
                yield PurePosixPath(rel), Path(entry.path)
        stack.extend(reversed(subdirs))


def read_text(path: Path, rel: PurePosixPath, skipped: list[Skipped]) -> str | None:
    """The file's text, or None (and a note in `skipped`) when too large, binary or unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            skipped.append(Skipped(rel.as_posix(), f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
            return None
        with path.open("rb") as fh:
            head = fh.read(8192)
            # Executables and images are common among extension-less files:
            # look at the head before reading up to 2 MB.
            if b"\0" in head:
                skipped.append(Skipped(rel.as_posix(), "binary"))
                return None
            data = head + fh.read(MAX_FILE_BYTES)
    except OSError as exc:
        skipped.append(Skipped(rel.as_posix(), f"unreadable ({type(exc).__name__})"))
        return None
    return data.decode("utf-8", errors="replace")
