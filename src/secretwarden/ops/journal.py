"""The project's journals: the rotation log and the incident register.

They are not secrets and not store data: they are the human record an
auditor asks for ("who rotated what, when, why; which incidents were opened
and how they were closed"). Every machine of a team must see the same
record, so each store of the contract keeps the part about its own slots
(`stores.base.SharedJournal`: tables in the embedded store's file, KV v2
metadata under `_warden/journal` in OpenBao, committed files beside the SOPS
files), and `SharedLog` merges the parts by time. docs/team.md has the
threat model.

Each entry carries the hash of the one before it in its store, keyed with a
key derived from the project's fingerprint key (every machine that writes a
store holds it), so an edited, removed, inserted or reordered entry, and a
tail cut below the head, are detected by `verify_part`. An entry also names
the audit head of the machine that wrote it, so a local audit log cut below
that point shows in `warden audit verify` even when its anchor went with it.
The head of the incident register carries the open incidents (`fold_incident`
in verdict.py), which is all `run` and the runtime read: one query or request.

`Journal` is the older per-checkout file beside the audit log, hash-chained
with the audit key and anchored in the key folder. It is still read (so no
record is lost) and is imported into the stores by the first append.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretwarden.audit.log import (
    GENESIS,
    KEYED,
    AuditLog,
    append_keyed,
    audit_key_id,
    entry_hash,
    keyed_hash,
    parse_entry,
    read_head_file,
)
from secretwarden.crypto.derive import same
from secretwarden.errors import (
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    StoreError,
    StoreUnavailable,
    UsageError,
    WardenError,
)
from secretwarden.paths import environment_error, is_state_dir, open_nofollow
from secretwarden.slots import SlotRef
from secretwarden.stores.base import JOURNAL_GENESIS, JournalHead, SharedJournal, SharedStateHolder

if TYPE_CHECKING:
    from secretwarden.ops.workspace import Workspace


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
                    entry = parse_entry(raw)
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
            append_keyed(fd, key, record, seq=len(existing) + 1, prev=prev)
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
                entry = parse_entry(raw)
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


def legacy_journal(audit_path: Path, name: str) -> Journal:
    """A journal as older versions kept it, in this checkout's state folder (imported into the stores)."""
    return Journal(state_dir(audit_path) / f"{name}.jsonl", audit_path)


# --- the shared journals: kept by the contract's stores ---------------------------------------

ROTATION = "rotation"
INCIDENTS = "incidents"
_CHAIN_LABEL = b"secretwarden shared journal chain"
_CHAIN_FIELDS = ("seq", "prev", "alg", "kid", "hash")
# Entries a head may lag without a finding: one writer stops between creating its entry and
# moving the head (a killed process), and the next append moves it.
LAG_ACCEPTED = 1


def chain_key(project: str, root: Path | None) -> bytes | None:
    """The key that chains the shared journals: derived from the project's fingerprint key.

    Every machine that writes a store holds that key already (its fingerprints
    would not match otherwise), so every machine can check every entry;
    someone who can write the store's journal paths but lacks the key cannot
    forge one.
    """
    import hmac

    from secretwarden.crypto.fingerprint import load_fingerprint_key

    key = load_fingerprint_key(project, create=False, forbidden_root=root)
    return None if key is None else hmac.new(key, _CHAIN_LABEL, hashlib.sha256).digest()


def _noop_fold(index: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    return index


def fold_for(name: str) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """What a journal's head keeps besides count and hash: the open incidents for the register."""
    from secretwarden.verdict import fold_incident

    return fold_incident if name == INCIDENTS else _noop_fold


@dataclass
class ChainWriter:
    """`stores.base.JournalWriter`: the caller's entry, sealed into the keyed chain."""

    make: Callable[[JournalHead], dict[str, Any]]
    key: bytes
    fold_fn: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]

    def build(self, head: JournalHead) -> dict[str, Any]:
        return {k: v for k, v in self.make(head).items() if k not in _CHAIN_FIELDS}

    def seal(self, entry: dict[str, Any], seq: int, prev: str) -> dict[str, Any]:
        record = {**entry, "seq": seq, "prev": prev, "alg": KEYED, "kid": chain_key_id(self.key)}
        record["hash"] = keyed_hash(self.key, record)
        return record

    def fold(self, index: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        return self.fold_fn(index, record)


def chain_key_id(key: bytes) -> str:
    from secretwarden.crypto.derive import key_id

    return key_id(key, b"journal chain")[:16]


def _time_of(entry: dict[str, Any]) -> str:
    return str(entry.get("time", ""))


# A store that cannot be reached, is sealed or refuses this user's credentials: a read of every
# store leaves it out and names it (as `status` does). A store whose records fail their checks
# (IntegrityError) is not "down": it stops the read.
STORE_DOWN: tuple[type[StoreError], ...] = (StoreUnavailable, MasterKeyError, PermissionDenied)


@dataclass
class JournalRead:
    """A journal as read now: its entries, and the environments whose store did not answer.

    `unreachable` (env -> why) is filled only by a partial read of every store;
    asked for by environment, a store's error stands."""

    entries: list[dict[str, Any]]
    unreachable: dict[str, str]
    down: frozenset[str] = frozenset()  # the stores that did not answer


def envs_per_store(ws: Workspace) -> dict[str, list[str]]:
    """Store name -> the environments it serves (every store of the contract, [] when it serves none)."""
    out: dict[str, list[str]] = {name: [] for name in ws.loaded.facts.stores}
    for env, store in ws.loaded.facts.env_store.items():
        out.setdefault(store, []).append(env)
    return out


def where_reachable(ws: Workspace, read: Callable[[str, list[str]], None]) -> tuple[dict[str, str], frozenset[str]]:
    """Call `read(store, its envs)` for every store: env -> why for the stores that did not answer,
    and their names.

    A store serving no environment is named `store NAME`. When no store answers,
    the first error is raised: there is nothing to report but the error and its hint."""
    unreachable: dict[str, str] = {}
    down: dict[str, StoreError] = {}
    stores = envs_per_store(ws)
    for store_name, envs in stores.items():
        try:
            read(store_name, envs)
        except STORE_DOWN as exc:
            down[store_name] = exc
            for env in envs or [f"store {store_name}"]:
                unreachable[env] = f"store `{store_name}`: {exc.message}"
    if down and len(down) == len(stores):
        raise next(iter(down.values()))
    return unreachable, frozenset(down)


class SharedLog:
    """One journal of the project (the rotation log or the incident register) across its stores.

    Each store of the contract keeps its own part (`SharedJournal`); an entry
    goes to the store its slot lives in, and the project's journal is every
    part merged by time. Entries of this checkout's older local file that were
    not imported yet are read too, and imported by the first append.
    """

    def __init__(self, ws: Workspace, name: str) -> None:
        self.ws = ws
        self.name = name

    # --- reading ---------------------------------------------------------------

    def parts(self, envs: Iterable[str] | None = None) -> dict[str, SharedJournal]:
        """Store name -> that store's journals (opened for metadata), of every store or of `envs`' stores."""
        if envs is None:
            readers = self.ws.metadata_by_store()
        else:
            readers = {self.ws.contract.store_for(env): self.ws.metadata(env) for env in envs}
        return {name: r.shared_journal() for name, r in readers.items() if isinstance(r, SharedStateHolder)}

    def legacy(self) -> Journal:
        return legacy_journal(self.ws.audit.path, self.name)

    def entries(self, envs: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every entry of every store (or of `envs`' stores: an environment's log never waits on
        another's store), plus this checkout's entries not imported yet, oldest first."""
        return self.read(envs).entries

    def read(self, envs: Iterable[str] | None = None, *, partial: bool = False) -> JournalRead:
        """`entries`, and with `partial` (every store, no `envs`) the stores that do not answer
        are left out and named instead of stopping the read (`JournalRead.unreachable`)."""
        merged: list[dict[str, Any]] = []

        def take(store_name: str, part: SharedJournal) -> None:
            merged.extend({"store": store_name, **e} for e in part.entries(self.name) if "damaged" not in e)

        unreachable: dict[str, str] = {}
        down: frozenset[str] = frozenset()
        if partial and envs is None:

            def read_store(store_name: str, served: list[str]) -> None:
                found = {} if not served else self.parts(served[:1])
                if not served:  # a store no environment uses (yet): opened among every store
                    found = {k: v for k, v in self.parts().items() if k == store_name}
                for name, part in found.items():
                    take(name, part)

            unreachable, down = where_reachable(self.ws, read_store)
        else:
            for store_name, part in self.parts(envs).items():
                take(store_name, part)
        merged += [e for e in self.legacy().entries()]
        return JournalRead(sorted(merged, key=_time_of), unreachable, down)

    # --- writing ---------------------------------------------------------------

    def _writer_part(self, store_name: str) -> SharedJournal:
        store = self.ws.secrets_store(store_name)
        if not isinstance(store, SharedStateHolder):
            raise UsageError(f"store `{store_name}` keeps no shared journals")
        return store.shared_journal()

    def _key(self) -> bytes:
        key = chain_key(self.ws.contract.project, self.ws.root)
        if key is None:
            raise MasterKeyError(
                f"the project's fingerprint key is missing; the shared {self.name} journal is chained with it",
                hint="restore the project's fingerprint key (or WARDEN_FINGERPRINT_KEY) from a backup",
            )
        return key

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        return self.append_with(str(entry.get("store") or self._store_of(entry)), lambda _head: entry)

    def _store_of(self, entry: dict[str, Any]) -> str:
        return self.ws.contract.store_for(str(entry["env"]))

    def append_with(self, store_name: str, make: Callable[[JournalHead], dict[str, Any]]) -> dict[str, Any]:
        """Append `make(head)` to `store_name`'s journal, `make` seeing the head it will follow."""
        part = self._writer_part(store_name)
        key = self._key()
        self.import_legacy(key)
        anchor = self.ws.audit.read_anchor()

        def stamped(head: JournalHead) -> dict[str, Any]:
            entry = dict(make(head))
            entry.setdefault("store", store_name)
            if anchor is not None:  # this machine's audit head: a later cut of its log shows (verify)
                entry["audit"] = {"log": self.ws.audit.log_id, "seq": anchor[0], "hash": anchor[1]}
            return entry

        record = part.append(self.name, ChainWriter(stamped, key, fold_for(self.name)))
        remember_head(part.location, self.name, int(record["seq"]), str(record["hash"]))
        remember_mine(part.location, self.name, [*written_here(part.location, self.name), record])
        return record

    def import_legacy(self, key: bytes) -> int:
        """Move this checkout's older local journal into the stores, once; returns entries imported.

        Each entry keeps its fields and says where it came from; the local file
        is renamed to `<name>.jsonl.imported` (kept, never rewritten), so no
        record is lost and none is imported twice.
        """
        legacy = self.legacy()
        try:
            fd = open_nofollow(legacy.path, os.O_RDONLY, what="journal")
        except FileNotFoundError:
            return 0
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one importer per checkout; the rename ends the others
            if not legacy.path.exists() or os.stat(legacy.path).st_ino != os.fstat(fd).st_ino:
                return 0
            problems = legacy.verify()
            count = 0
            done: dict[str, set[str]] = {}  # per store: entries an interrupted import already moved
            for old in legacy.entries():
                store_name = str(old.get("store") or "")
                if store_name not in self.ws.contract.stores:
                    try:
                        store_name = self._store_of(old)
                    except (KeyError, WardenError):
                        store_name = next(iter(self.ws.contract.stores))
                if store_name not in done:
                    done[store_name] = {
                        str(e["imported"].get("hash"))
                        for e in self._writer_part(store_name).entries(self.name)
                        if isinstance(e.get("imported"), dict)
                    }
                if str(old.get("hash")) in done[store_name]:
                    continue
                body = {k: v for k, v in old.items() if k not in _CHAIN_FIELDS}
                body["imported"] = {"from": legacy.path.name, "seq": old.get("seq"), "hash": old.get("hash")}
                self._writer_part(store_name).append(
                    self.name, ChainWriter(lambda _h, b=body: b, key, fold_for(self.name))  # type: ignore[misc]
                )
                count += 1
            os.replace(legacy.path, legacy.path.with_name(legacy.path.name + ".imported"))
        finally:
            os.close(fd)
        self.ws.audit.append(
            command="journal-import",
            outcome="ok",
            detail=f"{count} {self.name} entries moved from {legacy.path.name} into the stores"
            + (f"; the local chain had {len(problems)} problem(s)" if problems else ""),
        )
        return count

    # --- checking --------------------------------------------------------------

    def verify(self) -> dict[str, list[str]]:
        """Problems per store part (empty lists when intact)."""
        key = chain_key(self.ws.contract.project, self.ws.root)
        out: dict[str, list[str]] = {}
        for store_name, part in self.parts().items():
            seen = seen_head(part.location, self.name)
            entries = part.entries(self.name)
            mine = written_here(part.location, self.name)
            dropped = dropped_entries(entries, mine)
            problems = verify_part(part, self.name, key, self.ws.audit, seen=seen, entries=entries, dropped=dropped)
            try:
                head = part.head(self.name)
            except IntegrityError:  # named by verify_part
                head = JournalHead(-1, "", {})
            if problems or head.seq or seen:
                out[f"store `{store_name}` {self.name} journal ({part.location})"] = problems
            if len(dropped) != len(mine):  # found in the journal now: no longer waiting to be seen
                remember_mine(part.location, self.name, dropped)
            if not problems and head.seq:
                remember_head(part.location, self.name, head.seq, head.digest)
        return out

    def restore_dropped(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Write again the rotation-log entries this machine wrote that the journal lost (a merge
        conflict resolved with the other clone's lines); returns (restored, left to re-make).

        A restored entry keeps its fields, is chained anew after the current head and names the
        entry it replaces (`restored: {seq, hash}`). Incident entries are not written again: their
        number may belong to another incident now, so the change is made again by its command;
        they are returned, and forgotten here, since the command that lists them is the answer."""
        restored: list[dict[str, Any]] = []
        remake: list[dict[str, Any]] = []
        for store_name, part in self.parts().items():
            mine = written_here(part.location, self.name)
            if not mine:
                continue
            dropped = dropped_entries(part.entries(self.name), mine)
            for old in dropped:
                if self.name != ROTATION:
                    remake.append(old)
                    continue
                body = {k: v for k, v in old.items() if k not in _CHAIN_FIELDS and k != "audit"}
                body["restored"] = {"seq": old.get("seq"), "hash": old.get("hash")}
                restored.append(self.append_with(store_name, lambda _head, b=body: b))  # type: ignore[misc]
            remember_mine(part.location, self.name, [])
        return restored, remake


def _seen_path(location: str, name: str) -> Path:
    from secretwarden.dirs import config_dir

    digest = hashlib.sha256(f"{location}#{name}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return config_dir() / "anchors" / f"journal-{digest}.json"


def seen_head(location: str, name: str) -> tuple[int, str] | None:
    """The furthest point of a shared journal this machine wrote or verified, if any."""
    return read_head_file(_seen_path(location, name), what="journal anchor")


def remember_head(location: str, name: str, seq: int, digest: str) -> None:
    """Keep, in the key folder, how far this machine saw a shared journal: a journal later found
    shorter, or different at that point (deleted, cut, rolled back with its head), is reported."""
    from secretwarden.paths import write_atomic

    prior = seen_head(location, name)
    if prior is not None and prior[0] >= seq:
        return
    body = {"journal": location, "name": name, "seq": seq, "hash": digest}
    write_atomic(_seen_path(location, name), json.dumps(body).encode(), mode=0o600)


MINE_KEPT = 200  # entries this machine wrote that it keeps a copy of until `audit verify` finds them


def _mine_path(location: str, name: str) -> Path:
    return _seen_path(location, name).with_suffix(".mine.json")


def written_here(location: str, name: str) -> list[dict[str, Any]]:
    """The entries this machine appended to a shared journal and no `audit verify` found yet.

    Names, times and reasons only (never a value), kept in the key folder: a journal that loses
    one (a SOPS merge conflict resolved with the other clone's lines) is then named precisely,
    and `warden rotation restore` can write a rotation entry again."""
    try:
        data = json.loads(_mine_path(location, name).read_bytes())
    except (OSError, ValueError):
        return []
    entries = data.get("entries") if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def remember_mine(location: str, name: str, entries: list[dict[str, Any]]) -> None:
    from secretwarden.paths import write_atomic

    body = {"journal": location, "name": name, "entries": entries[-MINE_KEPT:]}
    write_atomic(_mine_path(location, name), json.dumps(body, sort_keys=True).encode(), mode=0o600)


def dropped_entries(entries: list[dict[str, Any]], mine: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of `mine` the journal holds neither as written nor as restored."""
    present = {str(e.get("hash")) for e in entries}
    present |= {str(e["restored"].get("hash")) for e in entries if isinstance(e.get("restored"), dict)}
    return [m for m in mine if str(m.get("hash")) not in present]


def _summary(entry: dict[str, Any]) -> str:
    """What an entry recorded, in a few words (names and times, never a value)."""
    slot = "{}:{}/{}".format(entry.get("env"), entry.get("namespace"), entry.get("key"))
    what = str(entry.get("event") or "rotation")
    if entry.get("id"):
        what += f" {entry['id']}"
    return f"{what} of {slot} at {entry.get('time')}"


def verify_part(
    part: SharedJournal,
    name: str,
    key: bytes | None,
    audit: AuditLog | None = None,
    *,
    seen: tuple[int, str] | None = None,
    entries: list[dict[str, Any]] | None = None,
    dropped: list[dict[str, Any]] | None = None,
) -> list[str]:
    """Edits, removals, insertions, reorders and a cut tail of one store's journal; a cut local
    audit log; a journal shorter than, or different from, what this machine saw (`seen`); and
    the entries this machine wrote that it no longer holds (`dropped`, see `written_here`)."""
    problems: list[str] = []
    where = name
    entries = part.entries(name) if entries is None else entries
    try:
        head = part.head(name)
    except IntegrityError:  # a head that cannot be read is a finding here, not a stop
        problems.append(f"{where}: its head is damaged (cannot be read; gates refuse until an append rebuilds it)")
        head = JournalHead(-1, "", {})
    kid = chain_key_id(key) if key is not None else None
    prev = JOURNAL_GENESIS
    index: dict[str, Any] = {}
    fold = fold_for(name)
    mine: dict[str, Any] | None = None
    at_head: tuple[str, dict[str, Any]] = (JOURNAL_GENESIS, {})  # hash and index at the head's entry
    if key is None and entries:
        problems.append(f"{where}: the project's fingerprint key is missing here; entries cannot be authenticated")
    twins = 0  # second lines of one number (a merge that kept both clones' lines)
    last: dict[str, Any] = {}
    for pos, e in enumerate(entries, start=1):
        label = f"{where} entry {e.get('seq', pos)}"
        if "damaged" in e and "hash" not in e:
            problems.append(f"{label}: {e['damaged']}")
            prev = "?"
            continue
        if "hash" in last and e.get("seq") == last.get("seq") and e.get("prev") == last.get("prev"):
            twins += 1
            problems.append(
                f"{label}: two entries with this number follow the same entry — two clones appended at once "
                "and a merge kept both lines; keep the line pushed first, delete the other, then "
                "`warden rotation restore` on the machine that wrote it"
            )
            continue
        last = e
        pos -= twins
        if e.get("seq") != pos:
            problems.append(f"{label}: expected entry {pos} here (entries removed or inserted)")
        if prev != "?" and e.get("prev") != prev:
            problems.append(f"{label}: does not follow the entry before it (removed, inserted or reordered)")
        if key is not None:
            if e.get("alg") != KEYED or e.get("kid") != kid:
                problems.append(f"{label}: not chained with this project's key (forged, or the key was replaced)")
            elif not same(str(e.get("hash")), keyed_hash(key, e)):
                problems.append(f"{label}: content does not match its keyed hash (edited)")
        prev = str(e.get("hash"))
        index = fold(index, e)
        if pos == head.seq:
            at_head = (prev, index)
        anchored = e.get("audit")
        if audit is not None and isinstance(anchored, dict) and anchored.get("log") == audit.log_id:
            mine = anchored
    stored = len(entries) - twins
    behind = stored - head.seq
    if head.seq < 0:
        pass  # named above
    elif 0 < behind <= LAG_ACCEPTED and seen is not None and head.seq < seen[0] and not dropped:
        # Looks like a killed writer, but this machine saw the head (or wrote an entry whose append
        # moved it) at a later entry: a head never moves back, so someone moved it.
        problems.append(
            f"{where}: its head is at entry {head.seq}, but this machine saw it reach entry {seen[0]}: "
            "the head was moved back (a writer killed before moving the head never moves it back)"
        )
    elif 0 < behind <= LAG_ACCEPTED:
        # A writer stopped between its entry and the head (the next append moves the head):
        # the entries past the head passed every check above, so the head only has to match
        # the entry it names.
        prev, index = at_head if head.seq else (JOURNAL_GENESIS, {})
        if head.digest != prev:
            problems.append(f"{where}: its head does not match entry {head.seq} (the head was rewritten)")
        elif head.index != index:
            problems.append(f"{where}: the head's index does not match its entries (edited)")
    elif head.seq != stored or (entries and head.digest != prev):
        problems.append(
            f"{where}: its head records {head.seq} entries, {stored} are stored: "
            + (
                "entries were cut off the end, or the head was rewritten"
                if behind < 0
                else "the head is behind (moved back, or several writers stopped before moving it; "
                "the next append moves it)"
            )
        )
    elif head.index != index:
        problems.append(f"{where}: the head's index does not match its entries (edited)")
    for lost in dropped or []:
        problems.append(
            f"{where}: entry {lost.get('seq')} that this machine wrote ({_summary(lost)}) is not in it any more — "
            "deleted, or dropped when a merge conflict was resolved with the other clone's lines; "
            + (
                "`warden rotation restore` writes it again"
                if name == ROTATION
                else "make that change again with `warden incident`, then `warden rotation restore` forgets it"
            )
        )
    if seen is not None:
        at = entries[seen[0] - 1] if 0 < seen[0] <= len(entries) else None
        replaced_mine = at is not None and any(lost.get("hash") == seen[1] for lost in dropped or [])
        if (at is None or at.get("hash") != seen[1]) and not replaced_mine:  # (named above when mine)
            problems.append(
                f"{where}: this machine saw it reach entry {seen[0]}, which "
                + ("is gone (the journal was deleted, cut or rolled back)" if at is None else "now differs (rewritten)")
            )
    if audit is not None and mine is not None:
        seq = mine.get("seq")
        found = next((x for x in audit.entries() if x.get("seq") == seq), None)
        if found is None or found.get("hash") != mine.get("hash"):
            problems.append(
                f"{where}: records this machine's audit entry {seq}, which the local audit log "
                + ("does not contain (cut or deleted)" if found is None else "holds differently (rewritten)")
            )
    return problems


def rotation_journal(ws: Workspace) -> SharedLog:
    return SharedLog(ws, ROTATION)


def incident_journal(ws: Workspace) -> SharedLog:
    return SharedLog(ws, INCIDENTS)


def restore_dropped_entries(ws: Workspace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`warden rotation restore`: (rotation entries written again, incident entries to make again
    by their command), from every store's journals; see `SharedLog.restore_dropped`."""
    restored, _ = rotation_journal(ws).restore_dropped()
    _, remake = incident_journal(ws).restore_dropped()
    return restored, remake


def incident_register(ws: Workspace, envs: Iterable[str] | None = None) -> dict[tuple[str, SlotRef], str]:
    """(store, slot) -> open incident id, from the head of each store's register (one read each).

    Only the stores of `envs` (default: every store) are asked, so a report on
    one environment never waits on another environment's store.
    """
    from secretwarden.stores.base import shared_index
    from secretwarden.verdict import open_incidents

    if envs is None:
        readers = list(ws.metadata_by_store().values())
    else:
        readers = list({ws.store_for(env): ws.metadata(env) for env in envs}.values())  # store_for: no contract model
    return open_incidents([shared_index(reader, INCIDENTS) for reader in readers], ws.audit.path)


def carry_journals(ws: Workspace, source: str, target: str, envs: Iterable[str]) -> int:
    """Copy the journal entries of `envs` from store `source` to store `target` (`warden migrate`).

    Each copy names the entry it came from (`migrated`), so a second run, or a
    run resumed after a kill, copies only what is missing. Copies name the
    target as their store: once the contract points the environments at it,
    an incident still open stays open there.
    """
    wanted = set(envs)
    src = ws.secrets_store(source)
    if not isinstance(src, SharedStateHolder):
        return 0
    carried = 0
    for name in (ROTATION, INCIDENTS):
        log = SharedLog(ws, name)
        dst = log._writer_part(target)
        done = {str((e.get("migrated") or {}).get("hash")) for e in dst.entries(name) if isinstance(e.get("migrated"), dict)}
        for e in src.shared_journal().entries(name):
            if "damaged" in e or str(e.get("hash")) in done:
                continue
            if e.get("env") is not None and e.get("env") not in wanted:
                continue
            body = {k: v for k, v in e.items() if k not in _CHAIN_FIELDS}
            body["store"] = target
            body["migrated"] = {"from": source, "seq": e.get("seq"), "hash": e.get("hash")}
            log.append_with(target, lambda _head, b=body: b)  # type: ignore[misc]
            carried += 1
    return carried
