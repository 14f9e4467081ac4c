"""Group records: one warden record document per namespace in one-key-per-path layouts.

Where each key has its own KV path (`{key}` in the template), a record in every path's own
custom_metadata would cost a second metadata write per key: a bootstrap of N keys would take
about 2N requests. So the records of a group's paths (the folder above the `{key}` segment, see
`VaultLayout.key_group`) share one document at `<warden base>/keys/<group>`, saved once per
namespace after the values. A path's own record, where it has one (written before, or moved
there when the group document is full), always wins. See docs/vault.md "What warden records"
and meta.py for the encoding.

This module holds what a group read found and the steps that need no server; the requests
(and their retries) are in reading.py and path_writes.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secretwarden.slots import SlotRef
from secretwarden.stores.vault.errors import CasMismatch
from secretwarden.stores.vault.layout import VaultLayout, join
from secretwarden.stores.vault.meta import (
    FieldRecord,
    FieldVersion,
    PathRecord,
    decode_group,
    foreign_keys,
    merged,
)
from secretwarden.stores.vault.path_state import PathState


@dataclass
class GroupState:
    """One read of a group document (the records of a namespace's one-key paths, meta.py)."""

    path: str
    exists: bool = False
    mv: int = 0
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    foreign: dict[str, str] = field(default_factory=dict)


@dataclass
class PendingRecord:
    """A path's data written in a bulk write, its record still to be saved with its group."""

    st: PathState
    record: PathRecord
    rows: list[tuple[str, FieldVersion]]
    kv: int
    indices: list[int]


def group_of(layout: VaultLayout, path: str) -> tuple[str, str] | None:
    """(group document, the path's name in it), or None for a path whose record is its own."""
    split = layout.key_group(path)
    if split is None:
        return None
    return join(layout.warden_base, "keys", split[0]), split[1]


def group_state(gpath: str, data: dict[str, Any], where: str) -> GroupState:
    """The group document as a metadata read answered it (`data`: the answer's `data`)."""
    custom = data.get("custom_metadata") or {}
    return GroupState(
        gpath,
        exists=True,
        mv=int(data.get("current_metadata_version") or 0),
        entries=decode_group(custom, where),
        foreign=foreign_keys(custom),
    )


def take_entry(st: PathState, gs: GroupState, gpath: str, rel: str, *, group_writes: bool) -> None:
    """The path takes its entry of the group document (it has no record of its own)."""
    st.base_entry = gs.entries.get(rel)
    if st.base_entry is not None:
        # An entry is saved before the value of a key it creates (bulk_write.py): rows of a KV
        # version the path does not have describe a value that never landed (its writer died)
        # or is still on the way. They are dropped, as for a path's own record (reading.py), and
        # a writer seeing `record_ahead` writes its value first instead of replacing the entry.
        if not st.exists:
            st.record_ahead = True  # only paths that exist take their entry
        else:
            st.record = PathRecord.from_json(st.base_entry)
            if st.record.kv > st.kv:
                st.record.drop_unlanded(st.kv)
                st.record_ahead = True
    if st.record is not None or group_writes:
        st.group, st.rel = gpath, rel


def entries_to_save(gs: GroupState, items: list[PendingRecord], where: str, *, merge: bool) -> dict[str, dict[str, Any]]:
    """The group's entries with `items`' records in place of theirs.

    Entries of other paths are kept as they are now; an entry of ours that changed since we
    read it is merged (`merge`: our new rows go on top of theirs) or reported as CasMismatch.
    """
    entries = dict(gs.entries)
    for item in items:
        now = gs.entries.get(item.st.rel)
        if now != item.st.base_entry:
            if not merge:
                raise CasMismatch(f"{where}: the record of {item.st.rel} changed meanwhile")
            fresh = PathRecord.from_json(now) if now is not None else PathRecord()
            item.record = merged(fresh, item.record, item.rows, item.kv)
            item.st.base_entry = now
        entries[item.st.rel] = item.record.to_json()
    return entries


def apply_rows(record: PathRecord, rows: list[tuple[str, FieldVersion]], slots: list[SlotRef], kv: int) -> list[bool]:
    """Add a write's rows (one per field, `slots` in the same order) to `record` as KV version
    `kv`; whether each field is new to the record."""
    created = []
    for (name, row), slot in zip(rows, slots, strict=True):
        row.kv = kv
        rec = record.fields.get(name)
        if rec is None:
            rec = record.fields[name] = FieldRecord(slot.namespace, slot.key, slot.instance)
        created.append(not rec.versions)
        rec.versions.append(row)
    record.kv = kv
    return created


def unapply_rows(record: PathRecord, rows: list[tuple[str, FieldVersion]], created: list[bool], kv: int) -> None:
    """Undo `apply_rows` (its rows are the newest of their fields); `kv`: the record's KV version before."""
    for (name, row), new in zip(rows, created, strict=True):
        rec = record.fields[name]
        rec.versions.remove(row)
        if new:
            del record.fields[name]
    record.kv = kv


def note_absent(gpath: str, known: dict[str, GroupState], walked: dict[str, set[str]]) -> None:
    """A listing that covered `gpath` did not find it: it is known to be absent (created unread)."""
    if gpath in known:
        return
    for root, found in walked.items():
        if (not root or gpath.startswith(root + "/")) and gpath not in found:
            known.setdefault(gpath, GroupState(gpath))
