"""The gap report: what the contract expects against what the stores hold.

Works from metadata only: stores are opened with `access="metadata"`, so this
module cannot read a value even by mistake. Validity comes from the stamp the
writer recorded (see `ValidationStamp`); a stamp made against another spec, or
no stamp at all, makes the key "unverified" rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from secretwarden.contract.plan import Requirement, check_env, expected_slots, requirements
from secretwarden.errors import StoreError
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta

if TYPE_CHECKING:
    from secretwarden.ops.isolation import IsolationReport

KeyState = Literal["present", "missing", "invalid", "unverified", "compromised"]
BLOCKING: frozenset[str] = frozenset({"missing", "invalid", "compromised"})


@dataclass(frozen=True)
class KeyStatus:
    var: str
    slot: SlotRef
    required: bool
    state: KeyState
    problems: tuple[str, ...] = ()
    version: int | None = None
    last_written: dt.datetime | None = None
    owner: str | None = None
    via_ref: str | None = None
    deprecated_read: str | None = None  # why reading this slot is flagged

    @property
    def blocking(self) -> bool:
        return self.required and (self.state in BLOCKING or self.deprecated_read is not None)


@dataclass
class ServiceStatus:
    service: str
    env: str
    instance: str | None
    keys: list[KeyStatus] = field(default_factory=list)

    def count(self, state: str, *, required_only: bool = True) -> int:
        return sum(1 for k in self.keys if k.state == state and (k.required or not required_only))

    @property
    def blocked(self) -> bool:
        return any(k.blocking for k in self.keys)

    @property
    def verdict(self) -> str:
        if not self.blocked:
            return "PASS"
        return "BLOCKED: " + describe_blockers(self.keys)

    @property
    def label(self) -> str:
        return f"{self.service}@{self.instance}" if self.instance else self.service


def describe_blockers(keys: list[KeyStatus]) -> str:
    parts = []
    for state, noun in (("missing", "missing"), ("invalid", "invalid"), ("compromised", "compromised")):
        n = sum(1 for k in keys if k.required and k.state == state)
        if n:
            parts.append(f"{n} required key{'s' if n != 1 else ''} {noun}")
    stale = sum(1 for k in keys if k.required and k.deprecated_read)
    if stale:
        parts.append(f"{stale} read{'s' if stale != 1 else ''} from a deprecated namespace past its hold date")
    return ", ".join(parts)


@dataclass
class EnvStatus:
    env: str
    store: str
    namespaces_expected: list[str]
    namespaces_found: list[str]
    services: list[ServiceStatus]
    orphans: list[SlotRef]

    @property
    def blocked(self) -> bool:
        return any(s.blocked for s in self.services)


@dataclass
class GapReport:
    project: str
    generated_at: dt.datetime
    envs: list[EnvStatus]
    isolation: IsolationReport | None = None  # values shared between slots (informational section)

    @property
    def ok(self) -> bool:
        return not any(e.blocked for e in self.envs)

    @property
    def verdict(self) -> str:
        if self.ok:
            return "PASS"
        keys = [k for e in self.envs for s in e.services for k in s.keys]
        return "BLOCKED: " + describe_blockers(keys)


def key_status(req: Requirement, meta: KeyMeta | None, today: dt.date) -> KeyStatus:
    deprecated = None
    if req.deprecated and (req.deprecated_hold_until is None or today > req.deprecated_hold_until):
        held = f" (hold date {req.deprecated_hold_until} passed)" if req.deprecated_hold_until else ""
        deprecated = f"reads deprecated namespace `{req.slot.namespace}`{held}"
    common = dict(
        var=req.var,
        slot=req.slot,
        required=req.required,
        owner=req.owner,
        via_ref=req.via_ref,
        deprecated_read=deprecated,
    )
    current = meta.current if meta else None
    if meta is None or current is None:
        return KeyStatus(state="missing", **common)  # type: ignore[arg-type]
    where = dict(version=current.version, last_written=current.created_at)
    if meta.compromised:
        return KeyStatus(state="compromised", problems=("marked compromised, not rotated since",), **where, **common)  # type: ignore[arg-type]
    stamp = current.stamp
    if stamp is None or stamp.digest != req.digest:
        reason = "written without validation" if stamp is None else "contract spec changed since the write"
        return KeyStatus(state="unverified", problems=(reason,), **where, **common)  # type: ignore[arg-type]
    if stamp.problems:
        return KeyStatus(state="invalid", problems=stamp.problems, **where, **common)  # type: ignore[arg-type]
    return KeyStatus(state="present", **where, **common)  # type: ignore[arg-type]


def env_status(
    ws: Workspace, env: str, *, service: str | None = None, listed: list[KeyMeta] | None = None
) -> EnvStatus:
    """`listed`: the store's metadata when the caller already has it (saves a second listing)."""
    store = ws.metadata(env)
    reqs = requirements(ws.contract, env, service=service)
    grouped = expected_slots(reqs)
    metas = {m.slot: m for m in (store.list_meta(env) if listed is None else listed) if m.slot.env == env}
    today = ws.clock().date()
    services: dict[tuple[str, str | None], ServiceStatus] = {}
    for req in reqs:
        sid = (req.service, req.slot.instance)
        if sid not in services:
            services[sid] = ServiceStatus(req.service, env, req.slot.instance)
        services[sid].keys.append(key_status(req, metas.get(req.slot), today))
    expected_ns = sorted({slot.namespace for slot in grouped})
    found_ns = set(store.namespaces(env)) | {m.slot.namespace for m in metas.values()}
    orphans = [] if service else sorted(s for s, m in metas.items() if s not in grouped and m.current is not None)
    return EnvStatus(
        env=env,
        store=ws.contract.store_for(env),
        namespaces_expected=expected_ns,
        namespaces_found=[ns for ns in expected_ns if ns in found_ns],
        services=list(services.values()),
        orphans=orphans,
    )


def gap_report(ws: Workspace, envs: list[str] | None = None, *, service: str | None = None) -> GapReport:
    from secretwarden.ops.isolation import isolation_report

    chosen = envs or list(ws.contract.environments)
    for env in chosen:
        check_env(ws.contract, env)
    if service is not None:
        return GapReport(ws.contract.project, ws.clock(), [env_status(ws, env, service=service) for env in chosen])
    # The isolation section needs every store's metadata: list each store once and share it.
    try:
        listed = {name: list(reader.list_meta()) for name, reader in ws.metadata_by_store().items()}
    except StoreError:
        # Some store is unreachable: the gap report of the chosen environments still stands
        # (it fails by itself if their own store is the one down); isolation is left out.
        return GapReport(ws.contract.project, ws.clock(), [env_status(ws, env) for env in chosen])
    return GapReport(
        project=ws.contract.project,
        generated_at=ws.clock(),
        envs=[env_status(ws, env, listed=listed[ws.contract.store_for(env)]) for env in chosen],
        isolation=isolation_report(ws, listed=listed),
    )
