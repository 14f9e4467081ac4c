"""Append-only, hash-chained JSONL journals of warden's own records.

The rotation log and the incident register are not secrets and not store
data: they are the human record an auditor asks for ("who rotated what,
when, why; which incidents were opened and how they were closed"). They live
beside the audit log (default `.warden/`, or wherever the contract's
`audit.path` points, e.g. a shared folder), so they work the same for every
backend. The safety-relevant state itself (the compromise mark, the denied
fingerprints) lives in the store, where every user of the store sees it.

Like the audit log, each entry carries the hash of the one before it, so an
edited, removed or reordered entry is detected by `verify()`. Appends take an
exclusive `flock`, so concurrent processes keep one chain; `append_with` lets
a caller derive the new entry (e.g. the next incident number) under the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretwarden.audit.log import GENESIS, canonical, entry_hash


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


@dataclass
class Journal:
    path: Path

    def entries(self) -> Iterator[dict[str, Any]]:
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            for raw in fh:
                if raw.strip():
                    entry = _parse(raw)
                    if entry is not None:
                        yield entry

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self.append_with(lambda _existing: entry)

    def append_with(self, build: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> dict[str, Any]:
        """Append `build(existing entries)`, computed while holding the lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            existing = list(self.entries())
            record = dict(build(existing))
            prev = str(existing[-1].get("hash", GENESIS)) if existing else GENESIS
            record["seq"] = len(existing) + 1
            record["prev"] = prev
            record["hash"] = entry_hash(record)
            os.write(fd, canonical(record) + b"\n")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return record

    def verify(self) -> list[str]:
        """Problems found in the chain (empty when intact)."""
        problems: list[str] = []
        prev = GENESIS
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return problems
        with fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                entry = _parse(raw)
                if entry is None:
                    problems.append(f"{self.path.name} line {lineno}: not a JSON object")
                    prev = "?"
                    continue
                if entry.get("hash") != entry_hash(entry):
                    problems.append(f"{self.path.name} line {lineno}: content does not match its hash (edited)")
                if prev != "?" and entry.get("prev") != prev:
                    problems.append(
                        f"{self.path.name} line {lineno}: does not follow the entry before it "
                        "(removed, inserted or reordered)"
                    )
                prev = str(entry.get("hash"))
        return problems




def state_dir(audit_path: Path) -> Path:
    """Warden's state folder: the audit log's folder."""
    return audit_path.parent


def rotation_journal(audit_path: Path) -> Journal:
    return Journal(state_dir(audit_path) / "rotation.jsonl")


def incident_journal(audit_path: Path) -> Journal:
    return Journal(state_dir(audit_path) / "incidents.jsonl")
