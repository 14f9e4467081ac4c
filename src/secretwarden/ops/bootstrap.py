"""`warden bootstrap`: provision namespaces and generate missing fixture values.

Never overwrites (each write is check-and-set against "does not exist"),
idempotent, and a dry run returns the same plan without touching the store.
Reports names and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.contract.bulk import bulk_build
from secretwarden.contract.plan import Requirement, expected_slots, requirements
from secretwarden.contract.validation import spec_digest, value_problems
from secretwarden.errors import ConflictError, PartialWrite, StoreError, UsageError, WardenError
from secretwarden.ops.generate import generate_value
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    AccessProvisioner,
    AccessReport,
    BatchedWriter,
    MetadataReader,
    SecretStore,
    ValidationStamp,
    WriteRequest,
)


@dataclass
class BootstrapPlan:
    env: str
    store: str
    dry_run: bool
    namespaces_to_create: list[str] = field(default_factory=list)
    keys_to_generate: list[SlotRef] = field(default_factory=list)
    missing_without_rule: list[SlotRef] = field(default_factory=list)  # required, no generate rule
    already_present: int = 0
    namespaces_created: list[str] = field(default_factory=list)
    keys_generated: list[SlotRef] = field(default_factory=list)
    skipped_concurrent: list[SlotRef] = field(default_factory=list)
    access: AccessReport | None = None  # stores that provision access (Vault policies, AppRoles)
    interrupted: WardenError | None = None  # the store failed half way; the rest is for a re-run

    @property
    def done(self) -> bool:
        return not self.dry_run


BATCH = 200


@bulk_build  # 10,000 keys' requests, values, writes and records: no cycles to collect
def bootstrap(
    ws: Workspace,
    env: str,
    *,
    dry_run: bool = False,
    allow_production: bool = False,
    access: bool = True,
    approles: bool = False,
) -> BootstrapPlan:
    contract = ws.contract
    reqs = requirements(contract, env)
    if contract.is_production(env) and not allow_production:
        raise UsageError(
            f"environment `{env}` is production (marked so, or named prod/production): bootstrap refuses to generate values there",
            hint="pass --allow-production if you really mean it",
        )
    # A real run reads through the store it writes with: what it read (which paths exist, their
    # versions) is what its check-and-set writes are checked against, so nothing is read twice.
    meta_store: MetadataReader = ws.metadata(env) if dry_run else ws.secrets(env)
    plan = BootstrapPlan(env=env, store=contract.store_for(env), dry_run=dry_run)
    if access:
        # Before planning: a missing KV mount, say, must exist before anything is read or written.
        from secretwarden.ops.access import access_request

        provisioner = meta_store
        if isinstance(provisioner, AccessProvisioner):
            plan.access = provisioner.provision_access(
                access_request(contract, env, approles=approles), apply=not dry_run
            )
            from secretwarden.ops.bootstrap_auth import provision_machine_auth

            provision_machine_auth(ws, env, provisioner, plan.access, apply=not dry_run)  # AppRoles, k8s auth
    present_ns = meta_store.namespaces(env)
    metas = {m.slot: m for m in meta_store.list_meta(env)}
    grouped = expected_slots(reqs)
    plan.namespaces_to_create = sorted({s.namespace for s in grouped} - present_ns)
    for slot, group in grouped.items():
        meta = metas.get(slot)
        if meta is not None and meta.versions:
            # Any version, even deleted, means someone owns this key: never overwrite.
            plan.already_present += 1
            continue
        rule = group[0].generate
        if rule is None:
            if any(r.required for r in group):
                plan.missing_without_rule.append(slot)
            continue
        plan.keys_to_generate.append(slot)
    if dry_run:
        return plan
    store = ws.secrets(env)
    with_audit = ws.audit
    try:
        _write(store, env, plan, grouped)
    except StoreError as exc:
        # Non-transactional stores (Vault) can fail half way: report what landed; a re-run completes.
        if isinstance(exc, PartialWrite):
            plan.keys_generated += [r.slot for r in exc.written]  # type: ignore[attr-defined]
        plan.interrupted = exc.cause if isinstance(exc, PartialWrite) else exc
    # A namespace that got a key in this run was created by that write.
    landed = {s.namespace for s in plan.keys_generated} & set(plan.namespaces_to_create)
    plan.namespaces_created = sorted({*plan.namespaces_created, *landed})
    with_audit.append(
        command="bootstrap",
        env=env,
        store=plan.store,
        outcome="error" if plan.interrupted else "ok",
        keys=[s.label() for s in plan.keys_generated],
        detail=f"{len(plan.namespaces_created)} namespace(s) created, {len(plan.keys_generated)} key(s) generated",
    )
    return plan


def _write(store: SecretStore, env: str, plan: BootstrapPlan, grouped: dict[SlotRef, list[Requirement]]) -> None:
    # Writing a key provisions its namespace in every backend: only namespaces that get no key
    # in this run are created on their own (one request each on a server instead of two more).
    with_keys = {s.namespace for s in plan.keys_to_generate}
    for ns in plan.namespaces_to_create:
        if ns not in with_keys and store.ensure_namespace(env, ns):
            plan.namespaces_created.append(ns)
    todo = list(plan.keys_to_generate)
    # Stores that write concurrently (Vault) want larger batches than a single transaction does.
    size = store.write_batch_size if isinstance(store, BatchedWriter) else BATCH
    digests: dict[tuple[str | None, str | None, int | None], str] = {}  # a contract has few distinct specs
    for start in range(0, len(todo), size):
        batch = []
        for slot in todo[start : start + size]:
            req = grouped[slot][0]
            value = generate_value(req.generate or {})
            spec = (req.fmt, req.regex, req.min_length)
            digest = digests.get(spec)
            if digest is None:
                digest = digests[spec] = spec_digest(*spec)
            stamp = ValidationStamp(digest, tuple(value_problems(value.reveal(), *spec)))
            batch.append(WriteRequest(slot, value, source="generate", stamp=stamp, cas=0))
        try:
            results = store.write_many(batch)
        except ConflictError:
            # Someone wrote meanwhile: fall back to one by one, skipping what exists now.
            results = []
            for item in batch:
                try:
                    results += store.write_many([item])
                except ConflictError:
                    plan.skipped_concurrent.append(item.slot)
        plan.keys_generated += [r.slot for r in results]
