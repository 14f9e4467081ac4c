"""The Vault store's path-writing layer: one path's KV write (check-and-set), its metadata write,
and the save of its record, on the path itself (with history pages) or in its namespace's
group document; plus which state a write starts from (what `list_meta` just read).
"""

from __future__ import annotations

from typing import Any

from secretwarden.errors import (
    ConflictError,
    PermissionDenied,
    StoreError,
)
from secretwarden.stores.vault.errors import CasMismatch
from secretwarden.stores.vault.groups import (
    GroupState,
    PendingRecord,
    entries_to_save,
    group_of,
    note_absent,
)
from secretwarden.stores.vault.meta import (
    FieldVersion,
    PathRecord,
    encode_group,
    encode_record,
    merged,
)
from secretwarden.stores.vault.path_state import PathState
from secretwarden.stores.vault.reading import VaultReader

ATTEMPTS = 6


def _under(path: str, base: str) -> bool:
    return not base or path.startswith(base + "/")


class PathWriter(VaultReader):
    def _touched(self, path: str) -> None:
        """A write went to `path`: what `list_meta` knew of it is history now."""
        self._known.pop(path, None)
        for (_, base), found in self._walked.items():
            if _under(path, base):
                found.add(path)

    def _forget(self, path: str) -> None:
        self._peeked.pop(path, None)
        self._touched(path)
        for k in [k for k in self._data_cache if k[0] == path]:
            del self._data_cache[k]

    def _write_data(self, st: PathState, fields: dict[str, str | None]) -> int:
        """One KV write with check-and-set on the path's current version; returns the new version.

        Check-and-set makes the write safe to resend after a lost answer (a leader
        killed after committing): the resend fails the check instead of adding a
        version, and `_write_path` then recognises its own write (`_landed`).
        """
        self._require_secrets()
        what = self.layout.api("data", st.path)
        body = {"options": {"cas": st.kv}}
        url = self._url("data", st.path)
        if st.kv and st.latest_readable():
            patch = {**body, "data": fields}
            merge = "application/merge-patch+json"
            resp = self._call(
                lambda: self._send(
                    "PATCH", url, patch,
                    lambda: self.client.adapter.request("PATCH", url, json=patch, headers={"Content-Type": merge}),
                    content_type=merge,
                ),
                what,
                "patch",
            )
        else:
            create = {**body, "data": {k: v for k, v in fields.items() if v is not None}}
            resp = self._call(
                lambda: self._send("POST", url, create, lambda: self.client.adapter.post(url, json=create)),
                what,
                "create",
            )
        self._forget(st.path)
        return int(resp["data"]["version"])

    def _write_meta(self, path: str, custom: dict[str, str], mv: int | None) -> None:
        self._peeked.pop(path, None)
        self._peek_groups[1].pop(path, None)
        self._touched(path)
        payload: dict[str, Any] = {"custom_metadata": custom}
        # A creation always says "must not exist" (servers without metadata check-and-set ignore it).
        if mv is not None and (self._meta_cas or mv == 0):
            payload["metadata_cas"] = mv
        if self._max_versions is not None:
            payload["max_versions"] = self._max_versions
        url = self._url("metadata", path)
        self._call(
            lambda: self._send("POST", url, payload, lambda: self.client.adapter.post(url, json=payload)),
            self.layout.api("metadata", path),
            "update",
        )

    def _save(self, st: PathState, record: PathRecord) -> None:
        if st.group is not None:
            self._save_grouped(st.group, [PendingRecord(st, record, [], record.kv, [])], None, merge=False)
            return
        self._save_path(st, record)

    def _save_path(self, st: PathState, record: PathRecord) -> None:
        where = f"{self.name}:{self.layout.api('metadata', st.path)}"
        while True:
            try:
                main = encode_record(record, st.foreign, where)
                break
            except StoreError:
                # Too many versions for one path: the oldest superseded ones go to a history page.
                if not record.archive_oldest(400):
                    raise
        # Pages first, the path last: until the path's header counts a page, readers ignore it.
        for page in range(record.pages):
            custom = encode_record(record, {}, self._page_path(st.path, page), page)
            if custom != st.page_custom.get(page):
                self._write_meta(self._page_path(st.path, page), custom, None)
                st.page_custom[page] = custom
        self._write_meta(st.path, main, st.mv)

    def _save_grouped(
        self, gpath: str, items: list[PendingRecord], gs: GroupState | None, *, merge: bool, first: bool = False
    ) -> bool:
        """Save the records of paths of one group in one metadata write (check-and-set).

        Another writer may have saved the document meanwhile: entries of other paths are
        kept as they are now; an entry of ours that changed since we read it is merged
        (`merge`: our new rows go on top of theirs) or, for a single change, reported as
        CasMismatch so the caller re-reads. When the document is full, these records go
        to their paths' own custom_metadata instead (which readers prefer).

        `first`: records saved before their paths' values (bulk_write.py): instead of going
        to the paths, or merging with a record saved meanwhile, it returns False and the
        caller records after the values as usual. True: saved.
        """
        where = f"{self.name}:{self.layout.api('metadata', gpath)}"
        for _ in range(ATTEMPTS):
            if gs is None:
                try:
                    gs = self._load_group(gpath)
                except PermissionDenied:
                    if first:
                        return False
                    self._save_on_paths(items, merge=merge)  # an identity from before group records
                    return True
                if first and all(gs.entries.get(i.st.rel) == i.record.to_json() for i in items):
                    # Our own write landed though its answer was lost (a leader killed after committing).
                    for item in items:
                        item.st.base_entry = gs.entries[item.st.rel]
                    return True
            try:
                entries = entries_to_save(gs, items, where, merge=merge and not first)
                custom = encode_group(entries, gs.foreign, where)
            except CasMismatch:
                if first:
                    return False
                raise
            except StoreError:
                if first:
                    return False
                self._save_on_paths(items, merge=merge)  # the group is full
                return True
            try:
                self._write_meta(gpath, custom, gs.mv if gs.exists else 0)
            except CasMismatch:
                gs = None
                continue
            except PermissionDenied:
                if first:
                    return False
                # A namespace admin whose policy predates group records may still write its paths.
                self._save_on_paths(items, merge=merge)
                return True
            gs.exists, gs.mv, gs.entries = True, gs.mv + 1, entries
            for item in items:
                item.st.base_entry = entries[item.st.rel]
            return True
        raise ConflictError(f"{self.layout.api('metadata', gpath)}: too many concurrent metadata writers")

    def _drop_entry(self, st: PathState) -> None:
        """Remove the entry a record-first write saved for `st` (its value did not land: another
        writer created the path), unless someone changed the entry since."""
        assert st.group is not None
        where = f"{self.name}:{self.layout.api('metadata', st.group)}"
        for _ in range(ATTEMPTS):
            gs = self._load_group(st.group)
            if st.rel not in gs.entries or gs.entries[st.rel] != st.base_entry:
                break
            entries = {k: v for k, v in gs.entries.items() if k != st.rel}
            try:
                self._write_meta(st.group, encode_group(entries, gs.foreign, where), gs.mv)
            except CasMismatch:
                continue
            break
        else:
            raise ConflictError(f"{self.layout.api('metadata', st.group)}: too many concurrent metadata writers")
        st.base_entry = None
        self._known_groups.pop(st.group, None)

    def _restore_meta(self, st: PathState, mine: dict[str, str]) -> None:
        """Put back the custom_metadata `st` was read with, replacing the record a record-first
        write saved there (its value did not land: another writer created the path), unless
        someone saved the path's metadata since."""
        for _ in range(ATTEMPTS):
            fresh = self._load_path(st.path)
            if fresh.custom != mine:
                return
            try:
                self._write_meta(st.path, st.custom, fresh.mv)
            except CasMismatch:
                continue
            return
        raise ConflictError(f"{self.layout.api('metadata', st.path)}: too many concurrent metadata writers")

    def _save_on_paths(self, items: list[PendingRecord], *, merge: bool) -> None:
        """The records go to their paths' own custom_metadata (which readers prefer)."""
        for item in items:
            item.st.group = None
            if merge:
                self._commit_meta(item.st, item.record, item.rows, item.kv)
            else:
                self._save_path(item.st, item.record)

    def _commit_meta(self, st: PathState, record: PathRecord, rows: list[tuple[str, FieldVersion]], new_kv: int) -> None:
        """Save the record; when another writer saved meanwhile, merge our rows into theirs."""
        for _ in range(ATTEMPTS):
            try:
                self._save_path(st, record)
                return
            except CasMismatch:
                st = self._load(st.path)
                record = merged(st.record or PathRecord(), record, rows, new_kv)
        raise ConflictError(f"{self.layout.api('metadata', st.path)}: too many concurrent metadata writers")

    def _state_for_write(self, path: str) -> PathState:
        """The path's metadata: as `list_meta` just read it (or found it absent), else read now."""
        known = self._known.pop(path, None)
        if known is not None:
            return known
        for (env, base), found in self._walked.items():
            if _under(path, base) and path not in found and self.layout.owns(env, path):
                st = PathState(path)
                self._attach(st, self._groups_for_write(path))
                return st
        return self._load(path, self._groups_for_write(path))

    def _groups_for_write(self, path: str) -> dict[str, GroupState]:
        """The group documents `list_meta` read, plus the one of `path` when a listing showed
        that it does not exist (so it is created without being read)."""
        where = group_of(self.layout, path)
        if where is not None:
            note_absent(where[0], self._known_groups, self._groups_walked)
        return self._known_groups

    def ensure_namespace(self, env: str, namespace: str) -> bool:
        self._require_secrets()
        path = self.layout.namespace_path(env, namespace)
        st = self._state_for_write(path)
        if st.exists:
            return False
        try:
            self._write_meta(path, encode_record(PathRecord(), {}, path), 0)
        except CasMismatch:
            return False
        return True
