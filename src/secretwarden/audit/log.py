"""The audit log: one JSON line per value read, write, delete and `run`.

Entries carry who, what and where (user, pid, command, service, environment,
namespace, key, version, outcome), never a value. Each entry holds the hash of
the previous one and its own hash over its canonical JSON, so an edited,
removed or reordered entry breaks the chain. A small head file records the
last sequence number and hash, so cutting entries off the end is detected too.
Appends take an exclusive `flock`, so concurrent processes keep one chain.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import InputError
from secretwarden.identity import current_user

GENESIS = "0" * 64
# Fields an entry may carry; anything else is dropped so a value cannot slip in.
ALLOWED_FIELDS = (
    "command",
    "service",
    "env",
    "instance",
    "namespace",
    "key",
    "version",
    "versions",
    "outcome",
    "reason",
    "store",
    "keys",
    "detail",
    "incident",
    "argv0",
)


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry is hashed and written as (shared with ops/journal.py)."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()




@dataclass
class AuditLog:
    path: Path

    @property
    def head_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    def append(self, **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {k: fields[k] for k in ALLOWED_FIELDS if fields.get(k) is not None}
        record["time"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        record["user"] = current_user()
        record["pid"] = os.getpid()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq, prev = self._tail(fd)
            record["seq"] = seq + 1
            record["prev"] = prev
            record["hash"] = entry_hash(record)
            os.write(fd, canonical(record) + b"\n")
            os.fsync(fd)
            self._write_head(record["seq"], record["hash"])
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return record

    def _tail(self, fd: int) -> tuple[int, str]:
        """Sequence number and hash of the last entry (read under the lock)."""
        size = os.fstat(fd).st_size
        if size == 0:
            return 0, GENESIS
        chunk = min(size, 65536)
        data = os.pread(fd, chunk, size - chunk)
        lines = [ln for ln in data.split(b"\n") if ln.strip()]
        if not lines:
            return 0, GENESIS
        try:
            last = json.loads(lines[-1])
            return int(last["seq"]), str(last["hash"])
        except (ValueError, KeyError, TypeError):
            # A damaged tail must not stop auditing; the chain break shows in verify.
            return 0, GENESIS

    def _write_head(self, seq: int, digest: str) -> None:
        tmp = self.head_path.with_name(self.head_path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"seq": seq, "hash": digest}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.head_path)

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for raw in fh:
                if raw.strip():
                    try:
                        yield json.loads(raw)
                    except ValueError:
                        continue

    def verify(self) -> AuditVerdict:
        verdict = AuditVerdict(path=self.path)
        if not self.path.exists():
            return verdict
        prev, expected_seq = GENESIS, 1
        try:
            fh = self.path.open("rb")
        except PermissionError:
            raise InputError(f"{self.path}: permission denied") from None
        with fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                verdict.entries += 1
                try:
                    entry = json.loads(raw)
                    if not isinstance(entry, dict):
                        raise ValueError
                except ValueError:
                    verdict.problems.append(f"line {lineno}: not a JSON object (edited or damaged)")
                    prev, expected_seq = "?", expected_seq + 1
                    continue
                seq = entry.get("seq")
                if entry.get("hash") != entry_hash(entry):
                    verdict.problems.append(f"line {lineno} (seq {seq}): content does not match its hash (edited)")
                if prev != "?" and entry.get("prev") != prev:
                    verdict.problems.append(
                        f"line {lineno} (seq {seq}): does not follow the entry before it "
                        "(an entry was removed, inserted or reordered)"
                    )
                if seq != expected_seq:
                    verdict.problems.append(f"line {lineno}: sequence {seq}, expected {expected_seq}")
                prev = str(entry.get("hash"))
                expected_seq = (seq if isinstance(seq, int) else expected_seq) + 1
        try:
            head = json.loads(self.head_path.read_text())
        except FileNotFoundError:
            head = None
            if verdict.entries:
                verdict.problems.append(f"{self.head_path.name} is missing: cannot prove no entry was cut off the end")
        except ValueError:
            head = None
            verdict.problems.append(f"{self.head_path.name} is damaged")
        if isinstance(head, dict) and (head.get("seq") != expected_seq - 1 or head.get("hash") != prev):
            verdict.problems.append(
                f"the log ends at sequence {expected_seq - 1} but its head records "
                f"{head.get('seq')}: entries were cut off the end or the head was altered"
            )
        return verdict


@dataclass
class AuditVerdict:
    path: Path
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
