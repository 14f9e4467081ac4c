"""The Vault store's bulk write (`write_many`): every path is validated first (reuse,
check-and-set, fingerprint key), then the paths are written concurrently (bounded) and the
records of one-key paths are saved once per group document. Paths are independent in KV: when
the server fails half way, `PartialWrite` says which writes landed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, cast

from secretwarden.errors import (
    ConflictError,
    PartialWrite,
    PermissionDenied,
    UsageError,
    WardenError,
)
from secretwarden.identity import current_user
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    SecretValue,
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    prove_fingerprint_key,
    refuse_reuse,
)
from secretwarden.stores.vault.errors import CasMismatch
from secretwarden.stores.vault.groups import PendingRecord, apply_rows, unapply_rows
from secretwarden.stores.vault.layout import Location, join
from secretwarden.stores.vault.meta import (
    FieldRecord,
    FieldVersion,
    PathRecord,
    encode_record,
    to_us,
)
from secretwarden.stores.vault.path_state import PathState

if TYPE_CHECKING:
    from secretwarden.stores.base import SecretStore

from secretwarden.stores.vault.path_writes import ATTEMPTS, PathWriter


class BulkWriter(PathWriter):
    # --- writing ------------------------------------------------------------------------------

    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        try:
            return self._write_many(requests, actor)
        finally:
            # Group records read for this write are history once it is done (like `_known`):
            # a later write reads its group afresh.
            self._known_groups.clear()
            self._groups_walked.clear()

    def _write_many(self, requests: list[WriteRequest], actor: str | None) -> list[WriteResult]:
        self._require_secrets()
        who = actor or current_user()
        denied = self.denied_fingerprints() if requests else set()
        if requests:
            self._guard_fingerprint_key(requests, denied)
            # Load (or create) the fingerprint key here, once, not racing in the worker threads.
            self.fingerprint(requests[0].value)
            self._learn_meta_cas()
        self._one_env_only(requests)
        results: list[WriteResult | None] = [None] * len(requests)
        # Two writes of one slot in a batch go in successive rounds, so each is a KV version.
        rounds: list[dict[str, list[tuple[int, WriteRequest, Location]]]] = []
        seen: dict[SlotRef, int] = {}
        for i, req in enumerate(requests):
            r = seen.get(req.slot, -1) + 1
            seen[req.slot] = r
            while len(rounds) <= r:
                rounds.append({})
            loc = self.layout.locate(req.slot)
            rounds[r].setdefault(loc.path, []).append((i, req, loc))
        done: list[WriteResult] = []
        for rnd in rounds:
            groups = list(rnd.items())
            # Validate every path before writing any, so a refused write changes nothing.
            states = self._fan_out(lambda g: self._prepare(self._state_for_write(g[0]), g[1], who, denied), groups)
            for _, err in states:
                if err is not None:
                    self._raise(err, done)
            pending: list[PendingRecord] = []
            first = self._record_first(groups, [s[0] for s in states if s[0] is not None], done)

            def write(
                pair: Any, out: list[PendingRecord] = pending, first: dict[str, list[bool]] = first
            ) -> list[WriteResult]:
                return self._write_path(pair[0][1], who, denied, pair[1], out, first.get(pair[0][0]))

            outcome = self._fan_out(write, [(g, s[0]) for g, s in zip(groups, states, strict=True)])
            failure, unrecorded = self._save_pending(pending)
            for (_, items), (res, err) in zip(groups, outcome, strict=True):
                if err is not None:
                    failure = failure or err
                    continue
                assert res is not None
                for (i, _, _), wr in zip(items, res, strict=True):
                    if i in unrecorded:
                        continue
                    results[i] = wr
                    done.append(wr)
            if failure is not None:
                self._raise(failure, done)
        self.stats.values_written += len(done)
        return [r for r in results if r is not None]

    def _record_first(
        self,
        groups: list[tuple[str, list[tuple[int, WriteRequest, Location]]]],
        prepared: list[tuple[PathState, PathRecord, list[tuple[str, FieldVersion]]]],
        done: list[WriteResult],
    ) -> dict[str, list[bool]]:
        """Save the group records of the paths this write creates before writing their values.

        A process killed between the two then leaves every value that landed recorded; an
        entry whose value never landed is ignored, since readers take entries only for paths
        that exist (groups.take_entry). Same number of requests as recording afterwards.
        Returns path -> whether each of its fields is new (for the paths recorded here).
        """
        by_group: dict[str, list[tuple[PendingRecord, list[bool], int]]] = {}
        for (_, items), (st, record, rows) in zip(groups, prepared, strict=True):
            if st.group is None or st.exists or st.kv:
                continue  # records of existing paths are saved after their values, as before
            if st.record_ahead:
                # Another writer's entry is there, its value perhaps still on the way: ours
                # must not take its place (a kill then would leave their value under our
                # fingerprints). The value goes first and the entry follows (merged).
                continue
            old_kv = record.kv
            created = apply_rows(record, rows, [req.slot for _, req, _ in items], st.kv + 1)
            by_group.setdefault(st.group, []).append((PendingRecord(st, record, rows, st.kv + 1, []), created, old_kv))
        saved = self._fan_out(
            lambda pair: self._save_grouped(
                pair[0], [p for p, _, _ in pair[1]], self._known_groups.get(pair[0]), merge=False, first=True
            ),
            list(by_group.items()),
        )
        out: dict[str, list[bool]] = {}
        for (_, members), (ok, err) in zip(by_group.items(), saved, strict=True):
            if err is not None:
                self._raise(err, done)  # nothing of this write's values is written yet
            for item, created, old_kv in members:
                if ok:
                    out[item.st.path] = created
                else:  # recorded after the values instead (a full group, an older policy)
                    unapply_rows(item.record, item.rows, created, old_kv)
        return out

    def _save_pending(self, pending: list[PendingRecord]) -> tuple[BaseException | None, set[int]]:
        """One metadata write per group for the paths a bulk write put there; (the first failure,
        the requests whose data landed but whose record did not)."""
        by_group: dict[str, list[PendingRecord]] = {}
        for item in pending:
            assert item.st.group is not None
            by_group.setdefault(item.st.group, []).append(item)
        saved = self._fan_out(
            lambda pair: self._save_grouped(pair[0], pair[1], self._known_groups.get(pair[0]), merge=True),
            list(by_group.items()),
        )
        failure: BaseException | None = None
        unrecorded: set[int] = set()
        for (_, items), (_, err) in zip(by_group.items(), saved, strict=True):
            if err is not None:
                failure = failure or err
                unrecorded.update(i for item in items for i in item.indices)
        return failure, unrecorded

    def _learn_meta_cas(self) -> None:
        """Group documents are shared by many paths, and records saved before their values must
        not overwrite another writer's: both need a server that checks-and-sets metadata
        (OpenBao). A store that read nothing yet asks once."""
        if self._meta_cas is None:
            self._load_path(join(self.layout.warden_base, "fingerprint-key"))
            if self._group_writes and not self._meta_cas:
                self._group_writes = False
                for st in self._known.values():
                    if st.base_entry is None and st.record is None:
                        st.group = None  # attached while group writes were still expected

    def _one_env_only(self, requests: list[WriteRequest]) -> None:
        """A template without {env} holds one environment: refuse a second one (a migration into
        a store the contract does not route yet would otherwise merge two environments)."""
        if self.layout.template.has("env"):
            return
        envs = set(self.layout.envs) | self._envs_written | {r.slot.env for r in requests}
        if len(envs) > 1:
            raise UsageError(
                f"store `{self.name}` has no {{env}} in its path template ({self.layout.describe()}): "
                f"it holds one environment, not {', '.join(sorted(envs))}",
                hint="write one environment into it (`warden migrate --env E`), or add {env} to its `path`",
            )
        self._envs_written |= envs

    def _guard_fingerprint_key(self, requests: list[WriteRequest], denied: set[str]) -> None:
        """Refuse a lost or different fingerprint key (issue 21.3); record the key's id once.

        The id sits in the custom metadata of `<warden base>/fingerprint-key`. A store
        from before the record proves the key on the slots being written (one read)
        when it has denied fingerprints to protect; otherwise the key is recorded as is.
        """
        if self._fp_key_checked or self._fingerprint is None:
            return
        path = join(self.layout.warden_base, "fingerprint-key")
        try:
            st = self._load(path)
        except PermissionDenied:
            return  # an identity from before this path was in the admin policy: re-run bootstrap
        recorded = st.custom.get("id") if st.exists else None
        has_fps = recorded is not None or bool(denied)
        to_record = check_fingerprint_key(self.name, recorded, self._fingerprint, has_fingerprints=has_fps)
        if to_record is not None:
            metas = [m for m in (self.key_meta(r.slot) for r in requests[:20]) if m is not None]
            # Only read(), fingerprint() and name are used: this layer has them (VaultStore is the SecretStore).
            prove_fingerprint_key(cast("SecretStore", self), metas)
        if recorded is None:
            to_record = to_record or fingerprint_key_id_of(self._fingerprint)
            if to_record is not None:
                # A writer without access to warden's base path (a scoped identity) still writes:
                # the record is made by the next identity that may.
                with contextlib.suppress(CasMismatch, PermissionDenied):
                    self._write_meta(path, {"id": to_record}, 0)
        self._fp_key_checked = True

    @staticmethod
    def _raise(err: BaseException, done: list[WriteResult]) -> None:
        if isinstance(err, CasMismatch):
            err = ConflictError(f"a concurrent writer kept changing the store ({err})")
        if done and isinstance(err, WardenError):
            raise PartialWrite(err, list(done)) from None
        raise err

    def _prepare(
        self, st: PathState, items: list[tuple[int, WriteRequest, Location]], who: str, denied: set[str]
    ) -> tuple[PathState, PathRecord, list[tuple[str, FieldVersion]]]:
        """Check reuse and check-and-set for one path; the rows a write would add."""
        record = st.record or PathRecord()
        if st.kv > record.kv:
            self._adopt(st, record, items)
            self._keep_adopted(st, record)
        rows: list[tuple[str, FieldVersion]] = []
        for _, req, loc in items:
            rec = record.fields.get(loc.field)
            slot = req.slot
            if rec is not None and (rec.namespace, rec.key, rec.instance) != (slot.namespace, slot.key, slot.instance):
                raise ConflictError(
                    f"{slot.label()}: field `{loc.field}` of {self.layout.api('data', loc.path)} "
                    f"already holds {rec.slot(slot.env).label()}"
                )
            newest = rec.newest if rec else 0
            if req.cas is not None and req.cas != newest:
                raise ConflictError(
                    f"{slot.label()}: expected version {req.cas}, found {newest} (written concurrently)"
                )
            fp = self.fingerprint(req.value)
            refuse_reuse(slot, fp, rec.key_meta(slot.env) if rec else None, denied)
            rows.append(
                (
                    loc.field,
                    FieldVersion(
                        n=newest + 1,
                        kv=st.kv + 1,
                        t=to_us(self._clock()),
                        by=who,
                        src=req.source,
                        fp=fp,
                        stamp=req.stamp,
                    ),
                )
            )
        return st, record, rows

    def _adopt(self, st: PathState, record: PathRecord, items: list[tuple[int, WriteRequest, Location]]) -> None:
        """Record fields written outside warden (read from the latest data) before writing."""
        data = self._data(st.path, None) if st.latest_readable() else {}
        when = st.created_us(st.kv) or to_us(self._clock())
        for name, value in (data or {}).items():
            if not isinstance(value, str):
                continue
            self.stats.values_read += 1
            fp = self.fingerprint(SecretValue(value))
            rec = record.fields.get(name)
            if rec is None:
                like = next((req.slot for _, req, loc in items if loc.field == name), items[0][1].slot)
                key = name if like.key != name and like.namespace == items[0][1].slot.namespace else like.key
                rec = record.fields[name] = FieldRecord(like.namespace, key, like.instance)
            cur = rec.current
            if cur is None or cur.fp != fp:
                rec.versions.append(FieldVersion(rec.newest + 1, st.kv, when, "", "external", fp))
        for name, rec in record.fields.items():
            cur = rec.current
            if cur is not None and name not in (data or {}):
                cur.deleted = when
        record.kv = st.kv

    def _keep_adopted(self, st: PathState, record: PathRecord) -> None:
        """Save adopted versions at once, so a write refused next does not drop them.

        Typically the values of a warden run that died between its KV write and its
        metadata write: without this, every later run would see them as missing.
        """
        try:
            self._save(st, record)
        except CasMismatch:
            return  # another writer saved meanwhile; this write's own checks re-read
        if st.group is None:
            st.mv = self._load_path(st.path).mv

    def _write_path(
        self,
        items: list[tuple[int, WriteRequest, Location]],
        who: str,
        denied: set[str],
        prepared: tuple[PathState, PathRecord, list[tuple[str, FieldVersion]]] | None,
        pending: list[PendingRecord] | None = None,
        recorded: list[bool] | None = None,
    ) -> list[WriteResult]:
        """Write one path's data and record it; a record kept in a group document is appended
        to `pending` (saved with the rest of its group by the caller) when given.

        `recorded`: the record, rows included, was saved before the value (`_record_first`;
        the list says which fields are new), so only the value is written here.
        """
        path = items[0][2].path
        mine: dict[str, str] | None = None  # the path's custom_metadata as a record-first save wrote it
        for _ in range(ATTEMPTS):
            if prepared is None:
                prepared = self._prepare(self._load(path), items, who, denied)
            st, record, rows = prepared
            prepared = None
            if recorded is None and st.group is None and st.kv == 0 and self._meta_cas and self._first_ok(st, record):
                try:
                    recorded, mine = self._record_path_first(st, record, rows, items)
                except CasMismatch:
                    continue  # another writer saved the path's record meanwhile: re-read
            fields: dict[str, str | None] = {loc.field: req.value.reveal() for _, req, loc in items}
            try:
                new_kv = self._write_data(st, fields)
            except CasMismatch:
                landed = self._landed(st, fields, recorded=recorded is not None)
                if landed is None:
                    if mine is not None:
                        # Another writer created the path: the record saved for our value goes.
                        self._restore_meta(st, mine)
                    elif recorded is not None:
                        self._drop_entry(st)  # the same, for an entry in the namespace's group
                    recorded, mine = None, None
                    continue  # someone wrote the path meanwhile: re-read and check again
                st, new_kv = landed
            if recorded is not None:
                if new_kv != record.kv:  # cannot happen for a creation with check-and-set; stay right
                    for _, row in rows:
                        row.kv = new_kv
                    record.kv = new_kv
                    if st.group is None:
                        self._save_path(self._load_path(path), record)
                    else:
                        self._save_grouped(st.group, [PendingRecord(st, record, [], new_kv, [])], None, merge=False)
                return [
                    WriteResult(req.slot, row.n, c)
                    for (_, req, _), (_, row), c in zip(items, rows, recorded, strict=True)
                ]
            created = apply_rows(record, rows, [req.slot for _, req, _ in items], new_kv)
            if st.group is None:
                self._commit_meta(st, record, rows, new_kv)
            elif pending is not None:
                pending.append(PendingRecord(st, record, rows, new_kv, [i for i, _, _ in items]))
            else:
                self._save_grouped(st.group, [PendingRecord(st, record, rows, new_kv, [])], None, merge=True)
            return [
                WriteResult(req.slot, row.n, c) for (_, req, _), (_, row), c in zip(items, rows, created, strict=True)
            ]
        raise ConflictError(f"{self.layout.api('data', path)}: too many concurrent writers, gave up")

    @staticmethod
    def _first_ok(st: PathState, record: PathRecord) -> bool:
        """Whether this path's record may go before its value. Not when another writer's record
        is ahead of the path (its value may still land: ours would take its place, and a kill
        then would leave their value under our fingerprints); the record follows the value,
        as for an existing path. Not for a record with history pages (one write saves it)."""
        return not st.record_ahead and not record.pages

    def _record_path_first(
        self,
        st: PathState,
        record: PathRecord,
        rows: list[tuple[str, FieldVersion]],
        items: list[tuple[int, WriteRequest, Location]],
    ) -> tuple[list[bool], dict[str, str]]:
        """Save the record of a path that holds no value yet (keys are fields of one secret), with
        the rows of the version this write will create, before the value: a process killed
        between the two leaves no value unrecorded, and readers drop rows of a version the path
        does not have (reading.py). Same two requests as recording afterwards. Metadata
        check-and-set ("must not exist" for a new path) keeps another writer's record safe: it
        raises CasMismatch. Returns whether each field is new, and the custom_metadata written.
        """
        old_kv = record.kv
        created = apply_rows(record, rows, [req.slot for _, req, _ in items], st.kv + 1)
        try:
            custom = encode_record(record, st.foreign, f"{self.name}:{self.layout.api('metadata', st.path)}")
            self._write_meta(st.path, custom, st.mv if st.exists else 0)
        except BaseException:
            unapply_rows(record, rows, created, old_kv)
            raise
        return created, custom

    @staticmethod
    def _same_ahead(st: PathState, fresh: PathState) -> bool:
        """Whether the record describing the new version is the one `st` found ahead of the path
        before this write (a writer that died, or whose value lost to ours): it is not a newer
        writer's claim on that version, so the data decides whose the version is."""
        if not st.record_ahead:
            return False
        if st.group is not None:
            return fresh.base_entry is not None and fresh.base_entry == st.base_entry
        return bool(fresh.custom) and fresh.custom == st.custom

    def _landed(
        self, st: PathState, fields: dict[str, str | None], *, recorded: bool = False
    ) -> tuple[PathState, int] | None:
        """After a check-and-set failure: did our own earlier attempt commit (answer lost)?

        Only the version right after the one we checked against can be ours, and
        only if it holds exactly the values we sent; then the write is done and
        just its metadata is missing. Otherwise a concurrent writer won. (`recorded`:
        the record of that version is ours, saved before the value.)
        """
        import hmac

        fresh = self._load(st.path)
        if fresh.kv != st.kv + 1:
            return None
        if not recorded and fresh.record is not None and fresh.record.kv > st.kv and not self._same_ahead(st, fresh):
            return None  # another writer recorded that version before writing it: theirs
        data = self._data(st.path, fresh.kv) or {}
        for name, value in fields.items():
            found = data.get(name)
            if value is None:
                if found is not None:
                    return None
            elif not isinstance(found, str) or not hmac.compare_digest(found.encode(), value.encode()):
                return None
        with self._lock:
            self.reclaimed += 1
        return fresh, fresh.kv
