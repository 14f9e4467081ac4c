"""Single-key operations: set, get, list, history, delete, undelete, destroy.

Every value access is audited (who, what, where, outcome; never the value),
including refused and failed attempts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from secretwarden.contract.references import declared_keys
from secretwarden.contract.validation import spec_digest, spec_fields, value_problems
from secretwarden.errors import UsageError, ValidationFailed, WardenError
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef, printable
from secretwarden.stores.base import (
    KeyMeta,
    SecretStore,
    SecretValue,
    ValidationStamp,
    WriteRequest,
    WriteResult,
)
from secretwarden.stores.storable import refuse_unstorable

T = TypeVar("T")


@contextmanager
def audited(ws: Workspace, **fields: Any) -> Iterator[dict[str, Any]]:
    """Audit an operation: `outcome` ok, refused (policy) or error, with the error's class.

    What would refuse the entry afterwards (an audit key others can read, a lost key, a deleted
    log) refuses the operation first: nothing is read or written that the log could not record."""
    ws.audit.ready()
    extra: dict[str, Any] = {}
    try:
        yield extra
    except WardenError as exc:
        outcome = "refused" if exc.exit_code == 1 else "error"
        ws.audit.append(**fields, **extra, outcome=outcome, reason=type(exc).__name__)
        raise
    except BaseException as exc:
        ws.audit.append(**fields, **extra, outcome="error", reason=type(exc).__name__)
        raise
    ws.audit.append(**fields, **extra, outcome="ok")


def slot_fields(slot: SlotRef) -> dict[str, Any]:
    return {"env": slot.env, "namespace": slot.namespace, "key": slot.key, "instance": slot.instance}


def resolve_slot(ws: Workspace, env: str, namespace: str, key: str, instance: str | None, *, undeclared_ok: bool = False) -> SlotRef:
    """Check the address against the contract: namespace known, key declared, instance rules."""
    contract = ws.contract
    from secretwarden.contract.plan import check_env

    check_env(contract, env)
    if namespace not in contract.namespaces:
        from secretwarden.contract.suggest import closest

        guess = closest(namespace, contract.namespaces)
        names = sorted(contract.namespaces)
        raise UsageError(
            f"unknown namespace `{printable(namespace)[:80]}`" + (f"; did you mean `{guess}`?" if guess else ""),
            hint="the contract's namespaces: " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else ""),
        )
    declared = declared_keys(contract)
    found = declared.get((namespace, key))
    if found is None:
        if not key.isprintable() or len(key) > 256:
            # Declared keys follow the contract's name rule; an undeclared one must at least be
            # printable: a terminal escape in a key name would replay in every `ls` and `status`.
            raise UsageError(
                f"`{namespace}/{key.encode('unicode_escape').decode()[:80]}` is not a usable key name",
                hint="key names are letters, digits, `_`, `.` and `-` (at most 256 characters)",
            )
        if not undeclared_ok:
            from secretwarden.contract.suggest import closest

            guess = closest(key, [k for (n, k) in declared if n == namespace])
            raise UsageError(
                f"`{namespace}/{key}` is not declared in the contract"
                + (f"; did you mean `{guess}`?" if guess else ""),
                hint="declare it in warden.yaml first, or pass --undeclared",
            )
        return SlotRef(env, namespace, key, instance)
    svc = contract.services[found[0]]
    if svc.per_instance and instance is None:
        raise UsageError(f"`{namespace}/{key}` is per-instance: pass --instance")
    if not svc.per_instance and instance is not None:
        raise UsageError(f"`{namespace}/{key}` is not per-instance: drop --instance")
    if instance is not None:
        allowed = svc.instances if svc.instances is not None else contract.instances
        if instance not in allowed:
            raise UsageError(f"unknown instance `{instance}`", hint="instances: " + ", ".join(allowed))
    return SlotRef(env, namespace, key, instance)


def resolve_stored_slot(ws: Workspace, env: str, namespace: str, key: str, instance: str | None) -> SlotRef:
    """`resolve_slot` for commands that act on a key the store already holds (get, history, rm,
    undelete, destroy). A name someone else wrote into the store may hold characters nobody can
    type, and listings show it escaped (`slots.printable`: `\\x1b`): such a key is also found by
    that shown form. The exact name wins; a shown form two stored names share is refused.
    Never used by `set`, which still refuses to create such names."""
    shown = printable(key)
    if "\\" not in shown or (namespace, key) in declared_keys(ws.contract) or namespace not in ws.contract.namespaces:
        return resolve_slot(ws, env, namespace, key, instance, undeclared_ok=True)
    from secretwarden.contract.plan import check_env

    check_env(ws.contract, env)
    stored = [
        meta.slot
        for meta in ws.metadata(env).list_meta(env, namespace)
        if meta.slot.instance == instance and printable(meta.slot.key) == shown
    ]
    exact = [slot for slot in stored if slot.key == key]
    if exact:
        return exact[0]
    if len(stored) > 1:
        raise UsageError(
            f"`{namespace}/{shown[:80]}` names {len(stored)} stored keys (their names differ only in characters shown escaped)",
            hint="remove them from the store with the store's own tools, or rename one there",
        )
    if stored:
        return stored[0]
    return resolve_slot(ws, env, namespace, key, instance, undeclared_ok=True)


def stamp_for(ws: Workspace, slot: SlotRef, value: SecretValue) -> ValidationStamp | None:
    found = declared_keys(ws.contract).get((slot.namespace, slot.key))
    if found is None:
        return None
    fmt, regex, min_length = spec_fields(found[1])
    return ValidationStamp(
        spec_digest(fmt, regex, min_length), tuple(value_problems(value.reveal(), fmt, regex, min_length))
    )


def set_secret(
    ws: Workspace,
    slot: SlotRef,
    value: SecretValue,
    *,
    source: str = "set",
    allow_invalid: bool = False,
    cas: int | None = None,
) -> WriteResult:
    # A value `run` could never hand to a service is refused first, before the format check
    # and the audit entry (the write request would refuse it too, after both).
    refuse_unstorable(slot, value.reveal())
    with audited(ws, command=ws.command or "set", **slot_fields(slot)) as extra:
        stamp = stamp_for(ws, slot, value)
        if stamp is not None and stamp.problems and not allow_invalid:
            raise ValidationFailed(
                f"{slot.label()}: value " + "; ".join(stamp.problems),
                hint="fix the value, or pass --allow-invalid to store it anyway (status will report it)",
            )
        store = ws.secrets(slot.env)
        result = store.write_many([WriteRequest(slot, value, source=source, stamp=stamp, cas=cas)])[0]
        extra["version"] = result.version
        return result


def get_secret(ws: Workspace, slot: SlotRef, version: int | None = None) -> SecretValue:
    with audited(ws, command="get", **slot_fields(slot), version=version) as extra:
        value = ws.secrets(slot.env).read(slot, version)
        extra["detail"] = "read"
        return value


@dataclass(frozen=True)
class KeyListing:
    slot: SlotRef
    version: int | None
    versions: int
    updated_at: dt.datetime | None
    declared: bool
    compromised: bool


def list_keys(ws: Workspace, env: str, namespace: str | None = None) -> list[KeyListing]:
    from secretwarden.contract.direct_vault import credential_namespaces

    declared = declared_keys(ws.contract)
    credentials = credential_namespaces(ws.contract)  # kept by bootstrap for Direct-Vault services
    out = []
    for meta in ws.metadata(env).list_meta(env, namespace):
        cur = meta.current
        out.append(
            KeyListing(
                slot=meta.slot,
                version=cur.version if cur else None,
                versions=len(meta.versions),
                updated_at=meta.versions[-1].created_at if meta.versions else None,
                declared=(meta.slot.namespace, meta.slot.key) in declared or meta.slot.namespace in credentials,
                compromised=meta.compromised,
            )
        )
    return out


def history(ws: Workspace, slot: SlotRef) -> KeyMeta:
    from secretwarden.errors import SecretNotFound

    meta = ws.metadata(slot.env).key_meta(slot)
    if meta is None:
        raise SecretNotFound(
            f"{slot.label()}: no such key",
            hint=f"`warden ls --env {printable(slot.env)}` lists the keys the store holds",
        )
    return meta


VersionedOp = Callable[[SecretStore], Callable[[SlotRef, list[int] | None], list[int]]]


def _versioned_op(ws: Workspace, command: str, slot: SlotRef, versions: list[int] | None,
                  method: VersionedOp) -> list[int]:
    with audited(ws, command=command, **slot_fields(slot)) as extra:
        done = method(ws.secrets(slot.env))(slot, versions or None)
        extra["versions"] = done
        return done


def remove(ws: Workspace, slot: SlotRef, versions: list[int] | None = None) -> list[int]:
    return _versioned_op(ws, "rm", slot, versions, lambda store: store.soft_delete)


def undelete(ws: Workspace, slot: SlotRef, versions: list[int] | None = None) -> list[int]:
    return _versioned_op(ws, "undelete", slot, versions, lambda store: store.undelete)


def destroy(ws: Workspace, slot: SlotRef, versions: list[int] | None = None) -> list[int]:
    return _versioned_op(ws, "destroy", slot, versions, lambda store: store.destroy)
