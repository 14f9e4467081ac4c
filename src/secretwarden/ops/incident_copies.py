"""Copies of a compromised value: every slot that holds it is compromised too.

A value copied from one environment to another (`warden get ... | warden set
...`, a migration, a hand-made `.env`) is one secret in two places. When an
incident marks one of them, the others must not keep serving the same bytes:
`open_with_copies` finds every slot, in every store the project uses, whose
current value has a fingerprint the marked key ever had (fingerprints are keyed
by the project's fingerprint key, so equal values compare equal across stores,
and no value is read), and opens an incident for each, so `run` and `check`
refuse them until they are rotated. A store that does not answer is named, not
skipped silently: its copies are found by `warden isolation` once it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.errors import StoreError
from secretwarden.ops.incidents import Incident, env_per_store, open_incident, open_incidents_for
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef


@dataclass
class IncidentOpening:
    """What `warden incident open` did: the incident, one more per copy of the value, and the
    stores it could not search for copies."""

    incident: Incident
    copies: list[Incident] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # store names that did not answer


@dataclass
class CopySearch:
    slots: list[SlotRef]
    unchecked: list[str]


def find_copies(ws: Workspace, slot: SlotRef, fingerprints: set[str]) -> CopySearch:
    """Slots other than `slot` whose current value has one of `fingerprints` (metadata only)."""
    found: list[SlotRef] = []
    unchecked: list[str] = []
    if not fingerprints:
        return CopySearch(found, unchecked)
    for store_name, env in sorted(env_per_store(ws).items()):
        try:
            for meta in ws.metadata(env).list_meta():
                cur = meta.current
                if meta.slot != slot and cur is not None and cur.fingerprint in fingerprints:
                    found.append(meta.slot)
        except StoreError:
            unchecked.append(store_name)
    found.sort(key=lambda s: (s.env, s.namespace, s.key, s.instance or ""))
    return CopySearch(found, unchecked)


def open_with_copies(ws: Workspace, slot: SlotRef, reason: str, *, dry_run: bool = False) -> IncidentOpening:
    """Open an incident for `slot`, and one for every other slot holding a value it ever had."""
    meta = ws.metadata(slot.env).key_meta(slot)
    fingerprints = meta.fingerprints if meta is not None else set()
    opened = IncidentOpening(open_incident(ws, slot, reason, dry_run=dry_run))
    search = find_copies(ws, slot, fingerprints)
    opened.unchecked = search.unchecked
    for copy in search.slots:
        if open_incidents_for(ws, copy):
            continue  # already blocked under its own incident
        why = f"same value as {slot.label()} ({opened.incident.name}): {reason}"
        opened.copies.append(open_incident(ws, copy, why, dry_run=dry_run))
    return opened
