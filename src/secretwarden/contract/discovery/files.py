"""Walk a repository the way git sees it: honour .gitignore, skip what is not source.

Ignored folders are pruned, never entered. Nested `.gitignore` files apply
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
    [".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "vendor", "vendored", "third_party", "site-packages", ".terraform", ".warden", ".idea", ".gradle", ".next", ".nuxt"]
)


@dataclass(frozen=True)
class _Rules:
    base: PurePosixPath  # folder the .gitignore lives in, relative to the root
    spec: Any  # pathspec.GitIgnoreSpec


def _read_rules(path: Path, base: PurePosixPath) -> _Rules | None:
    from pathspec import GitIgnoreSpec

    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _Rules(base, GitIgnoreSpec.from_lines(lines))


def _ignored(rel: PurePosixPath, is_dir: bool, rules: list[_Rules]) -> bool:
    verdict: bool | None = None
    for r in rules:
        if r.base.parts and rel.parts[: len(r.base.parts)] != r.base.parts:
            continue
        sub = PurePosixPath(*rel.parts[len(r.base.parts) :]).as_posix()
        include = r.spec.check_file(sub + "/" if is_dir else sub).include
        if include is not None:
            verdict = include
    return verdict is True


def iter_files(root: Path, skipped: list[Skipped]) -> Iterator[tuple[PurePosixPath, Path]]:
    """(path relative to root, absolute path) of every file git would not ignore."""
    top: list[_Rules] = []
    exclude = root / ".git" / "info" / "exclude"
    if exclude.is_file():
        found = _read_rules(exclude, PurePosixPath())
        if found:
            top.append(found)
    rules_at: dict[str, list[_Rules]] = {}
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        folder = Path(dirpath)
        rel_dir = PurePosixPath(folder.relative_to(root).as_posix()) if folder != root else PurePosixPath()
        rules = list(rules_at.get(str(rel_dir), top))
        if ".gitignore" in filenames:
            found = _read_rules(folder / ".gitignore", rel_dir)
            if found:
                rules.append(found)
        kept = []
        for d in sorted(dirnames):
            rel = rel_dir / d
            if d in SKIP_DIRS or (folder / d).is_symlink() or _ignored(rel, True, rules):
                continue
            kept.append(d)
            rules_at[str(rel)] = rules
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = rel_dir / name
            path = folder / name
            if path.is_symlink() or _ignored(rel, False, rules):
                continue
            yield rel, path


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
