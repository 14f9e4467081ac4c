"""Rotation: how old each secret is against its cadence, and `warden rotate`.

The status report works from metadata only (stores opened with
`access="metadata"`): the age of a key is the creation time of its current
version, its cadence comes from the contract (`rotate_every` on the key, its
namespace, its environment or the project, resolved by `contract/plan.py`).
Time comes from the workspace clock, so tests move it instead of sleeping.

`rotate()` writes a new version through the store protocol (so the reuse rule
of every backend applies), records which runbook steps a person confirmed,
and appends one entry to the rotation log (see `ops/journal.py`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

from secretwarden.contract.bulk import bulk_build
from secretwarden.contract.report_plan import key_owner, report_plan
from secretwarden.errors import UsageError, ValidationFailed
from secretwarden.identity import current_user
from secretwarden.ops.journal import incident_register, rotation_journal
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    DataKeyRotator,
    RotatedDataKey,
    SecretValue,
    WriteRequest,
)
from secretwarden.stores.summary import KeySummary, SummaryIndex, by_env, key_summaries
from secretwarden.verdict import compromise, qualified_incident

RotationState = Literal["ok", "due", "overdue", "never-rotated", "compromised", "missing", "no-cadence"]
# States that make `warden rotation status --strict` fail: the secret is past its
# cadence, or known to be compromised and not yet replaced.
FAILING: frozenset[str] = frozenset({"overdue", "compromised"})
DEFAULT_DUE_WITHIN = dt.timedelta(days=14)


@dataclass(slots=True)  # not frozen: 30,000 of them per report, and a frozen __init__ costs 3x
class RotationRow:
    slot: SlotRef
    store: str
    services: tuple[str, ...]
    owner: str | None
    required: bool
    cadence: dt.timedelta | None
    last_rotated: dt.datetime | None
    due_at: dt.datetime | None
    state: RotationState
    version: int | None
    rotations: int  # versions written after the first one
    incident: str | None = None  # open incident on the key, `<store>/<id>` as the gates name it

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    def days_left(self, now: dt.datetime) -> float | None:
        if self.due_at is None:
            return None
        return round((self.due_at - now).total_seconds() / 86400, 1)


_STATE = attrgetter("state")


@dataclass
class RotationReport:
    project: str
    generated_at: dt.datetime
    due_within: dt.timedelta
    rows: list[RotationRow]

    def count(self, state: str) -> int:
        return self.counts().get(state, 0)

    def counts(self) -> Counter[str]:
        """Rows per state, counted in one pass (in C)."""
        return Counter(map(_STATE, self.rows))

    @property
    def failing(self) -> list[RotationRow]:
        return [r for r in self.rows if r.state in FAILING]

    @property
    def ok(self) -> bool:
        return not any(map(FAILING.__contains__, map(_STATE, self.rows)))


def rotation_state(
    meta: KeySummary | None,
    cadence: dt.timedelta | None,
    now: dt.datetime,
    due_within: dt.timedelta,
    incident: str | None = None,
) -> tuple[RotationState, dt.datetime | None]:
    """The state of one key and its due date; the order of the checks is the priority.

    `incident`: an incident on the key that is not closed. Whether the key counts
    as compromised is the verdict's answer (`verdict.py`), as for `check`.
    """
    if meta is None or meta.written_at is None:
        return "missing", None
    if compromise(meta.compromised, incident) is not None:
        return "compromised", None
    if cadence is None:
        return "no-cadence", None
    due_at = meta.written_at + cadence
    if now >= due_at:
        return "overdue", due_at
    if due_at - now <= due_within:
        return "due", due_at
    if meta.versions <= 1:
        return "never-rotated", due_at
    return "ok", due_at


@bulk_build  # 100,000 small objects, no cycles: contract/bulk.py
def rotation_status(
    ws: Workspace,
    envs: list[str] | None = None,
    *,
    due_within: dt.timedelta = DEFAULT_DUE_WITHIN,
    include_config: bool = False,
) -> RotationReport:
    """Every secret of the contract with its age, due date and state, from metadata only.

    Plain configuration values (`sensitive: false`) are left out unless
    `include_config`: a TTL or a URL has no rotation to speak of. Slots come from
    the compiled report plan (contract/report_plan.py), in `requirements()` order.
    """
    now = ws.clock()
    rows: list[RotationRow] = []
    plan = report_plan(ws.loaded)
    register = incident_register(ws, envs)
    cadences: dict[float, dt.timedelta] = {}
    chosen = envs or ws.loaded.facts.environments
    by_store: dict[str, dict[str, SummaryIndex]] = {}
    for env in chosen:
        store_name = ws.store_for(env)
        if store_name not in by_store:
            # One query per store, not per environment: several environments share a store.
            one_env = env if sum(ws.store_for(e) == store_name for e in chosen) == 1 else None
            by_store[store_name] = by_env(key_summaries(ws.metadata(env), one_env))
        metas = by_store[store_name].get(env, {})
        for ns, key, inst, services, owner, required, sensitive, seconds in plan.envs[env].slot_rows():
            if not sensitive and not include_config:
                continue
            meta = metas.get((ns, key, inst))
            # meta.slot is this slot (metas are keyed by it, in this environment): no second SlotRef
            slot = SlotRef(env, ns, key, inst) if meta is None else meta.slot
            incident = register.get((store_name, slot)) if register else None
            cadence = None
            if seconds is not None:
                cadence = cadences.get(seconds)
                if cadence is None:
                    cadence = cadences[seconds] = dt.timedelta(seconds=seconds)
            state, due_at = rotation_state(meta, cadence, now, due_within, incident)
            if meta is None:
                rows.append(RotationRow(slot, store_name, tuple(services), owner, required, cadence, None, due_at,
                                        state, None, 0, incident))
            else:
                rows.append(RotationRow(slot, store_name, tuple(services), owner, required, cadence, meta.written_at,
                                        due_at, state, meta.version, max(0, meta.versions - 1), incident))
    return RotationReport(ws.loaded.facts.project, now, due_within, rows)


def _key_owner(ws: Workspace, slot: SlotRef) -> str | None:
    """Owner of the key itself (not of a service that reads it through a `ref`)."""
    return key_owner(ws.contract, slot.namespace, slot.key)


# --- rotate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunbookCheck:
    step: str
    confirm: bool  # the contract asks for a confirmation of this step
    confirmed: bool | None  # None: an informational step, nothing to confirm

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "confirm": self.confirm, "confirmed": self.confirmed}


@dataclass
class RotationResult:
    slot: SlotRef
    store: str
    dry_run: bool
    source: str  # generate | input
    owner: str | None
    reason: str
    previous_version: int | None
    version: int | None = None  # the new version (None on a dry run)
    runbook: list[RunbookCheck] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)  # open incidents this rotation answers

    @property
    def unconfirmed(self) -> list[str]:
        return [c.step for c in self.runbook if c.confirm and not c.confirmed]


@dataclass(frozen=True)
class RunbookStep:
    step: str
    confirm: bool


def runbook_steps(ws: Workspace, slot: SlotRef) -> list[RunbookStep]:
    from secretwarden.contract.references import declared_keys

    found = declared_keys(ws.contract).get((slot.namespace, slot.key))
    if found is None:
        return []
    return [RunbookStep(s.step, s.confirm) for s in found[1].runbook]


def generate_rule(ws: Workspace, slot: SlotRef) -> dict[str, Any]:
    from secretwarden.contract.references import declared_keys

    found = declared_keys(ws.contract).get((slot.namespace, slot.key))
    gen = found[1].generator if found else None
    if gen is None or gen.kind == "literal":
        raise UsageError(
            f"`{slot.namespace}/{slot.key}` has no generate rule that makes a fresh value",
            hint="pipe the new value in with --stdin (or answer the prompt)",
        )
    return gen.model_dump()


def rotate(
    ws: Workspace,
    slot: SlotRef,
    *,
    value: SecretValue | None = None,
    generate: bool = False,
    reason: str = "",
    dry_run: bool = False,
    confirm: Callable[[str], bool] | None = None,
    assume_yes: bool = False,
) -> RotationResult:
    """Write a new version of `slot` and log it.

    The value is generated from the key's `generate` rule or given by the
    caller (`value`). Runbook steps that ask for confirmation are confirmed by
    `confirm(step)` after the write, or all at once with `assume_yes`.
    """
    from secretwarden.ops.generate import generate_value
    from secretwarden.ops.incidents import open_incidents_for

    # (ops.secrets loads the contract model: imported here, off the report path)
    from secretwarden.ops.secrets import audited, slot_fields, stamp_for

    if generate == (value is not None) and not dry_run:
        raise UsageError("give exactly one source for the new value: --generate or --stdin/prompt")
    rule = generate_rule(ws, slot) if generate else None
    # A write opens the secrets store anyway; read the metadata there, so it is current.
    meta = (ws.metadata(slot.env) if dry_run else ws.secrets(slot.env)).key_meta(slot)
    result = RotationResult(
        slot=slot,
        store=ws.contract.store_for(slot.env),
        dry_run=dry_run,
        source="generate" if generate else "input",
        owner=_key_owner(ws, slot),
        reason=reason,
        previous_version=meta.current.version if meta and meta.current else None,
        incidents=[qualified_incident(i.store, i.id) for i in open_incidents_for(ws, slot)],  # as the gates name it
    )
    steps = runbook_steps(ws, slot)
    if dry_run:
        result.runbook = [RunbookCheck(s.step, s.confirm, None) for s in steps]
        return result
    new_value = generate_value(rule) if rule is not None else value
    assert new_value is not None
    with audited(ws, command="rotate", **slot_fields(slot), store=result.store) as extra:
        stamp = stamp_for(ws, slot, new_value)
        if stamp is not None and stamp.problems:
            raise ValidationFailed(f"{slot.label()}: new value " + "; ".join(stamp.problems))
        newest = meta.newest_version if meta else 0
        written = ws.secrets(slot.env).write_many(
            [WriteRequest(slot, new_value, source="rotate", stamp=stamp, cas=newest)]
        )[0]
        result.version = written.version
        extra["version"] = written.version
        extra["detail"] = f"source={result.source}" + (
            f"; incidents={','.join(result.incidents)}" if result.incidents else ""
        )
    for s in steps:
        if not s.confirm:
            result.runbook.append(RunbookCheck(s.step, False, None))
        else:
            done = assume_yes or (confirm(s.step) if confirm is not None else False)
            result.runbook.append(RunbookCheck(s.step, True, bool(done)))
    _log_rotation(ws, result)
    return result


def _log_rotation(ws: Workspace, result: RotationResult) -> None:
    from secretwarden.ops.secrets import slot_fields

    entry = {
        "time": ws.clock().isoformat(timespec="seconds"),
        **slot_fields(result.slot),
        "store": result.store,
        "version": result.version,
        "previous_version": result.previous_version,
        "owner": result.owner,
        "reason": result.reason,
        "source": result.source,
        "actor": current_user(),
        "runbook": [c.to_json() for c in result.runbook],
        "incidents": result.incidents,
    }
    rotation_journal(ws).append(entry)


# --- data keys ----------------------------------------------------------------------------


def rotate_data_keys(
    ws: Workspace, env: str, *, namespace: str | None = None, reason: str = "", dry_run: bool = False
) -> list[RotatedDataKey]:
    """Replace the data keys that encrypt an environment's values, values unchanged.

    Only backends with data keys apart from their values offer it (SOPS files);
    they say so by implementing `DataKeyRotator`.
    """
    from secretwarden.ops.secrets import audited

    store = ws.secrets(env)
    if not isinstance(store, DataKeyRotator):
        raise UsageError(
            f"store `{store.name}` ({store.backend}) cannot rotate its data keys apart from its values",
            hint="`--data-key` is for sops stores; rotate the values themselves with `warden rotate NAMESPACE/KEY`",
        )
    if dry_run:
        return []
    with audited(ws, command="rotate-data-key", env=env, namespace=namespace) as extra:
        rotated = store.rotate_data_keys(env, namespace)
        extra["detail"] = f"{len(rotated)} data key(s) rotated"
    journal = rotation_journal(ws)
    for item in rotated:
        journal.append(
            {
                "time": ws.clock().isoformat(timespec="seconds"),
                "env": item.env,
                "namespace": item.namespace,
                "key": "(data key)",
                "instance": item.instance,
                "store": store.name,
                "version": None,
                "previous_version": None,
                "owner": ws.contract.namespaces[item.namespace].owner if item.namespace in ws.contract.namespaces else None,
                "reason": reason,
                "source": "data-key",
                "actor": current_user(),
                "runbook": [],
                "incidents": [],
                "location": item.location,
            }
        )
    return rotated


# --- the log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationLogEntry:
    time: str
    slot: SlotRef
    store: str
    version: int | None
    owner: str | None
    reason: str
    source: str
    actor: str
    runbook: tuple[dict[str, Any], ...]
    incidents: tuple[str, ...]

    @property
    def secret(self) -> str:
        inst = f"@{self.slot.instance}" if self.slot.instance else ""
        return f"{self.slot.namespace}/{self.slot.key}{inst}"

    @property
    def notes(self) -> str:
        parts = [self.reason] if self.reason else []
        if self.source == "data-key":
            parts.append(f"data key rotated by {self.actor}; values unchanged")
        else:
            parts.append(f"v{self.version}, {'generated' if self.source == 'generate' else 'new value supplied'} by {self.actor}")
        asked = [s for s in self.runbook if s.get("confirm")]
        if asked:
            ok = sum(1 for s in asked if s.get("confirmed"))
            parts.append(f"runbook {ok}/{len(asked)} steps confirmed")
        if self.incidents:
            parts.append("answers incident " + ", ".join(self.incidents))
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.time,
            "secret": self.secret,
            "environment": self.slot.env,
            "namespace": self.slot.namespace,
            "key": self.slot.key,
            "instance": self.slot.instance,
            "store": self.store,
            "version": self.version,
            "owner": self.owner,
            "reason": self.reason,
            "source": self.source,
            "actor": self.actor,
            "runbook": list(self.runbook),
            "incidents": list(self.incidents),
            "notes": self.notes,
        }


def rotation_log(
    ws: Workspace, *, env: str | None = None, since: dt.datetime | None = None, unreachable: dict[str, str] | None = None
) -> list[RotationLogEntry]:
    """The rotation log; given `unreachable` (and no `env`), stores that do not answer are left
    out and named there (env -> why) instead of stopping the read (ops/journal.py `read`)."""
    out = []
    read = rotation_journal(ws).read(None if env is None else [env], partial=unreachable is not None)
    if unreachable is not None:
        unreachable.update(read.unreachable)
    for e in read.entries:
        try:
            slot = SlotRef(str(e["env"]), str(e["namespace"]), str(e["key"]), e.get("instance"))
            when = dt.datetime.fromisoformat(str(e["time"]))
        except (KeyError, ValueError):
            continue
        if when.tzinfo is None:  # a hand-written entry: take it as UTC rather than fail
            when = when.replace(tzinfo=dt.UTC)
        if env is not None and slot.env != env:
            continue
        if since is not None and when < since:
            continue
        out.append(
            RotationLogEntry(
                time=str(e["time"]),
                slot=slot,
                store=str(e.get("store", "")),
                version=e.get("version"),
                owner=e.get("owner"),
                reason=str(e.get("reason") or ""),
                source=str(e.get("source", "")),
                actor=str(e.get("actor", "")),
                runbook=tuple(s for s in e.get("runbook") or [] if isinstance(s, dict)),
                incidents=tuple(str(i) for i in e.get("incidents") or []),
            )
        )
    return out
