"""Embedded store specifics: keys, encryption binding, file safety, model-based behaviour."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from secretwarden.crypto.rootkey import ENV_VAR, encode_key
from secretwarden.errors import (
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    ReuseRefused,
    SecretNotFound,
    StoreUnavailable,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from secretwarden.stores.embedded.store import EmbeddedStore
from tests.conftest import make_canary
from tests.stores.conftest import FP

A = SlotRef("dev", "api", "TOKEN")


def open_store(path: Path, access: str = "secrets") -> EmbeddedStore:
    return EmbeddedStore("local", path, access=access, create=True, fingerprinter=FP)  # type: ignore[arg-type]


def put(store: EmbeddedStore, slot: SlotRef, value: str) -> int:
    return store.write_many([WriteRequest(slot, SecretValue(value))])[0].version


def test_file_and_key_permissions(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / ".warden" / "s.db"
    with open_store(path) as store:
        put(store, A, make_canary())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    keys = list((isolated_home / "config" / "keys").glob("*.key"))
    assert keys and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    assert (path.parent / ".gitignore").exists()


def test_value_is_not_stored_in_clear(tmp_path: Path) -> None:
    value = make_canary()
    path = tmp_path / "s.db"
    with open_store(path) as store:
        put(store, A, value)
    for f in tmp_path.iterdir():
        assert value.encode() not in f.read_bytes()


def test_missing_key_is_a_clear_error_and_writes_nothing(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        put(store, A, make_canary())
    for key in (isolated_home / "config" / "keys").glob("*.key"):
        key.unlink()
    before = path.read_bytes()
    with pytest.raises(MasterKeyError, match="no root key"):
        open_store(path)
    assert path.read_bytes() == before


def test_wrong_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        put(store, A, make_canary())
    monkeypatch.setenv(ENV_VAR, encode_key(os.urandom(32)))
    with pytest.raises(MasterKeyError, match="does not open"):
        open_store(path)


def test_env_master_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    monkeypatch.setenv(ENV_VAR, encode_key(os.urandom(32)))
    value = make_canary()
    with open_store(tmp_path / "s.db") as store:
        put(store, A, value)
    assert not (isolated_home / "config" / "keys").exists()
    with open_store(tmp_path / "s.db") as store:
        assert store.read(A).reveal() == value


def test_ciphertext_moved_to_another_slot_fails(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    other = SlotRef("dev", "api", "OTHER")
    with open_store(path) as store:
        put(store, A, make_canary())
        put(store, other, make_canary())
    conn = sqlite3.connect(path)
    nonce, ct = conn.execute("SELECT nonce, ciphertext FROM versions WHERE key='TOKEN'").fetchone()
    conn.execute("UPDATE versions SET nonce=?, ciphertext=? WHERE key='OTHER'", (nonce, ct))
    conn.commit()
    conn.close()
    with open_store(path) as store, pytest.raises(IntegrityError):
        store.read(other)


def test_metadata_access_cannot_read(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with open_store(path) as store:
        put(store, A, make_canary())
    with open_store(path, "metadata") as meta:
        assert meta.key_meta(A) is not None
        with pytest.raises(PermissionDenied):
            meta.read(A)
        assert meta.stats.values_read == 0


def test_absent_store_reads_as_empty(tmp_path: Path) -> None:
    store = EmbeddedStore("local", tmp_path / "none.db", access="metadata")
    assert list(store.list_meta()) == [] and store.namespaces("dev") == set()
    reader = EmbeddedStore("local", tmp_path / "none.db", access="secrets", create=False, fingerprinter=FP)
    with pytest.raises(SecretNotFound):
        reader.read(A)
    assert not (tmp_path / "none.db").exists()


def test_not_a_store(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreUnavailable):
        open_store(junk)


def test_integrity_check_deep(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        put(store, A, make_canary())
        assert store.verify(deep=True) == []


class StoreMachine(RuleBasedStateMachine):
    """The store behaves like a dict of slot -> list of (value, live) versions."""

    slots = st.sampled_from([A, SlotRef("dev", "api", "B"), SlotRef("prod", "api", "TOKEN"), SlotRef("dev", "shop", "K", "t1")])

    @initialize()
    def setup(self) -> None:
        import tempfile

        self.dir = tempfile.mkdtemp()
        self.store = open_store(Path(self.dir) / "s.db")
        self.model: dict[SlotRef, list[list[object]]] = {}
        self.counter = 0

    def teardown(self) -> None:
        self.store.close()

    @rule(slot=slots)
    def write(self, slot: SlotRef) -> None:
        self.counter += 1
        value = f"v{self.counter}-{os.urandom(4).hex()}"
        version = put(self.store, slot, value)
        self.model.setdefault(slot, []).append([value, "live"])
        assert version == len(self.model[slot])

    @rule(slot=slots, data=st.data())
    def rewrite_old_value(self, slot: SlotRef, data: st.DataObject) -> None:
        versions = self.model.get(slot)
        if not versions:
            return
        old = data.draw(st.sampled_from(versions))
        with pytest.raises(ReuseRefused):
            put(self.store, slot, str(old[0]))

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        slot = data.draw(st.sampled_from(sorted(self.model)))
        live = [i for i, v in enumerate(self.model[slot]) if v[1] == "live"]
        if not live:
            return
        i = data.draw(st.sampled_from(live))
        self.store.soft_delete(slot, [i + 1])
        self.model[slot][i][1] = "deleted"

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def undelete(self, data: st.DataObject) -> None:
        slot = data.draw(st.sampled_from(sorted(self.model)))
        deleted = [i for i, v in enumerate(self.model[slot]) if v[1] == "deleted"]
        if not deleted:
            return
        i = data.draw(st.sampled_from(deleted))
        self.store.undelete(slot, [i + 1])
        self.model[slot][i][1] = "live"

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def destroy(self, data: st.DataObject) -> None:
        slot = data.draw(st.sampled_from(sorted(self.model)))
        i = data.draw(st.integers(0, len(self.model[slot]) - 1))
        self.store.destroy(slot, [i + 1])
        self.model[slot][i][1] = "destroyed"

    @invariant()
    def matches_model(self) -> None:
        if not hasattr(self, "store"):
            return
        for slot, versions in self.model.items():
            live = [(i + 1, v[0]) for i, v in enumerate(versions) if v[1] == "live"]
            if live:
                assert self.store.read(slot).reveal() == live[-1][1]
            else:
                with pytest.raises(SecretNotFound):
                    self.store.read(slot)
            for i, (value, state) in enumerate(versions):
                if state == "live":
                    assert self.store.read(slot, i + 1).reveal() == value
        metas = {m.slot: m for m in self.store.list_meta()}
        assert set(metas) == set(self.model)
        for slot, meta in metas.items():
            assert [v.live for v in meta.versions] == [v[1] == "live" for v in self.model[slot]]


StoreMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestStoreMachine = StoreMachine.TestCase


def test_metadata_reader_sees_a_store_created_later(tmp_path: Path) -> None:
    path = tmp_path / "late.db"
    reader = EmbeddedStore("local", path, access="metadata")
    assert reader.key_meta(A) is None
    with open_store(path) as writer:
        put(writer, A, make_canary())
    assert reader.key_meta(A) is not None and reader.namespaces("dev") == {"api"}
    reader.close()
