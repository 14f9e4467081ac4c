"""The reports' one-row-per-key view agrees with the full listing, on every backend."""

from __future__ import annotations

from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretStore, SecretValue, WriteRequest
from secretwarden.stores.summary import fingerprint_rows, key_summaries, summarize
from tests.conftest import make_canary
from tests.stores.conftest import Clock

A = SlotRef("dev", "api", "TOKEN")
B = SlotRef("dev", "api", "OTHER")
C = SlotRef("dev", "api", "GONE")
D = SlotRef("dev", "shop", "KEY", "tenant-a")
E = SlotRef("staging", "api", "TOKEN")


def put(store: SecretStore, slot: SlotRef) -> None:
    store.write_many([WriteRequest(slot, SecretValue(make_canary()))], actor="tester")


def test_summaries_match_the_listing(secret_store: SecretStore, clock: Clock) -> None:
    for slot in (A, A, B, C, D, E):
        put(secret_store, slot)
    secret_store.mark_compromised(B, clock(), "leaked")  # compromised, not rotated
    secret_store.mark_compromised(A, clock(), "leaked")
    put(secret_store, A)  # rotated after the mark: no longer compromised
    secret_store.soft_delete(C)  # no live version

    def by_slot(rows: list) -> list:  # type: ignore[type-arg]
        return sorted(rows, key=lambda s: s.slot.label())

    for env in ("dev", "staging", None):
        listed = [summarize(m) for m in secret_store.list_meta(env)]
        assert by_slot(key_summaries(secret_store, env)) == by_slot(listed)
    summaries = {s.slot: s for s in key_summaries(secret_store)}
    assert summaries[B].compromised and not summaries[A].compromised
    assert summaries[C].version is None and summaries[C].versions >= 1
    expected = {
        (m.slot.env, m.slot.namespace, m.slot.instance or "", m.slot.key, v.version, v.fingerprint)
        for m in secret_store.list_meta()
        for v in m.versions
        if v.fingerprint
    }
    assert set(fingerprint_rows(secret_store)) == expected


def test_repeated_fingerprints_are_the_fingerprints_seen_twice(secret_store: SecretStore) -> None:
    """What isolation groups on one store: every backend gives the same rows (SQL on embedded)."""
    from collections import Counter

    from secretwarden.stores.summary import repeated_fingerprint_rows

    assert repeated_fingerprint_rows(secret_store) == []
    for slot in (A, A, B, D):
        put(secret_store, slot)
    secret_store.write_many([WriteRequest(E, secret_store.read(A))], actor="tester")  # copied to staging
    rows = fingerprint_rows(secret_store)
    seen = Counter(r[5] for r in rows)
    repeated = repeated_fingerprint_rows(secret_store)
    assert sorted(repeated) == sorted(r for r in rows if seen[r[5]] > 1)
    assert {(r[0], r[3], r[4]) for r in repeated} == {("dev", "TOKEN", 2), ("staging", "TOKEN", 1)}
