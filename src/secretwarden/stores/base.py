"""The store protocol: one interface for every backend (embedded, vault, sops).

Two levels of access, on purpose:

* `MetadataReader` lists slots, versions, timestamps, keyed fingerprints,
  validation stamps and compromise marks. Reports (`status`, rotation,
  isolation, the dashboard) receive only this; a backend opened for metadata
  holds no key material and cannot decrypt.
* `SecretStore` adds reading and writing values. Only `get`, `run`,
  `check --verify-values`, `set`, `bootstrap` and `rotate` open one.

Every backend records the same metadata per version, so any report can be
answered from metadata alone, whatever the backend. Rules that must hold on
every backend (no reuse of an earlier or compromised value) live here, not
in each backend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from secretwarden.errors import ReuseRefused
from secretwarden.lazy_names import LazyNames
from secretwarden.slots import SlotRef
from secretwarden.value_class import FrozenValue

# The value classes below are written out rather than dataclasses: `warden run`'s fast path
# loads this module, and each dataclass costs about 0.5 ms of start-up (value_class.py).

# `typing` stays off that path too (about 2.8 ms): mypy, which takes any `TYPE_CHECKING` as true,
# reads the protocols below as `typing` protocols; at run time they are classes of `_Protocol`,
# whose `isinstance` asks what `typing.runtime_checkable` asks.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol, runtime_checkable
else:

    class _Protocol(type):
        """`isinstance(obj, P)`: true when `obj` has every member P and its protocol bases declare
        (a method must not be None), or when obj's class derives from P."""

        def __instancecheck__(cls, obj: object) -> bool:
            for name in cls._members:
                found = getattr(obj, name, _ABSENT)
                if found is _ABSENT or (found is None and callable(getattr(cls, name, None))):
                    return type.__instancecheck__(cls, obj)
            return True

        def __init__(cls, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> None:
            super().__init__(name, bases, namespace)
            declared = {n for k in cls.__mro__[:-1] for n in (*vars(k), *vars(k).get("__annotations__", ()))}
            cls._members = tuple(sorted(n for n in declared if not n.startswith("_")))

    _ABSENT = object()
    Protocol = _Protocol("Protocol", (), {})

    def runtime_checkable(cls: type) -> type:
        return cls


class SecretValue:
    """A secret held in memory. Its repr and str never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretValue", self._value))

    def __len__(self) -> int:
        return len(self._value)


class ValidationStamp(FrozenValue):
    """What the writer checked the value against (`digest`) and what it found.

    A report reuses the verdict while the contract's spec for the key still
    has the same digest; otherwise the value is "unverified".
    """

    _fields = ("digest", "problems")
    digest: str
    problems: tuple[str, ...]

    def __init__(self, digest: str, problems: tuple[str, ...] = ()) -> None:
        d = self.__dict__
        d["digest"] = digest
        d["problems"] = problems

    def to_json(self) -> dict[str, object]:
        return {"d": self.digest, "p": list(self.problems)}

    @classmethod
    def from_json(cls, data: object) -> ValidationStamp | None:
        if not isinstance(data, dict) or not isinstance(data.get("d"), str):
            return None
        problems = data.get("p") or []
        return cls(data["d"], tuple(str(p) for p in problems if isinstance(p, str)))


class VersionMeta(FrozenValue):
    """One version of a key as a store's metadata describes it (never its value)."""

    _fields = ("version", "created_at", "created_by", "source", "fingerprint", "stamp", "deleted_at", "destroyed")
    version: int
    created_at: dt.datetime
    created_by: str
    source: str  # set | generate | rotate | import | external
    fingerprint: str | None  # keyed HMAC-SHA256 of the value (see crypto/fingerprint.py)
    stamp: ValidationStamp | None
    deleted_at: dt.datetime | None
    destroyed: bool

    def __init__(
        self,
        version: int,
        created_at: dt.datetime,
        created_by: str = "",
        source: str = "set",
        fingerprint: str | None = None,
        stamp: ValidationStamp | None = None,
        deleted_at: dt.datetime | None = None,
        destroyed: bool = False,
    ) -> None:
        d = self.__dict__
        d["version"] = version
        d["created_at"] = created_at
        d["created_by"] = created_by
        d["source"] = source
        d["fingerprint"] = fingerprint
        d["stamp"] = stamp
        d["deleted_at"] = deleted_at
        d["destroyed"] = destroyed

    @property
    def live(self) -> bool:
        return self.deleted_at is None and not self.destroyed


class KeyMeta(FrozenValue):
    """Every version of one slot plus its compromise mark: what reports read instead of values."""

    _fields = ("slot", "versions", "compromised_at")
    slot: SlotRef
    versions: tuple[VersionMeta, ...]  # oldest first
    compromised_at: dt.datetime | None

    def __init__(
        self, slot: SlotRef, versions: tuple[VersionMeta, ...], compromised_at: dt.datetime | None = None
    ) -> None:
        d = self.__dict__
        d["slot"] = slot
        d["versions"] = versions
        d["compromised_at"] = compromised_at

    @property
    def current(self) -> VersionMeta | None:
        """The newest live version: what `get` and `run` would read."""
        for v in reversed(self.versions):
            if v.live:
                return v
        return None

    @property
    def newest_version(self) -> int:
        return self.versions[-1].version if self.versions else 0

    @property
    def last_rotated(self) -> dt.datetime | None:
        cur = self.current
        return cur.created_at if cur else None

    @property
    def compromised(self) -> bool:
        """Under an open mark and no live version written after it."""
        if self.compromised_at is None:
            return False
        cur = self.current
        return cur is None or cur.created_at <= self.compromised_at

    @property
    def fingerprints(self) -> set[str]:
        return {v.fingerprint for v in self.versions if v.fingerprint}


class StoreStats:
    """Counted in the store layer so tests and benchmarks can prove what happened. Mutable."""

    __slots__ = ("metadata_reads", "values_read", "values_written")

    def __init__(self, values_read: int = 0, values_written: int = 0, metadata_reads: int = 0) -> None:
        self.values_read = values_read
        self.values_written = values_written
        self.metadata_reads = metadata_reads

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoreStats):
            return NotImplemented
        return (self.values_read, self.values_written, self.metadata_reads) == (
            other.values_read, other.values_written, other.metadata_reads,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        return (f"StoreStats(values_read={self.values_read}, values_written={self.values_written}, "
                f"metadata_reads={self.metadata_reads})")


class WriteRequest(FrozenValue):
    """One value to write to one slot, with its source, validation stamp and check-and-set version."""

    _fields = ("slot", "value", "source", "stamp", "cas")
    slot: SlotRef
    value: SecretValue  # its repr never shows the value
    source: str
    stamp: ValidationStamp | None
    cas: int | None  # expected newest version; 0 = must not exist yet

    def __init__(
        self,
        slot: SlotRef,
        value: SecretValue,
        source: str = "set",
        stamp: ValidationStamp | None = None,
        cas: int | None = None,
    ) -> None:
        # Every path a value enters builds one of these: the one place it is checked (stores/storable.py).
        from secretwarden.stores.storable import refuse_unstorable

        refuse_unstorable(slot, value.reveal())
        d = self.__dict__
        d["slot"] = slot
        d["value"] = value
        d["source"] = source
        d["stamp"] = stamp
        d["cas"] = cas


class WriteResult(FrozenValue):
    """The version a write created."""

    _fields = ("slot", "version", "created")
    slot: SlotRef
    version: int
    created: bool  # a new key, not a new version of an existing one

    def __init__(self, slot: SlotRef, version: int, created: bool) -> None:
        d = self.__dict__
        d["slot"] = slot
        d["version"] = version
        d["created"] = created


@runtime_checkable
class MetadataReader(Protocol):
    name: str
    backend: str
    stats: StoreStats

    def namespaces(self, env: str) -> set[str]:
        """Namespaces provisioned for `env` (they may hold no keys yet)."""
        ...

    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        """Every key's metadata, without reading or decrypting any value."""
        ...

    def key_meta(self, slot: SlotRef) -> KeyMeta | None: ...

    def denied_fingerprints(self) -> set[str]:
        """Fingerprints of values ever marked compromised in this store."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class SecretStore(MetadataReader, Protocol):
    def read(self, slot: SlotRef, version: int | None = None) -> SecretValue:
        """The value of `version` (default: current). Raises SecretNotFound."""
        ...

    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        """Write new versions; each refused if its value was used before in that slot
        or was ever compromised in this store (see `refuse_reuse`)."""
        ...

    def ensure_namespace(self, env: str, namespace: str) -> bool:
        """Provision a namespace; True when it was created."""
        ...

    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]: ...

    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]: ...

    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]: ...

    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        """Flag the key and deny every fingerprint it ever had, for good."""
        ...

    def clear_compromised(self, slot: SlotRef) -> None: ...

    def fingerprint(self, value: SecretValue) -> str: ...


def keyed_fingerprint(fingerprinter: Callable[[str], str] | None, value: SecretValue) -> str:
    """A value's fingerprint with the store's fingerprinter; every backend's `fingerprint`."""
    if fingerprinter is None:
        from secretwarden.errors import UsageError

        raise UsageError("this store was opened without a fingerprint key")
    return fingerprinter(value.reveal())


def check_fingerprint_key(
    store: str, recorded: str | None, fingerprinter: Callable[[str], str] | None, *, has_fingerprints: bool
) -> str | None:
    """Refuse a missing or different fingerprint key for a store that has fingerprints.

    `recorded` is the key id the store keeps (see crypto/fingerprint.py).
    Returns the id the store should record now (None: nothing to record).
    A new key for such a store would make every old fingerprint unmatchable,
    so a compromised value would be accepted again: never mint one silently.
    """
    if fingerprinter is None or (recorded is None and not has_fingerprints):
        return None
    key_id = getattr(fingerprinter, "key_id", None)
    if not callable(key_id):
        return None  # a bare callable (tests): nothing to compare
    current = key_id(create=False)
    origin = getattr(fingerprinter, "origin", "the fingerprint key")
    from secretwarden.errors import MasterKeyError

    restore = (
        "restore the project's fingerprint key (the file named here, or WARDEN_FINGERPRINT_KEY) from a backup; "
        "a new key would let values marked compromised back in"
    )
    if current is None:
        raise MasterKeyError(
            f"store `{store}` holds fingerprints made with a fingerprint key, and that key ({origin}) is missing",
            hint=restore,
        )
    if recorded is not None and recorded != current:
        raise MasterKeyError(
            f"store `{store}`: the fingerprint key from {origin} is not the one its fingerprints were made with",
            hint=restore,
        )
    return current if recorded is None else None


def fingerprint_key_id_of(fingerprinter: Callable[[str], str] | None) -> str | None:
    """The id of the fingerprinter's key, creating the key when needed (first write of a store)."""
    key_id = getattr(fingerprinter, "key_id", None)
    return key_id(create=True) if callable(key_id) else None


def prove_fingerprint_key(store: SecretStore, metas: Iterable[KeyMeta]) -> None:
    """For a store made before key ids were recorded: check the key on one of its own values.

    Reads the first current value that has a fingerprint and compares; a
    mismatch means the key is not the one the store's fingerprints use.
    Nothing to compare on (no readable value) proves nothing and passes.
    """
    from secretwarden.errors import MasterKeyError, WardenError

    for meta in metas:
        cur = meta.current
        if cur is None or not cur.fingerprint:
            continue
        try:
            value = store.read(meta.slot)
        except WardenError:
            continue
        if store.fingerprint(value) != cur.fingerprint:
            raise MasterKeyError(
                f"store `{store.name}`: the fingerprint key is not the one its fingerprints were made with",
                hint="restore the project's fingerprint key from a backup; "
                "a new key would let values marked compromised back in",
            )
        return


def refuse_reuse(slot: SlotRef, fingerprint: str, meta: KeyMeta | None, denied: set[str]) -> None:
    """The reuse rule, shared by every backend. Never names the value."""
    if fingerprint in denied:
        raise ReuseRefused(
            f"{slot.label()}: this value was marked compromised in this store and can never be used again"
        )
    if meta is not None and fingerprint in meta.fingerprints:
        raise ReuseRefused(f"{slot.label()}: this value was already used by an earlier version of the key")


# --- optional capabilities and access provisioning -----------------------------------------
# Defined in stores/capabilities.py and stores/provisioning.py, and loaded the first time one
# of these names is used (`__getattr__` below): reading values never needs them, and building
# their classes would cost `warden run` about 4 ms of start-up.

if TYPE_CHECKING:
    from secretwarden.stores.capabilities import BatchedWriter as BatchedWriter
    from secretwarden.stores.capabilities import Capabilities as Capabilities
    from secretwarden.stores.capabilities import DataKeyRotator as DataKeyRotator
    from secretwarden.stores.capabilities import IntegrityChecker as IntegrityChecker
    from secretwarden.stores.capabilities import RotatedDataKey as RotatedDataKey
    from secretwarden.stores.capabilities import capabilities_of as capabilities_of
    from secretwarden.stores.provisioning import AccessChange as AccessChange
    from secretwarden.stores.provisioning import AccessProvisioner as AccessProvisioner
    from secretwarden.stores.provisioning import AccessReport as AccessReport
    from secretwarden.stores.provisioning import AccessRequest as AccessRequest
    from secretwarden.stores.provisioning import NamespaceAccess as NamespaceAccess
    from secretwarden.stores.provisioning import RemoteReferences as RemoteReferences
    from secretwarden.stores.provisioning import ServiceAccess as ServiceAccess
    from secretwarden.stores.provisioning import StoreNotices as StoreNotices
else:
    __getattr__ = LazyNames(__name__, {
        "secretwarden.stores.capabilities": (
            "BatchedWriter", "Capabilities", "DataKeyRotator", "IntegrityChecker", "RotatedDataKey", "capabilities_of",
        ),
        "secretwarden.stores.provisioning": (
            "AccessChange", "AccessProvisioner", "AccessReport", "AccessRequest", "NamespaceAccess",
            "RemoteReferences", "ServiceAccess", "StoreNotices",
        ),
    })


# A protocol (cheap to build) and about values: it stays here, and stores/provisioning.py
# never imports this module (the import contracts allow no cycle, type-only ones included).
@runtime_checkable
class CredentialIssuer(Protocol):
    """Optional: backends that can hand out machine credentials for a role they provisioned."""

    def issue_credentials(self, role: str) -> dict[str, SecretValue]:
        """Fresh login credentials of `role` (e.g. AppRole role id and a new secret id)."""
        ...


# --- optional: the store keeps the head of the audit log that records its writes ------------


class AuditAnchorState(FrozenValue):
    """What a store remembers about the audit log its writes were recorded in."""

    _fields = ("log_id", "seq", "digest", "unaudited")
    _unhashed = frozenset({"unaudited"})  # a dict
    log_id: str  # which log (a digest of its location), so two logs never mix
    seq: int  # the last audit entry anchored after a write
    digest: str  # that entry's (keyed) hash
    unaudited: dict[int, int]  # pid -> writes committed, not yet audited

    def __init__(self, log_id: str, seq: int, digest: str, unaudited: dict[int, int] | None = None) -> None:
        d = self.__dict__
        d["log_id"] = log_id
        d["seq"] = seq
        d["digest"] = digest
        d["unaudited"] = {} if unaudited is None else unaudited


@runtime_checkable
class AuditAnchored(Protocol):
    """Optional: stores that anchor the audit log's head and count unaudited writes (embedded).

    A write bumps the writer's pending count in the same transaction as the
    data; `anchor_audit` (called after the audit entry is appended) records
    that entry and clears the count. `warden audit verify` then detects a
    deleted or cut log (the store names an entry the log lacks) and writes
    that were committed without an audit entry (a process killed in between).
    """

    def audit_anchor(self) -> AuditAnchorState | None: ...

    def anchor_audit(self, log_id: str, seq: int, digest: str) -> None: ...

    def claim_orphaned_writes(self) -> dict[int, int]:
        """Pending counts of writers that are no longer running; removed from the store."""
        ...


# --- optional: shared project state (rotation log, incident register) ----------------------

JOURNAL_GENESIS = "0" * 64  # the `prev` of a journal's first entry


class JournalHead(FrozenValue):
    """Where one shared journal ends: entry count, the last entry's hash, and the writer's index.

    `index` is whatever the caller's `fold` made of every entry so far (the
    incident register keeps its open incidents there), so a reader that needs
    only the current state (the run fast path) reads the head and nothing else.
    """

    _fields = ("seq", "digest", "index")
    _unhashed = frozenset({"index"})  # a dict
    seq: int
    digest: str
    index: dict[str, Any]

    def __init__(self, seq: int = 0, digest: str = JOURNAL_GENESIS, index: dict[str, Any] | None = None) -> None:
        d = self.__dict__
        d["seq"] = seq
        d["digest"] = digest
        d["index"] = {} if index is None else index


class JournalWriter(Protocol):
    """What an append asks of its caller (ops/journal.py), each time it tries a sequence number."""

    def build(self, head: JournalHead) -> dict[str, Any]:
        """The new entry, computed from the head it will follow (e.g. the next incident number)."""
        ...

    def seal(self, entry: dict[str, Any], seq: int, prev: str) -> dict[str, Any]:
        """The entry as stored: numbered, chained to `prev` and hashed."""
        ...

    def fold(self, index: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        """The head's index once `record` is part of the journal."""
        ...


@runtime_checkable
class SharedJournal(Protocol):
    """Append-only journals kept by a store, seen alike by every machine that uses the store.

    Entries are names, times and reasons, never values. An append is a
    check-and-set on the next sequence number: two writers never both get
    one number, and a writer that lost the race builds its entry again on
    the new head. The chain (each entry carries its predecessor's hash) is
    the caller's; a backend stores what `seal` returned, unchanged.
    """

    location: str  # where the journals live, for messages

    def head(self, name: str) -> JournalHead:
        """The journal's head: one query or request."""
        ...

    def entries(self, name: str) -> list[dict[str, Any]]:
        """Every entry, oldest first, as stored (an unreadable one as `{"seq": n, "damaged": why}`)."""
        ...

    def append(self, name: str, writer: JournalWriter) -> dict[str, Any]:
        """Store `writer.seal(writer.build(head), head.seq + 1, head.digest)`; returns it."""
        ...


@runtime_checkable
class SharedStateHolder(Protocol):
    """Optional: stores that keep the project's shared journals (every backend here does)."""

    def shared_journal(self) -> SharedJournal: ...


def shared_index(store: object, name: str) -> dict[str, Any]:
    """The head index of one of a store's journals ({} when it keeps none): one read."""
    return store.shared_journal().head(name).index if isinstance(store, SharedStateHolder) else {}
