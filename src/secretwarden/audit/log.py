"""The audit log: one JSON line per value read, write, delete and `run`.

Entries carry who, what and where (user, pid, command, service, environment,
namespace, key, version, outcome), never a value. Each entry holds the hash
of the previous one and its own hash over its canonical JSON, so an edited,
removed or reordered entry breaks the chain.

Keyed chain. The hash is an HMAC-SHA256 under the project's audit key
(crypto/audit_key.py), which is kept outside the repository: someone who can
write `.warden/` can delete or edit entries, but cannot recompute the chain.
Logs written before keyed entries existed verify as a plain SHA-256 prefix;
the first keyed entry continues that chain (its `prev` is the last unkeyed
hash) and from then on an unkeyed entry is tampering.

Anchor. After every append the last sequence number and hash are written to
an anchor file in the key folder (outside the log's folder), so cutting
entries off the end, or deleting the log with its head, is detected. A store
that keeps an anchor too (`stores.base.AuditAnchored`) is checked by
`ops/audit_check.py`.

Appends take an exclusive `flock`, so concurrent processes keep one chain.
Files are opened without following symlinks.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from secretwarden import json_codec
from secretwarden.crypto.derive import hmac_sha256, same, sha256_hex
from secretwarden.errors import InputError, MasterKeyError, StoreUnavailable, WardenError
from secretwarden.identity import current_user
from secretwarden.paths import config_dir, environment_error, open_nofollow

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any

GENESIS = "0" * 64
KEYED = "hmac-sha256"
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
_TAIL_CHUNK = 65536


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry is hashed and written as (shared with ops/journal.py)."""
    return json_codec.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def entry_hash(entry: dict[str, Any]) -> str:
    """Unkeyed SHA-256 of an entry (journals, and audit logs from before keyed chains)."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return sha256_hex(canonical(body))


def keyed_hash(key: bytes, entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hmac_sha256(key, canonical(body)).hex()


def append_keyed(fd: int, key: bytes, record: dict[str, Any], *, seq: int, prev: str) -> None:
    """Chain `record` in as entry `seq` after the entry whose hash is `prev`, and write it durably
    to the end of the open, locked file `fd` (the audit log and ops/journal.py's journals)."""
    record["seq"] = seq
    record["prev"] = prev
    record["alg"] = KEYED
    record["kid"] = audit_key_id(key)
    record["hash"] = keyed_hash(key, record)
    os.write(fd, canonical(record) + b"\n")
    os.fsync(fd)


def audit_key_id(key: bytes) -> str:
    """Which audit key made an entry (an HMAC of a label, never the key)."""
    from secretwarden.crypto.derive import key_id

    return key_id(key, b"audit key")[:16]


def log_id(path: Path) -> str:
    """A stable name for one log (its absolute location), used to find its anchor."""
    try:
        where = str(path.resolve())
    except OSError:
        where = str(path.absolute())
    return sha256_hex(where.encode("utf-8", "surrogateescape"))[:24]


def anchor_path(path: Path) -> Path:
    return config_dir() / "anchors" / f"audit-{log_id(path)}.json"


class AuditLog:
    """The hash-chained JSONL audit log of one project (keyed chain, head anchored outside its folder).

    A plain class rather than a dataclass: `warden run`'s fast path appends its entry through
    one, and creating a dataclass costs start-up (value_class.py).
    """

    def __init__(
        self,
        path: Path,
        project: str | None = None,
        repo_root: Path | None = None,
        after_append: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.path = path
        self.project = project  # names the audit key; None: "default"
        self.repo_root = repo_root  # no key is ever created inside it
        # Called with each appended entry (e.g. to anchor it in the stores written meanwhile).
        self.after_append = after_append

    def __repr__(self) -> str:
        return f"AuditLog(path={self.path!r}, project={self.project!r}, repo_root={self.repo_root!r})"

    @property
    def head_path(self) -> Path:
        """The in-folder head of logs from before anchors moved to the key folder (read only)."""
        return self.path.with_name(self.path.name + ".head")

    @property
    def anchor_path(self) -> Path:
        return anchor_path(self.path)

    @property
    def log_id(self) -> str:
        return log_id(self.path)

    def chain_key(self, *, create: bool) -> bytes | None:
        from secretwarden.crypto.audit_key import load_audit_key

        return load_audit_key(self.project_name(), create=create, forbidden_root=self.repo_root)

    def project_name(self) -> str:
        """The project whose key signs this log; a caller that does not know it (an old
        fast path) finds it in the anchor, which records it."""
        if self.project:
            return self.project
        try:
            fd = open_nofollow(self.anchor_path, os.O_RDONLY, what="audit anchor")
        except (FileNotFoundError, StoreUnavailable):
            return "default"
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(4096)
        try:
            found = json_codec.loads(raw).get("project")
        except (ValueError, AttributeError, RecursionError):
            found = None
        return found if isinstance(found, str) and found else "default"

    def _check_folder(self) -> None:
        folder = self.path.parent
        if self.repo_root is not None and folder.is_symlink():
            raise StoreUnavailable(
                f"{folder}: the audit log's folder is a symlink; warden does not write through it",
                hint="replace the symlink with a real folder (a cloned repository may have shipped it)",
            )

    def append(self, **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {k: fields[k] for k in ALLOWED_FIELDS if fields.get(k) is not None}
        record["time"] = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        record["user"] = current_user()
        record["pid"] = os.getpid()
        self._check_folder()
        from secretwarden.paths import ensure_private_dir, is_state_dir

        try:
            ensure_private_dir(self.path.parent, tighten=is_state_dir(self.path.parent))
        except OSError as exc:
            raise environment_error(exc, self.path.parent, "audit log's folder") from None
        fd = open_nofollow(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600, what="audit log")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq, prev = self._tail(fd)
            anchor = self.read_anchor()
            if seq == 0 and anchor is not None and anchor[0] > 0:
                raise self._log_gone(anchor[0])
            # A new key only for a log that has no keyed entry yet: a key minted for a
            # keyed log would make every earlier entry look forged.
            # This user's anchor exists only once they appended with their key: then a
            # missing key was lost, and a new one would make their entries look forged.
            key = self.chain_key(create=anchor is None)
            if key is None:
                raise self._key_gone()
            append_keyed(fd, key, record, seq=seq + 1, prev=prev)
            self.write_anchor(record["seq"], record["hash"])
        except OSError as exc:
            raise environment_error(exc, self.path, "audit log") from None
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        if self.after_append is not None:
            self.after_append(record)
        return record

    def ready(self) -> None:
        """Raise now what `append` would refuse whatever the moment: a key file others can read
        (or a symlink), a lost key, a log deleted under its anchor, a symlinked folder. A command
        that writes or reads a value asks first, so such a refusal stops it before the store is
        touched instead of after (the write would be done, its entry missing)."""
        self._check_folder()
        anchor = self.read_anchor()
        if anchor is not None and anchor[0] > 0:
            try:
                empty = self.path.lstat().st_size == 0
            except FileNotFoundError:
                empty = True
            if empty:
                raise self._log_gone(anchor[0])
        if self.chain_key(create=False) is None and anchor is not None:
            raise self._key_gone()

    def _log_gone(self, entries: int) -> StoreUnavailable:
        return StoreUnavailable(
            f"{self.path}: the audit log is missing or empty, but its anchor records "
            f"{entries} entries (deleted or replaced)",
            hint="restore the log from a backup; `warden audit verify` explains, "
            f"and removing {self.anchor_path} starts a new log on purpose",
        )

    def _key_gone(self) -> MasterKeyError:
        return MasterKeyError(
            f"{self.path}: the audit key ({_key_file(self.project_name())}) is missing, "
            "and the log's entries were made with it",
            hint="restore the audit key from a backup; without it the log cannot be continued or verified",
        )

    def _tail(self, fd: int) -> tuple[int, str]:
        """Sequence number and hash of the last entry (read under the lock).

        Reads backwards until the last line is whole, so a long entry never
        restarts the chain.
        """
        size = os.fstat(fd).st_size
        end = size
        while end > 0:  # skip trailing newlines and blanks
            b = os.pread(fd, 1, end - 1)
            if b not in (b"\n", b"\r", b" "):
                break
            end -= 1
        if end == 0:
            return 0, GENESIS
        start, buf = end, b""
        while start > 0:
            step = min(_TAIL_CHUNK, start)
            start -= step
            buf = os.pread(fd, step, start) + buf
            nl = buf.rfind(b"\n")
            if nl != -1:
                buf = buf[nl + 1 :]
                break
        last = buf
        try:
            entry = json_codec.loads(last)
            return int(entry["seq"]), str(entry["hash"])
        except (ValueError, KeyError, TypeError, RecursionError):
            # A damaged tail must not stop auditing: continue from the anchor when
            # there is one; the damage itself shows in verify().
            anchor = self.read_anchor()
            return anchor if anchor is not None else (0, GENESIS)

    def maybe_shared(self) -> bool:
        """A log outside the checkout (`audit.path` pointing to a team folder) may hold
        entries of several users, each under their own key."""
        if self.repo_root is None:
            return True
        try:
            return not self.path.resolve().is_relative_to(self.repo_root.resolve())
        except OSError:
            return True

    def read_anchor(self) -> tuple[int, str] | None:
        return read_head_file(self.anchor_path, what="audit anchor")

    def write_anchor(self, seq: int, digest: str) -> None:
        from secretwarden.paths import write_atomic

        body = {"log": str(self.path), "project": self.project_name(), "seq": seq, "hash": digest}
        write_atomic(self.anchor_path, json_codec.dumps(body).encode(), mode=0o600)

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every parseable entry (JSON objects only); damage shows in `verify`, not here."""
        try:
            fd = open_nofollow(self.path, os.O_RDONLY, what="audit log")
        except FileNotFoundError:
            return
        with os.fdopen(fd, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    entry = parse_entry(raw)
                    if entry is not None:
                        yield entry

    def verify(self) -> AuditVerdict:
        verdict = AuditVerdict(path=self.path)
        try:
            key = self.chain_key(create=False)
        except WardenError as exc:
            verdict.problems.append(f"the audit key cannot be read: {exc}")
            key = None
        anchor = self.read_anchor()
        try:
            fd = open_nofollow(self.path, os.O_RDONLY, what="audit log")
        except FileNotFoundError:
            if anchor is not None and anchor[0] > 0:
                verdict.problems.append(
                    f"the log is missing, but its anchor ({self.anchor_path}) records {anchor[0]} entries: "
                    "the log was deleted"
                )
            return verdict
        except StoreUnavailable as exc:
            raise InputError(exc.message, hint=exc.hint) from None
        prev, expected_seq, keyed_seen, missing_key_said = GENESIS, 1, False, False
        own_kid = audit_key_id(key) if key is not None else None
        seen: dict[int, str] = {}
        try:
            with os.fdopen(fd, "rb") as fh:
                for lineno, raw in enumerate(fh, start=1):
                    if not raw.strip():
                        continue
                    verdict.entries += 1
                    entry = parse_entry(raw)
                    if entry is None:
                        verdict.problems.append(f"line {lineno}: not a JSON object (edited or damaged)")
                        prev, expected_seq = "?", expected_seq + 1
                        continue
                    seq = entry.get("seq")
                    label = f"line {lineno} (seq {seq if isinstance(seq, int) else '?'})"
                    if entry.get("alg") == KEYED:
                        keyed_seen = True
                        if key is None:
                            if not missing_key_said:
                                verdict.problems.append(
                                    f"the audit key is missing: keyed entries cannot be checked "
                                    f"(restore {_key_file(self.project_name())})"
                                )
                                missing_key_said = True
                        elif entry.get("kid") not in (None, own_kid):
                            # A log shared by several users: another user's key made it.
                            verdict.foreign += 1
                        elif not same(str(entry.get("hash")), keyed_hash(key, entry)):
                            verdict.problems.append(f"{label}: content does not match its keyed hash (edited or forged)")
                    elif keyed_seen:
                        verdict.problems.append(f"{label}: an unkeyed entry after keyed ones (rewritten)")
                    elif entry.get("hash") != entry_hash(entry):
                        verdict.problems.append(f"{label}: content does not match its hash (edited)")
                    if prev != "?" and entry.get("prev") != prev:
                        verdict.problems.append(
                            f"{label}: does not follow the entry before it "
                            "(an entry was removed, inserted or reordered)"
                        )
                    if seq != expected_seq:
                        verdict.problems.append(f"line {lineno}: sequence {seq!r:.40}, expected {expected_seq}")
                    prev = str(entry.get("hash"))
                    if isinstance(seq, int):
                        seen[seq] = prev
                    expected_seq = (seq if isinstance(seq, int) and not isinstance(seq, bool) else expected_seq) + 1
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read the audit log ({os.strerror(exc.errno or 0)})") from None
        last_seq = expected_seq - 1
        if verdict.foreign and not self.maybe_shared():
            verdict.problems.append(
                f"{verdict.foreign} entries claim another audit key than this machine's: a log in the "
                "checkout is written with one key, so they were forged or the key was replaced"
            )
        if anchor is not None:
            # The anchor names the last entry this user appended; others may have appended
            # since (a shared log), so it must be in the log, not necessarily at its end.
            if seen.get(anchor[0]) != anchor[1]:
                verdict.problems.append(
                    f"the log ends at sequence {last_seq}; its anchor records entry {anchor[0]}, which "
                    + ("it does not contain" if anchor[0] not in seen else "differs")
                    + ": entries were cut off the end, or the log was rewritten"
                )
        elif keyed_seen:
            verdict.problems.append(
                f"the anchor {self.anchor_path} is missing: cannot prove no entry was cut off the end"
            )
        else:
            self._verify_legacy_head(verdict, last_seq, prev)
        return verdict

    def _verify_legacy_head(self, verdict: AuditVerdict, last_seq: int, prev: str) -> None:
        """Logs from before anchors: the head file beside the log."""
        try:
            head = json_codec.loads(self.head_path.read_bytes())
        except FileNotFoundError:
            if verdict.entries:
                verdict.problems.append(f"{self.head_path.name} is missing: cannot prove no entry was cut off the end")
            return
        except (ValueError, OSError):
            verdict.problems.append(f"{self.head_path.name} is damaged")
            return
        if not isinstance(head, dict) or head.get("seq") != last_seq or head.get("hash") != prev:
            verdict.problems.append(
                f"the log ends at sequence {last_seq} but its head records "
                f"{head.get('seq') if isinstance(head, dict) else '?'!r:.40}: "
                "entries were cut off the end or the head was altered"
            )


def _key_file(project: str) -> Path:
    from secretwarden.crypto.audit_key import audit_key_path

    return audit_key_path(project)


def parse_entry(raw: bytes) -> dict[str, Any] | None:
    """One JSONL line of a chained log as a dict; None for anything else (`verify` reports it)."""
    try:
        entry = json_codec.loads(raw)
    except (ValueError, RecursionError):
        return None
    return entry if isinstance(entry, dict) else None


class AuditVerdict:
    """What `audit verify` found: entries checked and one line per problem."""

    def __init__(self, path: Path, entries: int = 0, problems: list[str] | None = None, foreign: int = 0) -> None:
        self.path = path
        self.entries = entries
        self.problems: list[str] = [] if problems is None else problems
        # keyed entries made with another user's audit key (a shared log): not checkable here
        self.foreign = foreign

    def __repr__(self) -> str:
        return f"AuditVerdict(path={self.path!r}, entries={self.entries}, problems={self.problems!r}, foreign={self.foreign})"

    @property
    def ok(self) -> bool:
        return not self.problems


def read_head_file(path: Path, *, what: str) -> tuple[int, str] | None:
    """(sequence number, hash) of a chain's head kept in a small JSON file (an audit anchor, a
    journal's furthest point seen); None when absent or unreadable, which every caller treats
    as "no anchor" and `verify` reports."""
    try:
        fd = open_nofollow(path, os.O_RDONLY, what=what)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(4096)
    try:
        data = json_codec.loads(raw)
        return int(data["seq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError):
        return None
