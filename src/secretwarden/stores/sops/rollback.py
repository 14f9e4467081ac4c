"""A SOPS store's signed metadata rolled back, sidecar and state together: found per machine.

Signatures (sealing.py) stop edits, and the state stops a sidecar rolled back
alone (it still denies the fingerprint the sidecar lost its mark for). A
sidecar and the state rolled back *together* (`git revert` of both, an older
pair copied in) still carry valid signatures: nothing inside the repository
can tell them from the current pair, since whoever can commit can put back any
pair that was ever signed.

So every signed document counts its writes (`generation`, covered by the
signature: it cannot be lowered without the key), and each machine keeps, in
its key folder (outside the repository, where someone who can only commit
cannot write), the highest generation it has read or written of each file of
each checkout. A file found below that mark was rolled back: tampering, like
an edit. A machine that never saw the later generation (a fresh clone, a new
CI runner) has no mark and cannot tell (docs/security.md).

The mark is only raised, on the first read that sees a higher generation (a
`git pull`); reading what it already saw costs one small file read per store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

GENERATION = "generation"  # the write count in a signed sidecar or state document


def generation(doc: dict[str, Any]) -> int:
    value = doc.get(GENERATION)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def bump(doc: dict[str, Any]) -> None:
    """Count one more write of `doc` (call before signing it)."""
    doc[GENERATION] = generation(doc) + 1


def mark_path(root: Path) -> Path:
    """This machine's marks for the store checked out at `root` (one file per checkout)."""
    from secretwarden.dirs import config_dir

    digest = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return config_dir() / "anchors" / f"sops-{digest}.json"


class HighWater:
    """The highest generation this machine saw of each signed file of one checkout's store."""

    def __init__(self, root: Path) -> None:
        self.path = mark_path(root)
        self._marks: dict[str, int] | None = None

    def _load(self) -> dict[str, int]:
        if self._marks is None:
            from secretwarden.paths import open_nofollow

            marks: dict[str, int] = {}
            try:
                fd = open_nofollow(self.path, os.O_RDONLY, what="SOPS rollback anchor")
                with os.fdopen(fd, "rb") as fh:
                    data = json.loads(fh.read(1 << 22))
                files = data.get("files") if isinstance(data, dict) else None
                if isinstance(files, dict):
                    marks = {str(k): v for k, v in files.items() if isinstance(v, int)}
            except (FileNotFoundError, ValueError):
                pass  # no mark, or an unreadable one: this machine then knows as much as a fresh one
            self._marks = marks
        return self._marks

    def below(self, where: str, doc: dict[str, Any]) -> int | None:
        """The generation this machine saw of `where` when `doc` is older than it, else None
        (and the mark rises to `doc`'s generation)."""
        marks = self._load()
        seen, now = marks.get(where, 0), generation(doc)
        if now < seen:
            return seen
        if now > seen:
            self.raise_to(where, now)
        return None

    def raise_to(self, where: str, value: int) -> None:
        from secretwarden.paths import write_atomic

        marks = self._load()
        if marks.get(where, 0) >= value:
            return
        marks[where] = value
        body = {"files": dict(sorted(marks.items()))}
        # A read-only key folder: this mark is not raised (less to compare later, never a false alarm).
        with contextlib.suppress(OSError):
            write_atomic(self.path, json.dumps(body).encode(), mode=0o600)
