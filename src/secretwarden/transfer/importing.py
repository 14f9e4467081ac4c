"""`warden import`: map values from legacy sources onto contract slots, show the plan, write the changes.

Every offered name gets one row: where it goes (or why it goes nowhere) and
what would happen — `new`, `same` (already the current value: nothing
written), `different` (a new version), or a refusal (`placeholder`,
`invalid`, `empty`, `ambiguous`, `needs-instance`). Names the contract does not
know are `skipped`. Values are compared by keyed fingerprint; the table never
holds a value. Each write is audited with its origin (file and line, or Vault
path) as provenance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from secretwarden.errors import UsageError
from secretwarden.ops.secrets import resolve_slot, stamp_for
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretStore, SecretValue
from secretwarden.transfer.sources import Kind, Offered, read_source

Status = Literal["new", "same", "different", "skipped", "placeholder", "invalid", "empty", "ambiguous",
                 "needs-instance", "compromised", "reused"]
WRITES: frozenset[Status] = frozenset({"new", "different"})
REFUSED: frozenset[Status] = frozenset({"placeholder", "invalid", "empty", "ambiguous", "needs-instance",
                                        "compromised", "reused"})


@dataclass(frozen=True)
class ImportRow:
    name: str
    origin: str
    slot: SlotRef | None
    status: Status
    note: str = ""


@dataclass
class ImportPlan:
    env: str
    rows: list[ImportRow]
    notes: list[str] = field(default_factory=list)
    written: list[SlotRef] = field(default_factory=list)
    deleted_sources: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.status in REFUSED]

    @property
    def to_write(self) -> int:
        """Rows whose value the import writes (or would, in a dry run)."""
        return sum(1 for r in self.rows if r.status in WRITES)


def load_mapping(path: Path) -> dict[str, str | None]:
    """`SOURCE_NAME: namespace/KEY` (or `skip`) per line of a YAML mapping file."""
    from secretwarden.transfer.sources import load_yaml_input

    try:
        data = load_yaml_input(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise UsageError(f"cannot read the mapping file {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the mapping file is not UTF-8 text") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) or v is None for v in data.values()):
        raise UsageError(f"{path}: the mapping is `SOURCE_NAME: namespace/KEY` (or `skip`) per line")
    return {str(k): (None if v in (None, "skip") else str(v)) for k, v in data.items()}


def _contract_targets(ws: Workspace, env: str) -> dict[str, set[tuple[str, str]]]:
    """Variable name -> the (namespace, KEY) slots services read under that name in `env`."""
    from secretwarden.contract.plan import requirements

    targets: dict[str, set[tuple[str, str]]] = {}
    for req in requirements(ws.contract, env):
        targets.setdefault(req.var, set()).add((req.slot.namespace, req.slot.key))
    return targets


def _looks_unreal(value: str) -> str | None:
    """Why a value is a placeholder or a reference rather than a secret, or None."""
    from secretwarden.contract.formats import FORMATS
    from secretwarden.scan.filters import is_masked, is_placeholder, is_reference

    if is_reference(value):
        return "a reference to another variable, not a value"
    if is_masked(value) or is_placeholder(value):
        return "a placeholder"
    if value in {f.placeholder for f in FORMATS.values()} or value.upper().startswith(("REPLACE_ME", "CHANGE_ME")):
        return "a placeholder"
    return None


def plan_import(
    ws: Workspace,
    sources: list[str],
    *,
    env: str,
    kind: Kind | None = None,
    namespace: str | None = None,
    mapping: dict[str, str | None] | None = None,
    instance: str | None = None,
    allow_invalid: bool = False,
    read: Callable[[str, Kind | None, Path], tuple[list[Offered], list[str]]] = read_source,
) -> tuple[ImportPlan, dict[SlotRef, tuple[SecretValue, str]]]:
    """The rows, and the values to write per slot (kept out of the plan so it can be printed)."""
    from secretwarden.contract.plan import check_env
    check_env(ws.contract, env)
    if namespace is not None and namespace not in ws.contract.namespaces:
        raise UsageError(f"unknown namespace `{namespace}`", hint="namespaces: " + ", ".join(ws.contract.namespaces))
    targets = _contract_targets(ws, env)
    plan = ImportPlan(env, [])
    pending: dict[SlotRef, tuple[SecretValue, str]] = {}
    store = ws.secrets(env)
    denied: set[str] | None = None
    for source in sources:
        offered, notes = read(source, kind, ws.root)
        plan.notes += notes
        for item in offered:
            row, value = _row(ws, item, env, targets, namespace, mapping, instance)
            if row.slot is not None and row.status == "new":
                if denied is None:
                    denied = store.denied_fingerprints()  # one query for the whole import
                row = _against_store(ws, store, row, item.value, allow_invalid, denied)
            if row.slot is not None and row.slot in pending and row.status in WRITES:
                row = ImportRow(row.name, row.origin, row.slot, "ambiguous", "another source line sets the same slot")
            plan.rows.append(row)
            if row.status in WRITES and row.slot is not None and value is not None:
                pending[row.slot] = (value, row.origin)
    return plan, pending


def _row(
    ws: Workspace,
    item: Offered,
    env: str,
    targets: dict[str, set[tuple[str, str]]],
    namespace: str | None,
    mapping: dict[str, str | None] | None,
    instance: str | None,
) -> tuple[ImportRow, SecretValue | None]:
    address: tuple[str, str] | None = item.address
    if mapping is not None and item.name in mapping:
        target = mapping[item.name]
        if target is None:
            return ImportRow(item.name, item.origin, None, "skipped", "skipped by the mapping"), None
        ns, _, key = target.partition("/")
        address = (ns, key)
    elif address is None and namespace is not None:
        address = (namespace, item.name)
    elif address is None:
        found = targets.get(item.name, set())
        if not found:
            return ImportRow(item.name, item.origin, None, "skipped", "no service reads this name in " + env), None
        if len(found) > 1:
            where = ", ".join(sorted(f"{n}/{k}" for n, k in found))
            return ImportRow(item.name, item.origin, None, "ambiguous", f"read from {where}: use --mapping"), None
        address = next(iter(found))
    try:
        slot = resolve_slot(ws, env, address[0], address[1], instance)
    except UsageError as exc:
        status: Status = "needs-instance" if "--instance" in exc.message else "skipped"
        return ImportRow(item.name, item.origin, None, status, exc.message), None
    value = item.value.reveal()
    if value == "":
        return ImportRow(item.name, item.origin, slot, "empty", "empty value"), None
    unreal = _looks_unreal(value)
    if unreal is not None:
        return ImportRow(item.name, item.origin, slot, "placeholder", unreal), None
    from secretwarden.stores.storable import unstorable_reason

    problem = unstorable_reason(slot.key, value)
    if problem is not None:  # what `warden run` could never hand to a service is not stored
        return ImportRow(item.name, item.origin, slot, "invalid", f"value {problem}"), None
    return ImportRow(item.name, item.origin, slot, "new"), item.value


def _against_store(ws: Workspace, store: SecretStore, row: ImportRow, value: SecretValue, allow_invalid: bool,
                   denied: set[str]) -> ImportRow:
    assert row.slot is not None
    stamp = stamp_for(ws, row.slot, value)
    problems = stamp.problems if stamp is not None else ()
    if problems and not allow_invalid:
        return ImportRow(row.name, row.origin, row.slot, "invalid", "value " + "; ".join(problems))
    fingerprint = store.fingerprint(value)
    if fingerprint in denied:
        return ImportRow(row.name, row.origin, row.slot, "compromised", "this value was compromised before")
    meta = store.key_meta(row.slot)
    current = meta.current if meta else None
    if current is None:
        return row
    if current.fingerprint == fingerprint:
        return ImportRow(row.name, row.origin, row.slot, "same", f"already version {current.version}")
    if meta is not None and fingerprint in meta.fingerprints:
        return ImportRow(row.name, row.origin, row.slot, "reused", "an earlier version of this key; never reused")
    return ImportRow(row.name, row.origin, row.slot, "different", f"new version after {current.version}")


def apply_import(ws: Workspace, plan: ImportPlan, pending: dict[SlotRef, tuple[SecretValue, str]], *,
                 delete_sources: list[Path] | None = None, allow_invalid: bool = False) -> ImportPlan:
    """Write every pending value (audited, with provenance); delete the source files on request."""
    from secretwarden.ops.secrets import audited, slot_fields
    from secretwarden.stores.base import WriteRequest

    store = ws.secrets(plan.env)
    for slot, (value, origin) in pending.items():
        with audited(ws, command="import", **slot_fields(slot), detail=f"imported from {origin}") as extra:
            stamp = stamp_for(ws, slot, value)
            result = store.write_many([WriteRequest(slot, value, source="import", stamp=stamp)])[0]
            extra["version"] = result.version
        plan.written.append(slot)
    if delete_sources and not plan.refused:
        for path in delete_sources:
            path.unlink()
            plan.deleted_sources.append(str(path))
            ws.audit.append(command="import", outcome="ok", detail=f"deleted the imported source {path}")
    return plan
