"""Append-only, hash-chained JSONL journals of warden's own records.

The rotation log and the incident register are not secrets and not store
data: they are the human record an auditor asks for ("who rotated what,
when, why; which incidents were opened and how they were closed"). They live
beside the audit log (default `.warden/`, or wherever the contract's
`audit.path` points, e.g. a shared folder), so they work the same for every
backend. The safety-relevant state itself (the compromise mark, the denied
fingerprints) lives in the store, where every user of the store sees it.

Like the audit log, each entry carries the hash of the one before it, keyed
with the project's audit key (an HMAC; older unkeyed entries verify as a
prefix), and the last entry is anchored in the key folder, so an edited,
removed, reordered or cut-off entry is detected by `verify()`, also by someone
who can rewrite the whole file but has no key. Appends take an exclusive
`flock`, so concurrent processes keep one chain; `append_with` lets a caller
derive the new entry (e.g. the next incident number) under the lock. Files are
opened without following symlinks.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secretwarden.audit.log import (
    GENESIS,
    KEYED,
    AuditLog,
    audit_key_id,
    canonical,
    entry_hash,
    keyed_hash,
)
from secretwarden.crypto.derive import same
from secretwarden.errors import MasterKeyError, WardenError
from secretwarden.paths import environment_error, is_state_dir, open_nofollow


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return entry if isinstance(entry, dict) else None


@dataclass
class Journal:
    """An append-only JSONL register beside the audit log (rotations, incidents), chained like it."""

    path: Path
    audit_path: Path | None = None  # the audit log beside it: its key and project sign this journal too

    repo_root: Path | None = None

    def _audit(self) -> AuditLog:
        return AuditLog(self.audit_path or self.path.with_name("audit.jsonl"))

    @property
    def _anchor(self) -> AuditLog:
        # The anchor machinery is the audit log's, pointed at this file.
        log = self._audit()
        # A journal in a checkout's `.warden` is written with one key; elsewhere it may be shared.
        root = self.repo_root or (self.path.parent.parent if is_state_dir(self.path.parent) else None)
        return AuditLog(self.path, project=log.project_name(), repo_root=root)

    def entries(self) -> Iterator[dict[str, Any]]:
        try:
            fd = open_nofollow(self.path, os.O_RDONLY, what="journal")
        except FileNotFoundError:
            return
        with os.fdopen(fd, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    entry = _parse(raw)
                    if entry is not None:
                        yield entry

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self.append_with(lambda _existing: entry)

    def append_with(self, build: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> dict[str, Any]:
        """Append `build(existing entries)`, computed while holding the lock."""
        from secretwarden.paths import ensure_private_dir, is_state_dir

        ensure_private_dir(self.path.parent, tighten=is_state_dir(self.path.parent))
        anchored = self._anchor
        key = anchored.chain_key(create=anchored.read_anchor() is None)
        if key is None:
            raise MasterKeyError(
                f"{self.path}: the audit key is missing, and this journal's entries were made with it",
                hint="restore the audit key from a backup",
            )
        fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600, what="journal")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            existing = list(self.entries())
            record = dict(build(existing))
            prev = str(existing[-1].get("hash", GENESIS)) if existing else GENESIS
            record["seq"] = len(existing) + 1
            record["prev"] = prev
            record["alg"] = KEYED
            record["kid"] = audit_key_id(key)
            record["hash"] = keyed_hash(key, record)
            os.write(fd, canonical(record) + b"\n")
            os.fsync(fd)
            anchored.write_anchor(record["seq"], record["hash"])
        except OSError as exc:
            raise environment_error(exc, self.path, "journal") from None
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return record

    def verify(self) -> list[str]:
        """Problems found in the chain (empty when intact)."""
        problems: list[str] = []
        prev, last_seq, keyed_seen, foreign = GENESIS, 0, False, 0
        seen: dict[int, str] = {}
        anchored = self._anchor
        anchor = anchored.read_anchor()
        try:
            key = anchored.chain_key(create=False)
        except WardenError as exc:  # a key problem is a finding here
            problems.append(f"{self.path.name}: the audit key cannot be read ({type(exc).__name__})")
            key = None
        try:
            fd = open_nofollow(self.path, os.O_RDONLY, what="journal")
        except FileNotFoundError:
            if anchor is not None and anchor[0] > 0:
                problems.append(f"{self.path.name} is missing, but its anchor records {anchor[0]} entries (deleted)")
            return problems
        with os.fdopen(fd, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                entry = _parse(raw)
                last_seq += 1
                if entry is None:
                    problems.append(f"{self.path.name} line {lineno}: not a JSON object")
                    prev = "?"
                    continue
                if entry.get("alg") == KEYED:
                    keyed_seen = True
                    if key is None:
                        problems.append(f"{self.path.name} line {lineno}: keyed entry, and the audit key is missing")
                    elif entry.get("kid") not in (None, audit_key_id(key)):
                        foreign += 1  # another user's key (a shared folder)
                    elif not same(str(entry.get("hash")), keyed_hash(key, entry)):
                        problems.append(f"{self.path.name} line {lineno}: content does not match its keyed hash (edited)")
                elif keyed_seen:
                    problems.append(f"{self.path.name} line {lineno}: an unkeyed entry after keyed ones (rewritten)")
                elif entry.get("hash") != entry_hash(entry):
                    problems.append(f"{self.path.name} line {lineno}: content does not match its hash (edited)")
                if prev != "?" and entry.get("prev") != prev:
                    problems.append(
                        f"{self.path.name} line {lineno}: does not follow the entry before it "
                        "(removed, inserted or reordered)"
                    )
                prev = str(entry.get("hash"))
                seen[last_seq] = prev
        if foreign and not anchored.maybe_shared():
            problems.append(f"{self.path.name}: {foreign} entries claim another audit key (forged or key replaced)")
        if anchor is not None and seen.get(anchor[0]) != anchor[1]:
            problems.append(
                f"{self.path.name} ends at entry {last_seq} but its anchor records {anchor[0]}: "
                "entries were cut off the end, or the file was rewritten"
            )
        elif anchor is None and keyed_seen:
            problems.append(f"{self.path.name}: its anchor is missing; cannot prove no entry was cut off the end")
        return problems


def state_dir(audit_path: Path) -> Path:
    """Warden's state folder: the audit log's folder."""
    return audit_path.parent


def rotation_journal(audit_path: Path) -> Journal:
    return Journal(state_dir(audit_path) / "rotation.jsonl", audit_path)


def incident_journal(audit_path: Path) -> Journal:
    return Journal(state_dir(audit_path) / "incidents.jsonl", audit_path)
