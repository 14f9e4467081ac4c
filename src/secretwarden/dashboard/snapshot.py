"""Read each store's metadata once per dashboard build.

Every section asks the stores the same questions (the gap report, rotation,
incidents and isolation each list every key). `snapshot()` gives the builders a
workspace whose metadata readers answer from one listing per store, so a page
costs one pass over the metadata whatever it shows, and every section sees the
same instant. It wraps `MetadataReader` only: there is nothing to read values
with, and the protocol's own readers still do the listing.

A store that cannot be reached (a Vault server down, or not reachable from
this machine) answers empty and keeps the error in `unreachable`: the page is
built from the other stores and says which environments it could not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secretwarden.errors import StoreUnavailable
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    JournalHead,
    JournalWriter,
    KeyMeta,
    MetadataReader,
    SharedJournal,
    SharedStateHolder,
    StoreStats,
)
from secretwarden.stores.summary import FingerprintRow, KeySummary, summarize


class SnapshotReader:
    """A `MetadataReader` answering from one listing of the store it wraps."""

    def __init__(self, inner: MetadataReader) -> None:
        self.inner = inner
        self.name = inner.name
        self.backend = inner.backend
        self.stats: StoreStats = inner.stats  # the same counters: reads stay counted where they happen
        self._keys: dict[SlotRef, KeyMeta] | None = None
        self._namespaces: dict[str, set[str]] = {}
        self._denied: set[str] | None = None
        self._summaries: list[KeySummary] | None = None
        self._fingerprints: list[FingerprintRow] | None = None
        self.unreachable: StoreUnavailable | None = None
        self._journal: _ReachableJournal | None = None

    def _all(self) -> dict[SlotRef, KeyMeta]:
        if self._keys is None:
            try:
                self._keys = {m.slot: m for m in self.inner.list_meta()}
            except StoreUnavailable as exc:
                self.unreachable, self._keys = exc, {}
        return self._keys

    def namespaces(self, env: str) -> set[str]:
        if env not in self._namespaces:
            try:
                self._namespaces[env] = set() if self.unreachable else set(self.inner.namespaces(env))
            except StoreUnavailable as exc:
                self.unreachable, self._namespaces[env] = exc, set()
        return set(self._namespaces[env])

    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        for slot, meta in self._all().items():
            if (env is None or slot.env == env) and (namespace is None or slot.namespace == namespace):
                yield meta

    def key_meta(self, slot: SlotRef) -> KeyMeta | None:
        return self._all().get(slot)

    def denied_fingerprints(self) -> set[str]:
        if self._denied is None:
            try:
                self._denied = set() if self.unreachable else set(self.inner.denied_fingerprints())
            except StoreUnavailable as exc:
                self.unreachable, self._denied = exc, set()
        return set(self._denied)

    def key_summaries(self, env: str | None = None) -> list[KeySummary]:
        """The reports' one-row-per-key view (stores/summary.py), from the same one listing."""
        if self._summaries is None:
            self._summaries = [summarize(m) for m in self._all().values()]
        return [s for s in self._summaries if env is None or s.slot.env == env]

    def fingerprint_rows(self) -> list[FingerprintRow]:
        if self._fingerprints is None:
            self._fingerprints = [
                (slot.env, slot.namespace, slot.instance or "", slot.key, v.version, v.fingerprint)
                for slot, m in self._all().items()
                for v in m.versions
                if v.fingerprint
            ]
        return list(self._fingerprints)

    def shared_journal(self) -> SharedJournal:
        """The store's journals (rotation log, incident register): read once per build, like the listing."""
        if self._journal is None:
            self._journal = _ReachableJournal(self)
        return self._journal

    def close(self) -> None:
        """The wrapped reader belongs to the original workspace, which closes it."""


def snapshot(ws: Workspace) -> Workspace:
    """A workspace over the same contract and clock whose stores answer from one listing each."""
    readers: dict[str, MetadataReader] = {
        name: SnapshotReader(reader) for name, reader in ws.metadata_by_store().items()
    }
    return Workspace(ws.loaded, clock=ws.clock, command=ws.command, _meta=readers)


class _ReachableJournal:
    """The wrapped store's journals; an unreachable store reads as having none (and says so)."""

    def __init__(self, reader: SnapshotReader) -> None:
        self.reader = reader
        self.location = reader.name
        self._heads: dict[str, JournalHead] = {}
        self._entries: dict[str, list[dict[str, Any]]] = {}

    def _journal(self) -> SharedJournal | None:
        inner = self.reader.inner
        return inner.shared_journal() if isinstance(inner, SharedStateHolder) and not self.reader.unreachable else None

    def head(self, name: str) -> JournalHead:
        if name not in self._heads:
            journal = self._journal()
            try:
                self._heads[name] = journal.head(name) if journal is not None else JournalHead()
            except StoreUnavailable as exc:
                self.reader.unreachable, self._heads[name] = exc, JournalHead()
        return self._heads[name]

    def entries(self, name: str) -> list[dict[str, Any]]:
        if name not in self._entries:
            journal = self._journal()
            try:
                self._entries[name] = journal.entries(name) if journal is not None else []
            except StoreUnavailable as exc:
                self.reader.unreachable, self._entries[name] = exc, []
        return list(self._entries[name])

    def append(self, name: str, writer: JournalWriter) -> dict[str, Any]:
        raise StoreUnavailable(f"store `{self.reader.name}`: the dashboard only reads")
