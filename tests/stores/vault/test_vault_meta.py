"""Warden's per-path record in KV v2 custom_metadata: limits, integrity, foreign keys."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, cast

import pytest

from secretwarden.errors import IntegrityError, StoreError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretStore, SecretValue, ValidationStamp, WriteRequest
from secretwarden.stores.vault.meta import (
    CHUNK,
    MAX_KEYS,
    FieldRecord,
    FieldVersion,
    PathRecord,
    decode_record,
    encode_record,
)
from tests.conftest import make_canary

if TYPE_CHECKING:
    from secretwarden.stores.vault.store import VaultStore


def record(fields: int, versions: int) -> PathRecord:
    rec = PathRecord(kv=versions)
    for f in range(fields):
        rows = [
            FieldVersion(
                n=v + 1, kv=v + 1, t=1_767_225_600_000_000 + v, by="alice", src="set",
                fp="hs256:" + secrets.token_hex(32), stamp=ValidationStamp("d" * 16, ("too short",) if v == 0 else ()),
            )
            for v in range(versions)
        ]
        rec.fields[f"SOME_FAIRLY_LONG_KEY_NAME_{f:03d}"] = FieldRecord("payments", f"SOME_FAIRLY_LONG_KEY_NAME_{f:03d}", None, 0, rows)
    return rec


@pytest.mark.parametrize(("fields", "versions"), [(1, 1), (60, 4), (120, 2)])
def test_record_fits_kv_limits_and_round_trips(fields: int, versions: int) -> None:
    rec = record(fields, versions)
    custom = encode_record(rec, {"owner": "payments-team"}, "test")
    assert len(custom) <= MAX_KEYS
    assert all(len(k.encode()) <= 128 and 0 < len(v.encode()) <= CHUNK for k, v in custom.items())
    assert custom["owner"] == "payments-team"  # keys of others are kept
    back = decode_record(custom, "test")
    assert back is not None and back.kv == rec.kv
    assert back.fields == rec.fields


def test_a_full_path_moves_old_versions_to_history_pages() -> None:
    # About 500 field versions fit in one path (fingerprints dominate).
    encode_record(record(100, 4), {}, "test")
    rec = record(100, 6)
    with pytest.raises(StoreError, match="custom_metadata entries, only 63 are free"):
        encode_record(rec, {}, "test")
    while True:
        try:
            main = encode_record(rec, {}, "test")
            break
        except StoreError:
            assert rec.archive_oldest(400)
    assert rec.pages >= 1 and "pages=" in main["warden"]
    back = decode_record(main, "test")
    assert back is not None and back.pages == rec.pages
    for page in range(rec.pages):
        back.merge_page(decode_record(encode_record(rec, {}, "page", page), "page", page))  # type: ignore[arg-type]
    assert back.fields == rec.fields  # every version (and fingerprint) is back


def test_damaged_record_is_detected() -> None:
    custom = encode_record(record(3, 2), {}, "test")
    custom["warden.0"] = custom["warden.0"][:-4] + "AAAA"
    with pytest.raises(IntegrityError, match="damaged"):
        decode_record(custom, "test")


@pytest.mark.vault
def test_many_fields_with_history_in_one_per_namespace_path(vault_server: object) -> None:
    from tests.stores.conftest import Clock, vault_factory

    with vault_factory(None, Clock()) as store:  # type: ignore[arg-type]
        s: SecretStore = store
        slots = [SlotRef("dev", "big", f"KEY_{i:03d}") for i in range(80)]
        for _ in range(3):
            s.write_many([WriteRequest(slot, SecretValue(make_canary())) for slot in slots], actor="t")
        metas = {m.slot: m for m in s.list_meta("dev")}
        assert len(metas) == 80 and all(len(m.versions) == 3 for m in metas.values())
        assert s.stats.values_read == 0
        assert s.read(slots[17], 2).reveal().startswith("cnry")


@pytest.mark.vault
def test_long_history_spills_to_pages_and_reuse_is_still_refused(vault_server: object) -> None:
    from secretwarden.errors import ReuseRefused
    from tests.stores.conftest import Clock, vault_factory

    with vault_factory(None, Clock()) as store:  # type: ignore[arg-type]
        s: SecretStore = store
        slots = [SlotRef("dev", "hist", f"KEY_{i:03d}") for i in range(100)]
        first = {slot: make_canary() for slot in slots}
        s.write_many([WriteRequest(slot, SecretValue(v)) for slot, v in first.items()], actor="t")
        for _ in range(7):
            s.write_many([WriteRequest(slot, SecretValue(make_canary())) for slot in slots], actor="t")
        metas = {m.slot: m for m in s.list_meta("dev")}
        assert all([v.version for v in m.versions] == list(range(1, 9)) for m in metas.values())
        assert len(list(vault_server.client().secrets.kv.v2.list_secrets(  # type: ignore[attr-defined]
            f"{cast('VaultStore', store).layout.warden_base}/history/"
            f"{cast('VaultStore', store).layout.namespace_path('dev', 'hist')}"
        )["data"]["keys"])) >= 1
        with pytest.raises(ReuseRefused):
            s.write_many([WriteRequest(slots[0], SecretValue(first[slots[0]]))], actor="t")
        assert s.read(slots[0], 1).reveal() == first[slots[0]]


@pytest.mark.vault
def test_metadata_access_cannot_read_values(vault_server: object) -> None:
    from secretwarden.errors import PermissionDenied
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    store = VaultStore("v", VaultLayout(prefix="ro"), Connection("http://127.0.0.1:9"), access="metadata")
    with pytest.raises(PermissionDenied, match="metadata only"):
        store.read(SlotRef("dev", "api", "K"))
    with pytest.raises(PermissionDenied, match="metadata only"):
        store.write_many([WriteRequest(SlotRef("dev", "api", "K"), SecretValue("x" * 20))])
