"""Incidents: a secret is known or suspected to be compromised.

Opening an incident does two things, in this order:

1. it marks the key compromised *in its store* (`SecretStore.mark_compromised`):
   every user of that store now sees the key as BLOCKED in `status`/`check`,
   `run` refuses it, and every value the key ever had is denied for good
   (the reuse rule of `stores/base.py`);
2. it records the incident (id, reason, who, when) in the incident register,
   a hash-chained journal kept by the same store (`ops/journal.py`), so every
   machine that uses the store sees it.

An incident closes only once the key has a live version written after the
incident opened, and with a root-cause note. `list_incidents` also reports
compromise marks found in a store that have no record in this register
(a mark set outside warden, or a register entry lost), so nobody is left unaware of one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from secretwarden.errors import CompromisedSecret, SecretNotFound, StoreError, UsageError
from secretwarden.identity import current_user
from secretwarden.ops.journal import INCIDENTS, incident_journal
from secretwarden.ops.secrets import audited, slot_fields
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef, printable
from secretwarden.stores.base import JournalHead, MetadataReader
from secretwarden.verdict import qualified_incident as qualified


@dataclass
class Incident:
    id: str
    slot: SlotRef
    store: str
    reason: str
    opened_at: dt.datetime
    opened_by: str
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    root_cause: str | None = None
    rotated_version: int | None = None  # the first version written after the incident opened
    recorded: bool = True  # False: a mark found in a store without an entry in this register
    # The name commands show and accept: the id, or `<store>/<id>` when two stores hold that id.
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.id

    def answers_to(self, wanted: str) -> bool:
        """Whether `wanted` names this incident: its id, or its id qualified by its store."""
        return wanted in (self.id, self.name, qualified(self.store, self.id))

    @property
    def state(self) -> str:
        """open (not rotated yet) / rotated (ready to close) / closed."""
        if self.closed_at is not None:
            return "closed"
        return "rotated" if self.rotated_version is not None else "open"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.name,
            "state": self.state,
            "secret": self.slot.label(),
            "env": self.slot.env,
            "namespace": self.slot.namespace,
            "key": self.slot.key,
            "instance": self.slot.instance,
            "store": self.store,
            "reason": self.reason,
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "rotated_version": self.rotated_version,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "closed_by": self.closed_by,
            "root_cause": self.root_cause,
            "recorded": self.recorded,
        }


def _slot_of(e: dict[str, Any]) -> SlotRef:
    """The entry's slot; a register edited by hand may hold anything, so types are checked."""
    env, namespace, key, instance = e["env"], e["namespace"], e["key"], e.get("instance")
    if not all(isinstance(x, str) for x in (env, namespace, key)) or not isinstance(instance, (str, type(None))):
        raise ValueError("not a slot")
    return SlotRef(env, namespace, key, instance)


def _recorded(ws: Workspace, envs: list[str] | None = None) -> list[Incident]:
    """Fold the register's open/close events into incidents (without store state), of every
    store or of `envs`' stores only (an environment's incidents never wait on another's store)."""
    return _folded(incident_journal(ws).entries(envs))


def _folded(entries: list[dict[str, Any]]) -> list[Incident]:
    """The register's open/close events folded into incidents (without store state).

    Each store numbers its incidents by check-and-set in that store only, so an id may repeat
    in two stores (both took a number at once, or one did not answer): incidents are told apart
    by store and id, and where an id repeats, each is named `<store>/<id>`."""
    found: dict[tuple[str, str], Incident] = {}
    for e in entries:
        where = (str(e.get("store", "")), str(e.get("id")))
        try:
            if e.get("event") == "open":
                found[where] = Incident(
                    id=str(e["id"]),
                    slot=_slot_of(e),
                    store=str(e.get("store", "")),
                    reason=str(e.get("reason", "")),
                    opened_at=dt.datetime.fromisoformat(str(e["time"])),
                    opened_by=str(e.get("actor", "")),
                )
            elif e.get("event") == "close" and where in found:
                inc = found[where]
                inc.closed_at = dt.datetime.fromisoformat(str(e["time"]))
                inc.closed_by = str(e.get("actor", ""))
                inc.root_cause = str(e.get("root_cause", ""))
                inc.rotated_version = e.get("rotated_version")
        except (KeyError, ValueError):
            continue  # a damaged entry shows up in verify(), not as a crash here
    stores_of: dict[str, set[str]] = {}
    for store, incident_id in found:
        stores_of.setdefault(incident_id, set()).add(store)
    for (store, incident_id), inc in found.items():
        if len(stores_of[incident_id]) > 1:
            inc.name = qualified(store, incident_id)
    return list(found.values())


def _rotated_version(ws: Workspace, inc: Incident) -> int | None:
    """The first live version created after the incident opened, from metadata."""
    meta = ws.metadata(inc.slot.env).key_meta(inc.slot)
    if meta is None or meta.compromised:
        return None
    for v in meta.versions:
        if v.live and v.created_at > inc.opened_at:
            return v.version
    return None


@dataclass
class IncidentListing:
    """The incidents read, and (a listing of every store only) the environments whose store did
    not answer, env -> why: their incidents are not in the list."""

    incidents: list[Incident]
    unreachable: dict[str, str]


def list_incidents(ws: Workspace, *, include_closed: bool = True, envs: list[str] | None = None) -> list[Incident]:
    """Every incident of the project, or of `envs`' stores (each read once); a store that does
    not answer stops it (`incident_listing(partial=True)` lists the others instead)."""
    return incident_listing(ws, include_closed=include_closed, envs=envs).incidents


def incident_listing(
    ws: Workspace, *, include_closed: bool = True, envs: list[str] | None = None, partial: bool = False
) -> IncidentListing:
    """`list_incidents`; with `partial` and no `envs`, a store that does not answer (unreachable,
    sealed, credentials refused) is left out and named, like `status` does."""
    read = incident_journal(ws).read(envs, partial=partial)
    incidents = _folded(read.entries)
    env_store = ws.loaded.facts.env_store
    for inc in incidents:
        if inc.closed_at is None and inc.slot.env in env_store and env_store[inc.slot.env] not in read.down:
            inc.rotated_version = _rotated_version(ws, inc)
    known = {(i.store, i.slot) for i in incidents if i.closed_at is None}
    if envs is None:
        readers = _metadata_where_up(ws, read.down)
    else:
        readers = {ws.store_for(env): ws.metadata(env) for env in envs}
    for store_name, reader in readers.items():
        for meta in reader.list_meta():
            if meta.compromised and (store_name, meta.slot) not in known:
                assert meta.compromised_at is not None
                incidents.append(
                    Incident(
                        id=f"store:{store_name}:{meta.slot.label()}",
                        slot=meta.slot,
                        store=store_name,
                        reason="marked compromised in the store; no entry in this incident register",
                        opened_at=meta.compromised_at,
                        opened_by="",
                        recorded=False,
                    )
                )
    if not include_closed:
        incidents = [i for i in incidents if i.closed_at is None]
    return IncidentListing(sorted(incidents, key=lambda i: i.opened_at), read.unreachable)


def _metadata_where_up(ws: Workspace, down: frozenset[str]) -> dict[str, MetadataReader]:
    """Every store's metadata reader but those that did not answer the journal read."""
    if not down:
        return dict(ws.metadata_by_store())
    served = {store: env for env, store in ws.loaded.facts.env_store.items()}
    return {name: ws.metadata(served[name]) for name in ws.loaded.facts.stores if name not in down and name in served}


def open_incidents_for(ws: Workspace, slot: SlotRef) -> list[Incident]:
    return [i for i in _recorded(ws, [slot.env]) if i.slot == slot and i.closed_at is None]


def env_per_store(ws: Workspace) -> dict[str, str]:
    """Store name -> one environment it serves: a journal is read per store, through an environment."""
    by_store: dict[str, str] = {}
    for env in ws.contract.environments:
        by_store.setdefault(ws.store_for(env), env)
    return by_store


def _last_numbers_elsewhere(ws: Workspace, store_name: str) -> tuple[list[int], bool]:
    """The last incident number of every other store the project uses, read now, and whether
    every one answered.

    A store that cannot be reached (staging's server from a laptop) does not
    stop an incident in this one: it is skipped, and the new id names its
    store (`<store>/INC-0007`), since a number taken there meanwhile may be
    the same (docs/team.md)."""
    numbers: list[int] = []
    complete = True
    journal = incident_journal(ws)
    for other, env in env_per_store(ws).items():
        if other == store_name:
            continue
        try:
            numbers += [int(part.head(INCIDENTS).index.get("last") or 0) for part in journal.parts([env]).values()]
        except StoreError:
            complete = False
    return numbers, complete


def open_incident(ws: Workspace, slot: SlotRef, reason: str, *, dry_run: bool = False) -> Incident:
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError("an incident needs a --reason")
    store_name = ws.contract.store_for(slot.env)
    meta = (ws.metadata(slot.env) if dry_run else ws.secrets(slot.env)).key_meta(slot)
    if meta is None or not meta.versions:
        raise SecretNotFound(f"{slot.label()}: no such key in store `{store_name}`; nothing to mark compromised")
    already = open_incidents_for(ws, slot)
    if already:
        raise UsageError(
            f"{slot.label()} is already under incident {already[0].name}",
            hint=f"rotate it (`warden rotate`), then `warden incident close {already[0].name}`",
        )
    now = ws.clock()
    planned = Incident("(dry run)", slot, store_name, reason, now, current_user())
    if dry_run:
        return planned
    with audited(ws, command="incident-open", **slot_fields(slot), store=store_name) as extra:
        # The store mark first: if the register cannot be written, the key is still blocked.
        ws.secrets(slot.env).mark_compromised(slot, now, f"incident: {reason}")

        # Numbers run across the project's stores: the other stores' last numbers, read now
        # (a number is claimed by check-and-set within one store; see docs/team.md).
        journal = incident_journal(ws)
        elsewhere, every_store = _last_numbers_elsewhere(ws, store_name)

        def build(head: JournalHead) -> dict[str, Any]:
            # Decided on the head the entry will follow: two writers never share a number,
            # and a slot opened meanwhile by another machine is refused here too.
            for other, where in (head.index.get("open") or {}).items():
                if list(where)[1:] == [slot.env, slot.namespace, slot.key, slot.instance]:
                    raise UsageError(f"{slot.label()} is already under incident {qualified(store_name, other)}")
            n = max([int(head.index.get("last") or 0), *elsewhere]) + 1
            return {
                "event": "open",
                "id": f"INC-{n:04d}" if every_store else qualified(store_name, f"INC-{n:04d}"),
                "time": now.isoformat(),
                **slot_fields(slot),
                "store": store_name,
                "reason": reason,
                "actor": planned.opened_by,
            }

        entry = journal.append_with(store_name, build)
        planned.id = planned.name = str(entry["id"])
        extra["incident"] = planned.id
    return planned


def _recorded_where_reachable(ws: Workspace) -> tuple[list[Incident], list[StoreError]]:
    """Incidents of every store that answers, and the errors of those that did not."""
    found: list[dict[str, Any]] = []
    errors: list[StoreError] = []
    for env in env_per_store(ws).values():
        try:
            found += incident_journal(ws).entries([env])
        except StoreError as exc:
            errors.append(exc)
    unique = {(str(e.get("store", "")), str(e.get("id")), str(e.get("event")), e.get("hash")): e for e in found}
    return _folded(sorted(unique.values(), key=lambda e: str(e.get("time", "")))), errors


def find_incident(incidents: list[Incident], wanted: str) -> Incident | None:
    """The incident `wanted` names (its id, or `<store>/<id>`); a bare id two stores hold is refused."""
    matches = [i for i in incidents if i.answers_to(wanted)]
    if len(matches) > 1:
        names = ", ".join(f"`{qualified(i.store, i.id)}`" for i in matches)
        raise UsageError(
            f"incident `{wanted}` is in {len(matches)} stores; name the one you mean: {names}",
            hint="`warden incident list` shows each with its store",
        )
    return matches[0] if matches else None


def close_incident(ws: Workspace, incident_id: str, root_cause: str, *, dry_run: bool = False) -> Incident:
    root_cause = " ".join(root_cause.split())
    incidents, unreachable = _recorded_where_reachable(ws)
    inc = find_incident(incidents, incident_id)
    if inc is None and unreachable:
        raise unreachable[0]  # it may be in a store that did not answer: say which, not "unknown"
    if inc is None:
        from secretwarden.contract.suggest import closest

        guess = closest(incident_id, {i.name: i for i in incidents})
        raise UsageError(
            f"unknown incident `{incident_id}`" + (f"; did you mean `{guess}`?" if guess else ""),
            hint="`warden incident list` shows them",
        )
    if inc.closed_at is not None:
        raise UsageError(f"incident {inc.name} was already closed on {inc.closed_at:%Y-%m-%d}")
    if not root_cause:
        raise UsageError("closing an incident needs a --root-cause note")
    inc.rotated_version = _rotated_version(ws, inc)
    label = inc.slot
    if inc.rotated_version is None:
        raise CompromisedSecret(
            f"incident {inc.name}: {label.label()} has not been rotated since the incident opened",
            hint=f"`warden rotate {printable(label.namespace + '/' + label.key)} --env {printable(label.env)}"
            + (f" --instance {printable(label.instance)}" if label.instance else "")
            + "` first",
        )
    now = ws.clock()
    if dry_run:
        return inc
    with audited(ws, command="incident-close", **slot_fields(inc.slot), store=inc.store, incident=inc.id):
        def build(head: JournalHead) -> dict[str, Any]:
            if inc.id not in (head.index.get("open") or {}):
                raise UsageError(f"incident {inc.name} was closed meanwhile")
            return {
                "event": "close",
                "id": inc.id,
                "time": now.isoformat(),
                **slot_fields(inc.slot),
                "store": inc.store,
                "root_cause": root_cause,
                "rotated_version": inc.rotated_version,
                "actor": current_user(),
            }

        store_name = inc.store if inc.store in ws.contract.stores else ws.contract.store_for(inc.slot.env)
        incident_journal(ws).append_with(store_name, build)
    inc.closed_at, inc.closed_by, inc.root_cause = now, current_user(), root_cause
    return inc


def register_disagreements(ws: Workspace, store_name: str) -> list[str]:
    """Open incidents of the register whose key the store does not show as compromised.

    The mark lives in the store and the record in the register; a mark that
    vanished while its incident is still open (and the key was never rotated)
    was lifted outside warden. `warden store verify --deep` reports it.
    """
    problems: list[str] = []
    for inc in _recorded(ws):
        if inc.closed_at is not None or inc.store != store_name or inc.slot.env not in ws.contract.environments:
            continue
        meta = ws.metadata(inc.slot.env).key_meta(inc.slot)
        if meta is None:
            problems.append(f"incident {inc.id} is open for {inc.slot.label()}, which the store no longer holds")
        elif meta.compromised_at is None:
            problems.append(
                f"incident {inc.id} is open for {inc.slot.label()}, but the store carries no compromise mark "
                "(lifted outside warden?)"
            )
    return problems
