"""The sops store's shared journals: plaintext files committed beside the encrypted ones.

    <base>/_warden/<name>.jsonl       one entry per line (names, times, reasons; never a value)
    <base>/_warden/<name>.head.json   entry count, last hash and the index (open incidents)

`<base>` is the store's base folder (the leading folders of its file
template). Contract names cannot start with `_`, so `_warden` never collides
with an environment or a namespace, and its files never match the store's
`*.enc.*` templates. Both files are ordinary text for code review: a pull
request shows each new entry as one added line.

On one machine appends take an exclusive lock on the journal file, so
processes keep one chain. Between clones, git is the check-and-set: two
clones that appended concurrently change the same last lines, and the second
push or merge stops at a conflict instead of losing an entry (docs/team.md
says how to resolve it). Each entry is keyed and chained by the caller
(ops/journal.py), so an edit, a removal or a reorder made in a commit shows in
`warden audit verify`.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from secretwarden.paths import environment_error, open_nofollow, write_atomic
from secretwarden.stores.base import JournalHead, JournalWriter
from secretwarden.stores.journal_head import damaged_head

FOLDER = "_warden"


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def _parse_lines(raw: bytes) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            entry = None
        out.append(entry if isinstance(entry, dict) else {"seq": n, "damaged": f"line {n} is not a JSON object"})
    return out


class SopsJournal:
    """`stores.base.SharedJournal` as files in the repository."""

    def __init__(self, base_dir: Path) -> None:
        self.folder = base_dir / FOLDER
        self.location = str(self.folder)

    def _entries_path(self, name: str) -> Path:
        return self.folder / f"{name}.jsonl"

    def _head_path(self, name: str) -> Path:
        return self.folder / f"{name}.head.json"

    def _read(self, path: Path) -> bytes | None:
        try:
            fd = open_nofollow(path, os.O_RDONLY, what="journal")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise environment_error(exc, path, "journal") from None
        with os.fdopen(fd, "rb") as fh:
            return fh.read()

    def head(self, name: str) -> JournalHead:
        raw = self._read(self._head_path(name))
        if raw is None:
            return JournalHead()
        try:
            data = json.loads(raw)
            return JournalHead(int(data["seq"]), str(data["hash"]), dict(data.get("index") or {}))
        except (ValueError, KeyError, TypeError):
            raise damaged_head(str(self._head_path(name)), name) from None  # gates never guess the open incidents

    def entries(self, name: str) -> list[dict[str, Any]]:
        raw = self._read(self._entries_path(name))
        return [] if raw is None else _parse_lines(raw)

    def append(self, name: str, writer: JournalWriter) -> dict[str, Any]:
        path = self._entries_path(name)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = open_nofollow(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644, what="journal")
        except OSError as exc:
            raise environment_error(exc, path, "journal") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # The head is rebuilt from the entries under the lock: the file is the truth,
            # the head file only spares readers the fold.
            size = os.fstat(fd).st_size
            entries = _parse_lines(os.pread(fd, size, 0)) if size else []
            seq, digest, index = 0, JournalHead().digest, dict[str, Any]()
            for e in entries:
                seq, digest, index = seq + 1, str(e.get("hash", "")), writer.fold(index, e)
            head = JournalHead(seq, digest, index)
            record = writer.seal(writer.build(head), seq + 1, digest)
            if size and os.pread(fd, 1, size - 1) != b"\n":
                os.write(fd, b"\n")  # a file edited by hand may lack its last newline
            os.write(fd, _line(record))
            os.fsync(fd)
            new_head = {"seq": seq + 1, "hash": record["hash"], "index": writer.fold(index, record)}
            write_atomic(self._head_path(name), json.dumps(new_head, sort_keys=True, indent=1).encode() + b"\n")
        except OSError as exc:
            raise environment_error(exc, path, "journal") from None
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return record
