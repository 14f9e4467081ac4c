"""What is staged for the next commit, for pre-commit hooks.

Only lines the commit adds are reported: a secret already in the file before
this change is the history scan's (or the baseline's) business, not this hook's.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from secretwarden.errors import UsageError
from secretwarden.scan.sources.git import check_repo

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class StagedFile:
    path: str
    blob: str
    added_lines: frozenset[int]


def staged_files(repo: Path) -> list[StagedFile]:
    check_repo(repo)
    diff = subprocess.run(
        ["git", "-C", str(repo), "-c", "core.quotepath=off", "diff", "--cached", "--no-color",
         "--no-ext-diff", "-U0", "--diff-filter=ACMRT", "--no-renames"],
        capture_output=True, check=False,
    )
    if diff.returncode != 0:
        raise UsageError("cannot read the staged changes (git diff --cached failed)")
    added: dict[str, set[int]] = {}
    current: str | None = None
    for raw in diff.stdout.decode("utf-8", "surrogateescape").splitlines():
        if raw.startswith("+++ "):
            target = raw[4:]
            current = target[2:] if target.startswith("b/") else None
            if current is not None:
                added.setdefault(current, set())
        elif raw.startswith("@@") and current is not None:
            m = _HUNK.match(raw)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                added[current].update(range(start, start + count))
    if not added:
        return []
    listing = subprocess.run(["git", "-C", str(repo), "ls-files", "-s", "-z", "--", *added],
                             capture_output=True, check=False)
    blobs: dict[str, str] = {}
    for entry in listing.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        mode, sha, _stage = meta.split(" ")
        if mode.startswith("100"):
            blobs[path] = sha
    return [StagedFile(p, blobs[p], frozenset(lines)) for p, lines in sorted(added.items()) if p in blobs and lines]
