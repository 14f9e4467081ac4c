"""The files a lint run looks at: what git would commit, honouring .gitignore.

In a git work tree that is `git ls-files --cached --others --exclude-standard`;
elsewhere a walk that applies the root `.gitignore` with gitignore semantics.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_SKIP_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _git(root: Path, *args: str) -> list[str] | None:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=root, capture_output=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def list_files(root: Path) -> tuple[list[str], frozenset[str] | None]:
    """(files to lint, files tracked by git or None outside a git work tree)."""
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is not None:
        tracked = _git(root, "ls-files", "-z", "--cached") or []
        present = sorted({p for p in listed if (root / p).is_file()})
        return present, frozenset(tracked)
    return sorted(_walk(root)), None


def _walk(root: Path) -> list[str]:
    import pathspec

    spec = None
    ignore = root / ".gitignore"
    if ignore.is_file():
        spec = pathspec.GitIgnoreSpec.from_lines(ignore.read_text(errors="replace").splitlines())
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = [
            d for d in dirnames
            if d not in _SKIP_DIRS and not (spec and spec.match_file(prefix + d + "/"))
        ]
        for name in filenames:
            rel = prefix + name
            if spec is None or not spec.match_file(rel):
                out.append(rel)
    return out


def staged_files(root: Path) -> list[str] | None:
    """Files added, copied, modified or renamed in the index, relative to `root`; None outside git."""
    listed = _git(root, "diff", "--cached", "--name-only", "--relative", "-z", "--diff-filter=ACMR")
    if listed is None:
        return None
    return sorted(p for p in listed if (root / p).is_file())
