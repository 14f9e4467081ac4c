"""Behaviour every backend must show, run against each real backend."""

from __future__ import annotations

import pytest

from secretwarden.errors import ConflictError, ReuseRefused, SecretNotFound
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    SecretStore,
    SecretValue,
    ValidationStamp,
    WriteRequest,
    capabilities_of,
)
from tests.conftest import make_canary
from tests.stores.conftest import Clock

A = SlotRef("dev", "api", "TOKEN")
B = SlotRef("dev", "api", "OTHER")


def needs_retained_versions(store: SecretStore) -> None:
    """Skip where a backend keeps only the current value (sops); its metadata still versions."""
    if not capabilities_of(store).versions:
        pytest.skip(f"{store.backend} keeps only the current value of a key (capabilities.versions=False)")


def put(store: SecretStore, slot: SlotRef, value: str, **kw: object) -> int:
    return store.write_many([WriteRequest(slot, SecretValue(value), **kw)], actor="tester")[0].version  # type: ignore[arg-type]


def test_write_read_versions(secret_store: SecretStore) -> None:
    needs_retained_versions(secret_store)
    v1, v2 = make_canary("a"), make_canary("b")
    assert put(secret_store, A, v1) == 1
    assert put(secret_store, A, v2) == 2
    assert secret_store.read(A).reveal() == v2
    assert secret_store.read(A, 1).reveal() == v1
    meta = secret_store.key_meta(A)
    assert meta is not None and [v.version for v in meta.versions] == [1, 2]
    assert meta.current is not None and meta.current.version == 2


def test_missing_key(secret_store: SecretStore) -> None:
    with pytest.raises(SecretNotFound):
        secret_store.read(B)
    assert secret_store.key_meta(B) is None


def test_soft_delete_undelete_destroy(secret_store: SecretStore) -> None:
    needs_retained_versions(secret_store)
    put(secret_store, A, make_canary())
    put(secret_store, A, make_canary())
    assert secret_store.soft_delete(A) == [2]
    assert secret_store.read(A).reveal()  # falls back to v1
    meta = secret_store.key_meta(A)
    assert meta is not None and meta.current is not None and meta.current.version == 1
    assert secret_store.undelete(A) == [2]
    assert secret_store.key_meta(A).current.version == 2  # type: ignore[union-attr]
    secret_store.destroy(A, [1])
    with pytest.raises(SecretNotFound):
        secret_store.read(A, 1)


def test_reuse_refused_even_after_destroy(secret_store: SecretStore) -> None:
    value = make_canary()
    put(secret_store, A, value)
    put(secret_store, A, make_canary())
    secret_store.destroy(A, [1])
    with pytest.raises(ReuseRefused) as err:
        put(secret_store, A, value)
    assert value not in str(err.value)


def test_compromised_value_never_returns(secret_store: SecretStore, clock: Clock) -> None:
    leaked = make_canary()
    put(secret_store, A, leaked)
    secret_store.mark_compromised(A, clock(), "leaked in a log")
    meta = secret_store.key_meta(A)
    assert meta is not None and meta.compromised
    with pytest.raises(ReuseRefused):
        put(secret_store, B, leaked)  # not even in another key of this store
    put(secret_store, A, make_canary())
    assert not secret_store.key_meta(A).compromised  # type: ignore[union-attr]


def test_cas(secret_store: SecretStore) -> None:
    put(secret_store, A, make_canary(), cas=0)
    with pytest.raises(ConflictError):
        put(secret_store, A, make_canary(), cas=0)
    assert put(secret_store, A, make_canary(), cas=1) == 2


def test_metadata_listing_reads_no_value(secret_store: SecretStore) -> None:
    put(secret_store, A, make_canary(), stamp=ValidationStamp("abc", ("too short",)))
    put(secret_store, SlotRef("dev", "web", "K", "tenant-a"), make_canary())
    before = secret_store.stats.values_read
    metas = list(secret_store.list_meta("dev"))
    assert {m.slot for m in metas} == {A, SlotRef("dev", "web", "K", "tenant-a")}
    stamped = next(m for m in metas if m.slot == A)
    assert stamped.current is not None and stamped.current.stamp == ValidationStamp("abc", ("too short",))
    assert all(m.current and m.current.fingerprint for m in metas)
    assert secret_store.stats.values_read == before
    assert "api" in secret_store.namespaces("dev")


def test_instances_are_separate_slots(secret_store: SecretStore) -> None:
    a, b = SlotRef("dev", "shop", "KEY", "tenant-a"), SlotRef("dev", "shop", "KEY", "tenant-b")
    va, vb = make_canary(), make_canary()
    put(secret_store, a, va)
    put(secret_store, b, vb)
    assert secret_store.read(a).reveal() == va
    assert secret_store.read(b).reveal() == vb


def test_same_value_same_fingerprint_across_slots(secret_store: SecretStore) -> None:
    value = make_canary()
    put(secret_store, A, value)
    put(secret_store, SlotRef("prod", "api", "TOKEN"), value)
    fps = {m.slot.env: m.current.fingerprint for m in secret_store.list_meta() if m.current}
    assert fps["dev"] == fps["prod"]
