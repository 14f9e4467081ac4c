"""Isolation: no two slots may hold the same secret value, across every store.

Each version's keyed fingerprint (HMAC-SHA256 under the project's fingerprint
key, `crypto/fingerprint.py`) is in the store's metadata. One key per project
means the same value gives the same fingerprint in an embedded store and in a
Vault store, so comparing fingerprints finds a value shared between stores,
environments, instances or keys without any value leaving its store: every
store is opened with `access="metadata"`.

Findings:
* a *shared value*: two slots whose current values are equal (`current`), or
  a slot whose current value equals an earlier version of another slot
  (`history`: e.g. prod's old key copied into staging);
* a *weak* slot: the contract does not guarantee enough length for the value
  to resist guessing. Whoever holds the fingerprint key can test guesses
  against fingerprints, so such values are listed separately (they are the
  ones a fingerprint could betray; docs/isolation.md explains);
* an *unfingerprinted* slot: written by something other than warden, so it
  cannot be compared.

Plain configuration values (`sensitive: false`: a TTL, a URL) may be equal
everywhere and are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from secretwarden.contract.bulk import bulk_build
from secretwarden.contract.report_plan import KeyGuarantee, report_plan
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.summary import (
    KeySummary,
    fingerprint_rows,
    key_summaries,
    repeated_fingerprint_rows,
)

# A value shorter than this (in what the contract guarantees) could be found by
# testing guesses against its fingerprint.
WEAK_BELOW = 16  # (what a named format guarantees: contract/report_plan.py FORMAT_MIN_CHARS)

@dataclass(frozen=True, order=True)
class Located:
    store: str
    slot: SlotRef
    version: int
    current: bool

    def label(self) -> str:
        old = "" if self.current else f" (v{self.version}, an earlier version)"
        return f"{self.store}:{self.slot.label()}{old}"


@dataclass(frozen=True)
class SharedValue:
    a: Located
    b: Located
    kind: Literal["current", "history"]

    @property
    def crosses(self) -> list[str]:
        """What the value crossed: store, environment, instance, key."""
        out = []
        if self.a.store != self.b.store:
            out.append("store")
        if self.a.slot.env != self.b.slot.env:
            out.append("environment")
        if self.a.slot.instance != self.b.slot.instance:
            out.append("instance")
        if (self.a.slot.namespace, self.a.slot.key) != (self.b.slot.namespace, self.b.slot.key):
            out.append("key")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "crosses": self.crosses,
            "a": {"store": self.a.store, "slot": self.a.slot.label(), "version": self.a.version, "current": self.a.current},
            "b": {"store": self.b.store, "slot": self.b.slot.label(), "version": self.b.version, "current": self.b.current},
        }


@dataclass(frozen=True)
class FlaggedSlot:
    store: str
    slot: SlotRef
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"store": self.store, "slot": self.slot.label(), "reason": self.reason}


@dataclass
class IsolationReport:
    project: str
    generated_at: dt.datetime
    stores: list[str]
    slots_checked: int = 0
    config_ignored: int = 0
    shared: list[SharedValue] = field(default_factory=list)
    weak: list[FlaggedSlot] = field(default_factory=list)
    unfingerprinted: list[FlaggedSlot] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.shared

    @property
    def verdict(self) -> str:
        if self.ok:
            return "PASS"
        n = len(self.shared)
        return f"BLOCKED: {n} pair{'s' if n != 1 else ''} of slots share a value"

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "generated_at": self.generated_at.isoformat(),
            "verdict": self.verdict,
            "ok": self.ok,
            "stores": self.stores,
            "slots_checked": self.slots_checked,
            "config_ignored": self.config_ignored,
            "shared": [p.to_json() for p in self.shared],
            "weak": [w.to_json() for w in self.weak],
            "unfingerprinted": [u.to_json() for u in self.unfingerprinted],
        }


def _weakness(meta: KeySummary, spec: KeyGuarantee | None) -> str | None:
    if meta.version is None:
        return None
    if spec is None:
        return "not declared in the contract: its strength is unknown"
    stamp = meta.stamp
    if stamp is None or stamp.digest != spec.digest or stamp.problems:
        return "the value was not validated against the current contract spec"
    if spec.guaranteed < WEAK_BELOW:
        have = f"only {spec.guaranteed}" if spec.guaranteed else "no minimum"
        return f"the contract guarantees {have} characters (set min_length >= {WEAK_BELOW})"
    return None


@bulk_build  # 100,000 small objects, no cycles: contract/bulk.py
def isolation_report(ws: Workspace, *, listed: dict[str, list[KeySummary]] | None = None) -> IsolationReport:
    """Every pair of slots sharing a value, across all stores of the project; metadata only.

    `listed`: every store's key summaries when the caller already has them (`status`); a store
    missing from it did not answer and is left out (the caller says so).
    Per store: one query for the keys' current versions, one for every fingerprint.
    """
    readers = ws.metadata_by_store()
    if listed is not None:
        readers = {name: reader for name, reader in readers.items() if name in listed}
    report = IsolationReport(ws.loaded.facts.project, ws.clock(), sorted(readers))
    specs = report_plan(ws.loaded).keys
    # fingerprint -> (store, slot row, version, current); Located objects only for real groups
    by_fp: dict[str, list[tuple[str, tuple[str, str, str, str], int, bool]]] = {}
    for store_name in sorted(readers):
        reader = readers[store_name]
        # A fingerprint seen once in this store can only pair with another store's: with no
        # other store, only fingerprints seen twice or more are worth grouping (a few rows).
        rows = fingerprint_rows(reader) if len(readers) > 1 else repeated_fingerprint_rows(reader)
        row_keys = {r[3] for r in rows}  # key names of those rows: which slots' current version matters
        current: dict[tuple[str, str, str, str], int] = {}  # checked slots in `rows` -> current version
        # The weakness of a slot depends only on its key's guarantee and its stamp; both are
        # shared objects (a few specs, stamps parsed once each), alive throughout this loop, so
        # their ids name them: each pair is judged once.
        weakness: dict[tuple[int, int], str | None] = {}
        for meta in key_summaries(reader) if listed is None else listed[store_name]:
            slot = meta.slot
            spec = specs.get((slot.namespace, slot.key))
            if spec is not None and not spec.sensitive:
                report.config_ignored += 1
                continue
            if meta.version is None:
                continue
            report.slots_checked += 1
            if meta.fingerprint is None:
                report.unfingerprinted.append(
                    FlaggedSlot(store_name, slot, "no fingerprint in metadata (written outside warden)")
                )
            pair = (id(spec), id(meta.stamp))
            why = weakness[pair] if pair in weakness else weakness.setdefault(pair, _weakness(meta, spec))
            if why is not None:
                report.weak.append(FlaggedSlot(store_name, slot, why))
            if slot.key in row_keys:
                current[(slot.env, slot.namespace, slot.instance or "", slot.key)] = meta.version
        for env, ns, inst, key, version, fp in rows:
            row = (env, ns, inst, key)
            cur = current.get(row)
            if cur is not None:
                by_fp.setdefault(fp, []).append((store_name, row, version, version == cur))
    for found in by_fp.values():
        if len(found) < 2:
            continue
        group = sorted(Located(store, SlotRef(e, n, k, i or None), v, c) for store, (e, n, i, k), v, c in found)
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if (a.store, a.slot) == (b.store, b.slot) or not (a.current or b.current):
                    continue
                kind: Literal["current", "history"] = "current" if a.current and b.current else "history"
                report.shared.append(SharedValue(a, b, kind))
    report.shared.sort(key=lambda p: (p.kind != "current", p.a, p.b))
    return report
