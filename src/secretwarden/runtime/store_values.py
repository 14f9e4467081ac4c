"""Read a plan's values from its store: the one reading core of `run`, `check`, the runtime and redaction.

`resolve_values` reads and validates a plan's entries; missing or invalid
required keys and compromised keys become problems (one line per key, never a
value). It imports nothing heavy, so `warden run`'s fast path uses it as is.
Reading is audited by the caller, with the slot labels read (`keys`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from secretwarden.contract.plan import Requirement, ServicePlan, StoreRef, sensitive_only
from secretwarden.errors import WardenError

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any

    from secretwarden.audit.log import AuditLog
    from secretwarden.contract.model import Contract
    from secretwarden.stores.base import SecretStore
    from secretwarden.stores.registry import StoreSpec


# What reading found about one key, before the verdict (verdict.py) weighs it:
# present | missing | invalid | compromised, with the problems of an invalid value.
KeyReading = tuple[Requirement, str, tuple[str, ...]]


class Resolution:
    """What reading a plan's entries found.

    A plain class: `@dataclass` compiles its methods at import, about 0.5 ms a class on
    `warden run`'s fast path, which builds one of these and compares none.
    """

    __slots__ = ("keys", "readings", "values")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}  # every value read and valid
        self.readings: list[KeyReading] = []  # one per entry, in plan order
        self.keys: list[str] = []  # slot labels that were read

    @property
    def compromised(self) -> list[str]:
        return [req.var for req, state, _ in self.readings if state == "compromised"]

    def problems(self) -> list[str]:
        """One line per key that is not usable as read (no verdict: gates add theirs on top)."""
        out: list[str] = []
        for req, state, bad in self.readings:
            if state == "missing" and req.required:
                out.append(f"{req.var}: missing ({req.slot.label()})")
            elif state == "compromised":
                out.append(f"{req.var}: compromised, not rotated since ({req.slot.label()})")
            elif state == "invalid":
                out.append(f"{req.var}: " + ("invalid: " if req.required else "optional value ignored: ") + "; ".join(bad))
        return out


def store_spec(ref: StoreRef, flags: frozenset[str] = frozenset()) -> StoreSpec:
    from secretwarden.stores.registry import StoreSpec

    overrides = {(ns, key): path for ns, key, path in ref.path_overrides}
    return StoreSpec(ref.name, ref.backend, dict(ref.options), Path(ref.root), ref.project, overrides, flags)


def open_plan_store(plan: ServicePlan) -> SecretStore:
    """The plan's store, opened to read values (through the backend registry, as the workspace does)."""
    from secretwarden.crypto.fingerprint import fingerprinter_for
    from secretwarden.paths import refuse_config_inside
    from secretwarden.stores.registry import open_secret_store

    root = Path(plan.store.root)
    refuse_config_inside(root)
    return open_secret_store(
        store_spec(plan.store), fingerprinter=fingerprinter_for(plan.store.project, forbidden_root=root)
    )


def plan_audit_log(plan: ServicePlan, store: SecretStore | None = None) -> AuditLog:
    """The plan's audit log, keyed like the workspace's; each entry is anchored in `store`
    (stores.base.AuditAnchored) the way the workspace anchors it in the stores it opened."""
    from secretwarden.audit.log import AuditLog

    def anchor(entry: dict[str, Any]) -> None:
        from secretwarden.stores.base import AuditAnchored

        if not isinstance(store, AuditAnchored):
            return
        for pid, count in store.claim_orphaned_writes().items():
            log.append(
                command="unaudited-write",
                store=plan.store.name,
                outcome="error",
                detail=f"{count} write(s) by process {pid} were committed without an audit entry "
                "(the process ended before recording them)",
            )
        store.anchor_audit(log.log_id, int(entry["seq"]), str(entry["hash"]))

    log = AuditLog(
        Path(plan.audit_path),
        project=plan.store.project,
        repo_root=Path(plan.store.root),
        after_append=anchor if store is not None else None,
    )
    return log


def resolve_values(store: SecretStore, entries: Iterable[Requirement], *, allow_compromised: bool = False) -> Resolution:
    """Read and check every entry; a compromised value is read only when `allow_compromised`."""
    from secretwarden.contract.validation import value_problems
    from secretwarden.errors import SecretNotFound

    res = Resolution()
    for entry in entries:
        meta = store.key_meta(entry.slot)
        if meta is None or meta.current is None:
            res.readings.append((entry, "missing", ()))
            continue
        state = "compromised" if meta.compromised else "present"
        if state == "compromised" and not allow_compromised:
            res.readings.append((entry, state, ()))
            continue
        try:
            value = store.read(entry.slot).reveal()
        except SecretNotFound:
            res.readings.append((entry, "missing", ()))
            continue
        res.keys.append(entry.slot.label())
        bad = value_problems(value, entry.fmt, entry.regex, entry.min_length)
        if bad:
            res.readings.append((entry, "invalid", tuple(bad)))
            continue  # an invalid value is never passed on
        res.readings.append((entry, state, ()))
        res.values[entry.var] = value
    return res


@contextmanager
def audited(log: AuditLog, **fields: Any) -> Iterator[dict[str, Any]]:
    """Audit a read: `outcome` ok, refused (policy) or error with the error's class; never a value."""
    extra: dict[str, Any] = {}
    try:
        yield extra
    except WardenError as exc:
        log.append(**fields, **extra, outcome="refused" if exc.exit_code == 1 else "error", reason=type(exc).__name__)
        raise
    except BaseException as exc:
        log.append(**fields, **extra, outcome="error", reason=type(exc).__name__)
        raise
    log.append(**fields, **extra, outcome="ok")


def sensitive_store_values(
    contract: Contract,
    store: SecretStore,
    log: AuditLog,
    env: str,
    *,
    service: str | None = None,
    instance: str | None = None,
    command: str = "redact",
) -> list[tuple[str, str]]:
    """(key name, value) of every sensitive key of `env` (or one service) present in the store, for redaction.

    Keys that are missing, deleted or invalid are simply not redacted: cleaning a
    log must not fail because the store has gaps. A key may appear once per
    instance with different values.
    """
    from secretwarden.contract.plan import requirements
    from secretwarden.errors import SecretNotFound

    reqs = sensitive_only(requirements(contract, env, service=service, instance=instance))
    slots = {r.slot: r.var for r in reqs}  # a shared key read by several services is one slot
    pairs: list[tuple[str, str]] = []
    with audited(log, command=command, service=service, env=env, instance=instance) as extra:
        read: list[str] = []
        for slot, var in slots.items():
            meta = store.key_meta(slot)
            if meta is None or meta.current is None:
                continue
            try:
                value = store.read(slot).reveal()
            except SecretNotFound:
                continue
            read.append(slot.label())
            pairs.append((var, value))
        extra["keys"] = read
    return pairs
