"""One row per key: what the reports need of a store's metadata, in one query.

`status`, `rotation status` and the dashboard look at each key's current
version (its number, time, validation stamp and fingerprint), how many
versions it has and whether it is compromised — not at every version. A
backend that can answer that in one query per environment implements
`SummaryReader` (the embedded store does, in SQL); for the others
`key_summaries()` folds their `list_meta`. Either way a report makes one
metadata call per store and environment, never one per slot.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from operator import itemgetter
from typing import Protocol, runtime_checkable

from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta, MetadataReader, ValidationStamp


@dataclass(slots=True)
class KeySummary:
    """One slot's current version, stamp, fingerprint and marks, as reports need them."""

    slot: SlotRef
    version: int | None  # the current version (newest live one); None: no live version
    written_at: dt.datetime | None  # when the current version was written
    stamp: ValidationStamp | None  # what its writer checked
    fingerprint: str | None
    versions: int  # versions ever written (live or not)
    compromised: bool  # marked, and no live version written after the mark (as KeyMeta.compromised)


# One environment's summaries keyed by (namespace, key, instance): how reports look a slot up.
SummaryIndex = dict[tuple[str, str, str | None], KeySummary]

# (env, namespace, instance or "", key, version, fingerprint): every version that has a fingerprint.
FingerprintRow = tuple[str, str, str, str, int, str]


@runtime_checkable
class SummaryReader(Protocol):
    def key_summaries(self, env: str | None = None) -> list[KeySummary]:
        """One `KeySummary` per key of `env` (default: every environment), from one query."""
        ...

    def fingerprint_rows(self) -> list[FingerprintRow]:
        """Every fingerprinted version of every key, from one query (isolation)."""
        ...


@runtime_checkable
class RepeatedFingerprintReader(Protocol):
    def repeated_fingerprint_rows(self) -> list[FingerprintRow]:
        """The `fingerprint_rows` whose fingerprint this store holds twice or more, from one query."""
        ...


def summarize(meta: KeyMeta) -> KeySummary:
    cur = meta.current
    return KeySummary(
        slot=meta.slot,
        version=cur.version if cur else None,
        written_at=cur.created_at if cur else None,
        stamp=cur.stamp if cur else None,
        fingerprint=cur.fingerprint if cur else None,
        versions=len(meta.versions),
        compromised=meta.compromised,
    )


def key_summaries(reader: MetadataReader, env: str | None = None) -> list[KeySummary]:
    """Every key of `env` (default: all) in `reader`, summarised, from one metadata call."""
    if isinstance(reader, SummaryReader):
        return reader.key_summaries(env)
    return [summarize(m) for m in reader.list_meta(env)]


def by_env(summaries: list[KeySummary]) -> dict[str, SummaryIndex]:
    """Each environment's summaries keyed by (namespace, key, instance), in one pass over the list."""
    out: dict[str, SummaryIndex] = {}
    env: str | None = None
    index: SummaryIndex = {}
    for m in summaries:
        slot = m.slot
        if slot.env != env:  # summaries come grouped by environment: a lookup per change only
            env = slot.env
            index = out.setdefault(env, {})
        index[(slot.namespace, slot.key, slot.instance)] = m
    return out


def fingerprint_rows(reader: MetadataReader) -> list[FingerprintRow]:
    if isinstance(reader, SummaryReader):
        return reader.fingerprint_rows()
    return [
        (m.slot.env, m.slot.namespace, m.slot.instance or "", m.slot.key, v.version, v.fingerprint)
        for m in reader.list_meta()
        for v in m.versions
        if v.fingerprint
    ]


def repeated_fingerprint_rows(reader: MetadataReader) -> list[FingerprintRow]:
    """The rows of the fingerprints seen twice or more in `reader` (what one store alone can share)."""
    if isinstance(reader, RepeatedFingerprintReader):
        return reader.repeated_fingerprint_rows()
    rows = fingerprint_rows(reader)
    seen = Counter(map(itemgetter(5), rows))  # (map and itemgetter: counted in C)
    repeated = {fp for fp, n in seen.items() if n > 1}
    return [r for r in rows if r[5] in repeated] if repeated else []


def is_compromised(marked_at: str | None, written_at: str | None) -> bool:
    """KeyMeta.compromised from a row's ISO timestamps (parsed only for marked keys)."""
    if marked_at is None:
        return False
    if written_at is None:
        return True
    return dt.datetime.fromisoformat(written_at) <= dt.datetime.fromisoformat(marked_at)
