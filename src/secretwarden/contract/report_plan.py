"""The resolved plan of every environment in columns, compiled once per contract and sealed.

`status`, `rotation status` and `isolation` look at every slot of the contract
(30,000 on a large one). Resolving the routing (`plan.requirements()`, the one
resolver) and building a `Requirement` per slot costs more than the rest of a
report, so the reports read this compiled form instead: per environment, one
column per field the reports use, in the order `requirements()` returns them,
plus what the reports need per namespace and per declared key. It is made from
`requirements()` itself (never a second resolver) and kept in the cache folder,
sealed like the other caches (contract/sealed_cache.py): an HMAC under the
local cache key bound to the contract's resolved path, its SHA-256, this
version of Secret Warden and the format below. Anything that does not verify
is a miss and the plan is compiled again.

Nothing in it depends on the stores, the clock or the incident register:
those are read fresh by every report.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import marshal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.contract.bulk import bulk_build

if TYPE_CHECKING:
    from secretwarden.contract.loader import LoadedContract
    from secretwarden.contract.model import Contract

REPORT_PLAN_FORMAT = "report-plan-v5"  # v5: key names as written (parser change); v4: marshal

# The columns of an environment, in the order `EnvColumns.rows()` yields them.
COLUMNS = (
    "service",  # the service reading the key
    "instance",  # its instance (per-instance services), else None
    "var",  # the variable it reads
    "namespace",  # the slot it reads (after any `ref`)
    "key",
    "required",
    "sensitive",
    "digest",  # spec_digest of the key's checks (what a validation stamp must name)
    "owner",  # owner as `requirements()` resolves it for this read
    "via_ref",  # `namespace/KEY` when read through a reference, else None
    "cadence",  # rotation cadence in seconds, or None
    "key_owner",  # owner of the key itself (`rotation status` names it for references)
)

# One row per slot (a key read by several services is one slot), in first-read order: what
# `rotation status` lists. The "owner read" of a slot is its first read not through a `ref`
# (else its first read); owner, sensitivity and cadence are that read's.
SLOT_COLUMNS = (
    "namespace",
    "key",
    "instance",
    "services",  # every service reading the slot, sorted (one: just it)
    "owner",  # the owner read's owner; for a read through a `ref`, the key's own owner
    "required",  # required by any reader
    "sensitive",
    "cadence",  # rotation cadence in seconds, or None
)

# Shortest secret part a named format guarantees (formats not listed: none). Isolation calls a
# value weak below a threshold of what the contract guarantees.
FORMAT_MIN_CHARS = {
    "stripe-secret-key": 16,
    "stripe-webhook-secret": 16,
    "resend-api-key": 16,
    "twilio-auth-token": 32,
    "jwt-secret": 32,
    "uuid": 32,
    "pem-private-key": 64,
}


@dataclass(frozen=True)
class KeyGuarantee:
    """What the contract says of a declared key that isolation needs."""

    sensitive: bool
    digest: str
    guaranteed: int  # characters the contract guarantees a valid value has


@dataclass(frozen=True)
class NamespacePolicy:
    deprecated: bool
    hold_until: dt.date | None
    past_hold: Literal["block", "warn"]


@dataclass(frozen=True)
class EnvColumns:
    store: str
    columns: dict[str, list[Any]]  # name (COLUMNS) -> one value per read, in requirements() order
    slots: dict[str, list[Any]]  # name (SLOT_COLUMNS) -> one value per slot, in first-read order

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """One tuple per read, fields in COLUMNS order."""
        return zip(*(self.columns[name] for name in COLUMNS), strict=True)

    def slot_rows(self) -> Iterator[tuple[Any, ...]]:
        """One tuple per slot, fields in SLOT_COLUMNS order."""
        return zip(*(self.slots[name] for name in SLOT_COLUMNS), strict=True)

    def __len__(self) -> int:
        return len(self.columns["var"])


def _slot_table(cols: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Group an environment's reads by slot (see SLOT_COLUMNS)."""
    # slot -> the index of its one read, or the list of its reads (most slots have one reader)
    grouped: dict[tuple[str, str, str | None], int | list[int]] = {}
    for i, where in enumerate(zip(cols["namespace"], cols["key"], cols["instance"], strict=True)):
        found = grouped.get(where)
        if found is None:
            grouped[where] = i
        elif isinstance(found, int):
            grouped[where] = [found, i]
        else:
            found.append(i)
    service, via_ref, required, sensitive, cadence = (
        cols[n] for n in ("service", "via_ref", "required", "sensitive", "cadence")
    )
    owner, key_owner = cols["owner"], cols["key_owner"]
    first_reads: list[int] = []
    services: list[list[str]] = []
    any_required: list[bool] = []
    for reads in grouped.values():
        if isinstance(reads, int):
            first_reads.append(reads)
            services.append([service[reads]])
            any_required.append(required[reads])
        else:
            first_reads.append(next((i for i in reads if via_ref[i] is None), reads[0]))
            services.append(sorted({service[i] for i in reads}))
            any_required.append(any(required[i] for i in reads))
    return {
        "namespace": [ns for ns, _, _ in grouped],
        "key": [key for _, key, _ in grouped],
        "instance": [inst for _, _, inst in grouped],
        "services": services,
        "owner": [owner[i] if via_ref[i] is None else key_owner[i] for i in first_reads],
        "required": any_required,
        "sensitive": [sensitive[i] for i in first_reads],
        "cadence": [cadence[i] for i in first_reads],
    }


@dataclass(frozen=True)
class ReportPlan:
    digest: str  # SHA-256 of the contract's bytes
    envs: dict[str, EnvColumns]  # in contract order
    namespaces: dict[str, NamespacePolicy]
    keys: dict[tuple[str, str], KeyGuarantee]  # declared (namespace, key) -> guarantee
    # pseudo-namespaces where bootstrap keeps Direct-Vault credentials (contract/direct_vault.py):
    # in a store, their keys are not orphans
    credential_namespaces: frozenset[str] = frozenset()


# --- compiling --------------------------------------------------------------------------------


def key_owner(contract: Contract, namespace: str, key: str) -> str | None:
    """Owner of a key itself (not of a service that reads it through a `ref`)."""
    from secretwarden.contract.references import declared_keys

    found = declared_keys(contract).get((namespace, key))
    ns = contract.namespaces.get(namespace)
    if found is None:
        return ns.owner if ns else None
    svc_name, spec = found
    return spec.owner or contract.services[svc_name].owner or (ns.owner if ns else None)


def key_guarantees(contract: Contract) -> dict[tuple[str, str], KeyGuarantee]:
    from secretwarden.contract.references import declared_keys
    from secretwarden.contract.validation import spec_digest, spec_fields

    out = {}
    made: dict[tuple[str | None, str | None, int | None, bool], KeyGuarantee] = {}
    for (ns, key), (_svc, spec) in declared_keys(contract).items():
        fmt, regex, min_length = spec_fields(spec)
        shape = (fmt, regex, min_length, spec.sensitive)
        found = made.get(shape)  # thousands of keys share a handful of specs: digest each once
        if found is None:
            guaranteed = max(min_length or 0, FORMAT_MIN_CHARS.get(fmt or "", 0))
            found = made[shape] = KeyGuarantee(spec.sensitive, spec_digest(fmt, regex, min_length), guaranteed)
        out[(ns, key)] = found
    return out


@bulk_build  # 100,000 small objects, no cycles: contract/bulk.py
def compile_report_plan(contract: Contract, digest: str) -> ReportPlan:
    from secretwarden.contract.plan import requirements

    envs: dict[str, EnvColumns] = {}
    owners: dict[tuple[str, str], str | None] = {}
    for env in contract.environments:
        reqs = requirements(contract, env)
        slots = [r.slot for r in reqs]
        cols: dict[str, list[Any]] = {
            "service": [r.service for r in reqs],
            "instance": [s.instance for s in slots],
            "var": [r.var for r in reqs],
            "namespace": [s.namespace for s in slots],
            "key": [s.key for s in slots],
            "required": [r.required for r in reqs],
            "sensitive": [r.sensitive for r in reqs],
            "digest": [r.digest for r in reqs],
            "owner": [r.owner for r in reqs],
            "via_ref": [r.via_ref for r in reqs],
            "cadence": [r.rotate_every.total_seconds() if r.rotate_every is not None else None for r in reqs],
        }
        for r in reqs:
            if r.via_ref is not None and (r.slot.namespace, r.slot.key) not in owners:
                owners[(r.slot.namespace, r.slot.key)] = key_owner(contract, r.slot.namespace, r.slot.key)
        cols["key_owner"] = [
            r.owner if r.via_ref is None else owners[(r.slot.namespace, r.slot.key)] for r in reqs
        ]
        envs[env] = EnvColumns(contract.store_for(env), cols, _slot_table(cols))
    namespaces = {
        name: NamespacePolicy(ns.deprecated, ns.hold_until, ns.past_hold) for name, ns in contract.namespaces.items()
    }
    from secretwarden.contract.direct_vault import credential_namespaces

    return ReportPlan(digest, envs, namespaces, key_guarantees(contract), credential_namespaces(contract))


# --- (de)serialising ----------------------------------------------------------------------------

# The sealed file holds the plan as `marshal` data: lists of str/int/float/bool/None load in C,
# five times faster than the same JSON. marshal is not meant for untrusted bytes: the body is read
# only after its MAC (under the local cache key) verifies, i.e. only bytes this user's warden
# wrote, and the context names this Python's marshal version, so another interpreter's file is a
# miss, never a misread.
# Most columns repeat one value over a run of reads (a service's reads share its name, namespace,
# owner, spec...): such a column is kept as runs, which is five times smaller and, unpacked, still
# twice as fast to read as the plain list.


def _packed(column: list[Any]) -> list[Any] | dict[str, list[list[Any]]]:
    runs: list[list[Any]] = []
    for value in column:
        if runs and runs[-1][0] == value and type(runs[-1][0]) is type(value):
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return {"runs": runs} if len(runs) * 2 < len(column) else column


def _unpacked(column: Any) -> list[Any]:
    if isinstance(column, list):
        return column
    out: list[Any] = []
    for value, count in column["runs"]:
        out.extend(repeat(value, count))
    return out


def _to_doc(plan: ReportPlan) -> dict[str, Any]:
    return {
        "format": REPORT_PLAN_FORMAT,
        "digest": plan.digest,
        "envs": {
            env: [c.store, {n: _packed(v) for n, v in c.columns.items()}, {n: _packed(v) for n, v in c.slots.items()}]
            for env, c in plan.envs.items()
        },
        "namespaces": {
            n: [p.deprecated, p.hold_until.isoformat() if p.hold_until else None, p.past_hold]
            for n, p in plan.namespaces.items()
        },
        "keys": _keys_doc(plan.keys),
        "credential_namespaces": sorted(plan.credential_namespaces),
    }


def _keys_doc(keys: dict[tuple[str, str], KeyGuarantee]) -> dict[str, list[Any]]:
    """Thousands of keys share a handful of guarantees: each distinct one once, and per key its index
    (loading builds a handful of objects, not one frozen dataclass per key)."""
    distinct: dict[KeyGuarantee, int] = {}
    index = [distinct.setdefault(g, len(distinct)) for g in keys.values()]
    return {
        "namespace": [ns for ns, _ in keys],
        "key": [key for _, key in keys],
        "guarantee": index,
        "guarantees": [[g.sensitive, g.digest, g.guaranteed] for g in distinct],
    }


def _keys(doc: dict[str, list[Any]]) -> dict[tuple[str, str], KeyGuarantee]:
    made = [KeyGuarantee(s, dg, g) for s, dg, g in doc["guarantees"]]
    return dict(zip(zip(doc["namespace"], doc["key"], strict=True), map(made.__getitem__, doc["guarantee"]), strict=True))


def _from_doc(doc: dict[str, Any]) -> ReportPlan:
    envs = {}
    for env, (store, packed_columns, packed_slots) in doc["envs"].items():
        columns = {n: _unpacked(v) for n, v in packed_columns.items()}
        slots = {n: _unpacked(v) for n, v in packed_slots.items()}
        for table, names in ((columns, COLUMNS), (slots, SLOT_COLUMNS)):
            if set(table) != set(names) or len({len(v) for v in table.values()}) > 1:
                raise ValueError("columns do not match this format")
        envs[env] = EnvColumns(store, columns, slots)
    return ReportPlan(
        digest=doc["digest"],
        envs=envs,
        namespaces={
            n: NamespacePolicy(d, dt.date.fromisoformat(h) if h else None, p) for n, (d, h, p) in doc["namespaces"].items()
        },
        keys=_keys(doc["keys"]),
        credential_namespaces=frozenset(doc["credential_namespaces"]),
    )


# --- the sealed cache --------------------------------------------------------------------------

# The plan of the most recent contract in this process (a server or a test builds several reports).
_LAST: dict[tuple[str, str], ReportPlan] = {}


def _context(path: Path, digest: str) -> bytes:
    from secretwarden import __version__

    # surrogateescape: a folder name that is not UTF-8 reaches Python as lone surrogates (os.fsdecode)
    return "\0".join((REPORT_PLAN_FORMAT, f"marshal {marshal.version}", sys.version, __version__, str(path),
                      digest)).encode("utf-8", "surrogateescape")


def _cache_file(key: bytes, context: bytes) -> Path:
    from secretwarden.contract.sealed_cache import file_name
    from secretwarden.paths import cache_dir

    return cache_dir() / "reports" / f"{file_name(key, context)}.bin"


def report_plan(loaded: LoadedContract) -> ReportPlan:
    """The compiled plan of this contract: from memory, the sealed cache, or compiled now."""
    from secretwarden.contract import sealed_cache

    held = _LAST.get((str(loaded.path), loaded.digest))
    if held is not None:
        return held
    context = _context(loaded.path, loaded.digest)
    try:
        key = sealed_cache.local_key(create=True, project_root=loaded.root)
    except (OSError, RuntimeError, KeyError):  # no HOME, no config folder: no cache
        key = None
    plan = None
    if key is not None:
        body = sealed_cache.unseal(key, context, _cache_file(key, context))
        if body is not None:
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError, EOFError):
                doc = marshal.loads(body)
                if doc.get("format") == REPORT_PLAN_FORMAT and doc.get("digest") == loaded.digest:
                    plan = _from_doc(doc)
    if plan is None:
        plan = compile_report_plan(loaded.contract, loaded.digest)
        if key is not None:
            body = marshal.dumps(_to_doc(plan))
            with contextlib.suppress(OSError):  # a read-only cache only costs speed
                sealed_cache.write_sealed(_cache_file(key, context), key, context, body)
    _LAST.clear()
    _LAST[(str(loaded.path), loaded.digest)] = plan
    return plan
