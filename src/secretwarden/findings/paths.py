"""Where finding paths start: the repository's top level, whatever target was given.

`warden scan services/billing` run from `services/` and `warden scan .` run
from the top level must name a file the same way, so a baseline matches and
code scanning puts each result on the right file. Outside a repository the
current directory is the root.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def repository_root(target: Path) -> Path | None:
    """The work tree's top level containing `target` (a file or folder), or None."""
    start = target if target.is_dir() else target.parent
    try:
        proc = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=False)
    except OSError:  # no git installed: treat as outside a repository
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return Path(proc.stdout.strip()).resolve()


def report_root(target: Path) -> Path:
    """The folder finding paths are relative to: the repository's top level, else the cwd."""
    return repository_root(target.resolve()) or Path.cwd().resolve()


def relative_to(path: Path, root: Path) -> str:
    """`path` as a posix path relative to `root` (`..` segments when it lies outside)."""
    rel = os.path.relpath(path.resolve(), root)
    return rel.replace(os.sep, "/")
