"""Where each key has its own KV path (`per-key`), the records of a namespace's keys share one
group document (stores/vault/groups.py), and a write creating keys saves their entries before
their values. These tests hold the group entries to the same guard as a path's own record
(tests/stores/vault/test_vault_killed_bootstrap_per_namespace.py):

* an entry saved ahead of its value (the writer was killed, or its value is still on the way)
  never describes a value it did not write: readers drop its rows of KV versions the path does
  not have, and take no entry for a path that does not exist;
* a writer that finds such an entry writes its value first, and never puts its own entry in the
  place of one whose value may still land;
* a creation that loses the race to another writer takes its entry back.

Against the real OpenBao test server; a kill is a write that fails between the two requests.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from secretwarden.errors import StoreError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.conftest import make_canary
from tests.stores.vault.test_vault_key_groups import custom_of, opened
from tests.stores.vault.test_vault_killed_bootstrap import write_while_another_writer_dies
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

SLOT = SlotRef("dev", "ns0", "API_KEY")


def group_doc(prefix: str) -> str:
    return f"{prefix}/_warden/keys/{prefix}/dev/ns0"


def killed_at_value(
    server: VaultServer, prefix: str, monkeypatch: pytest.MonkeyPatch, slots: list[SlotRef], layout: str = "per-key"
) -> None:
    """A write of `slots` whose process dies after saving their entries, before any value."""
    from secretwarden.stores.vault.bulk_write import BulkWriter

    def gone(self: Any, st: Any, fields: Any) -> int:
        raise StoreError("the server went away")

    with opened(server, prefix, layout=layout) as store, monkeypatch.context() as mp:
        mp.setattr(BulkWriter, "_write_data", gone)
        with pytest.raises(StoreError):
            store.write_many([WriteRequest(s, SecretValue(make_canary(s.key)), source="generate") for s in slots])
    saved = group_doc(prefix) if layout == "per-key" else f"{prefix}/dev/ns0"
    assert custom_of(server, saved)["warden"]  # the record, saved ahead of a value that never came


def test_an_entry_whose_value_never_landed_is_replaced_by_the_next_write(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = "ahk" + secrets.token_hex(4)
    slots = [SlotRef("dev", "ns0", f"KEY_{k}") for k in range(3)]
    killed_at_value(vault_server, prefix, monkeypatch, slots)

    with opened(vault_server, prefix) as store:
        assert list(store.list_meta("dev")) == []
        assert store.key_meta(slots[0]) is None
        values = [make_canary(s.key) for s in slots]
        results = store.write_many(
            [WriteRequest(s, SecretValue(v), source="generate", cas=0) for s, v in zip(slots, values, strict=True)]
        )
        assert [(r.version, r.created) for r in results] == [(1, True)] * 3
    with opened(vault_server, prefix, access="metadata") as reader:
        metas = list(reader.list_meta("dev"))
        assert [[v.version for v in m.versions] for m in metas] == [[1]] * 3
        assert [m.versions[0].fingerprint for m in metas] == [reader.fingerprint(SecretValue(v)) for v in values]
        assert reader.notices() == []


def test_an_entry_ahead_of_a_path_without_a_value_describes_nothing(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path was made afterwards with metadata only (current version 0): the entry's rows of
    version 1 describe no value, so there is no key; the next write creates it with its own."""
    prefix = "ahk" + secrets.token_hex(4)
    killed_at_value(vault_server, prefix, monkeypatch, [SLOT])
    vault_server.client().secrets.kv.v2.update_metadata(
        path=f"{prefix}/dev/ns0/API_KEY", max_versions=0, mount_point="secret"
    )

    with opened(vault_server, prefix, access="metadata") as reader:
        assert reader.key_meta(SLOT) is None
        assert list(reader.list_meta("dev")) == []
    value = make_canary("next")
    with opened(vault_server, prefix) as store:
        [result] = store.write_many([WriteRequest(SLOT, SecretValue(value), source="set")])
        assert (result.version, result.created) == (1, True)
        meta = store.key_meta(SLOT)
        assert meta is not None
        assert [(v.version, v.fingerprint) for v in meta.versions] == [(1, store.fingerprint(SecretValue(value)))]
        assert store.read(SLOT).reveal() == value


def test_an_entry_ahead_of_its_value_is_not_replaced_by_another_writers_entry(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A saved its entry first and its value is on the way; writer B, creating the same
    key then, must not put its own entry in A's place (B writes its value first instead): B
    dying at that moment must not leave A's value described by B's fingerprint."""
    prefix = "ahk" + secrets.token_hex(4)
    a_value, b_value = make_canary("writer-a"), make_canary("writer-b")
    with opened(vault_server, prefix) as a, opened(vault_server, prefix) as b, monkeypatch.context() as mp:
        result = write_while_another_writer_dies(a, b, SLOT, a_value, b_value, mp)
    assert result.version == 1
    with opened(vault_server, prefix, access="metadata") as reader:
        meta = reader.key_meta(SLOT)
        assert meta is not None
        assert [(v.version, v.source, v.fingerprint) for v in meta.versions] == [
            (1, "generate", reader.fingerprint(SecretValue(a_value)))
        ]
        assert reader.notices() == []
    with opened(vault_server, prefix) as store:
        assert store.read(SLOT).reveal() == a_value


def test_a_writer_that_finds_an_entry_ahead_wins_the_race_and_the_entry_is_its_own(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B finds A's entry ahead of a value that has not landed, writes its value first and wins the
    create: B's entry replaces A's, and A (whose create then fails) leaves B's entry alone and
    writes its value as version 2 on top."""
    from secretwarden.stores.vault.bulk_write import BulkWriter

    prefix = "ahk" + secrets.token_hex(4)
    a_value, b_value = make_canary("writer-a"), make_canary("writer-b")
    real = BulkWriter._write_data
    b_results: list[Any] = []
    with opened(vault_server, prefix) as a, opened(vault_server, prefix) as b, monkeypatch.context() as mp:

        def interleaved(self: Any, st: Any, fields: Any) -> int:
            if self is a and not b_results:  # between A's entry and A's value, B writes it all
                b_results.extend(b.write_many([WriteRequest(SLOT, SecretValue(b_value), source="set")]))
            return real(self, st, fields)

        mp.setattr(BulkWriter, "_write_data", interleaved)
        [result] = a.write_many([WriteRequest(SLOT, SecretValue(a_value), source="generate")])
    assert [r.version for r in b_results] == [1]
    assert result.version == 2
    with opened(vault_server, prefix, access="metadata") as reader:
        meta = reader.key_meta(SLOT)
        assert meta is not None
        assert [(v.version, v.source, v.fingerprint) for v in meta.versions] == [
            (1, "set", reader.fingerprint(SecretValue(b_value))),
            (2, "generate", reader.fingerprint(SecretValue(a_value))),
        ]
        assert reader.notices() == []


@pytest.mark.parametrize("layout", ["per-key", "per-namespace"])
def test_a_write_whose_answer_was_lost_is_recognised_past_an_entry_ahead(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    """A killed write left an entry ahead of a key; the next write's create lands but its answer
    is lost (a leader killed after committing), so its resend fails the check-and-set. The
    version holds exactly our value and the entry ahead is the one we found before writing: the
    version is ours (recorded once, with our fingerprint), not a second writer's to adopt."""
    from secretwarden.stores.vault.bulk_write import BulkWriter

    prefix = "ahk" + secrets.token_hex(4)
    killed_at_value(vault_server, prefix, monkeypatch, [SLOT], layout)
    real = BulkWriter._write_data
    sent: list[bool] = []

    def answer_lost(self: Any, st: Any, fields: Any) -> int:
        if not sent:
            sent.append(True)
            real(self, st, fields)  # committed; the answer never arrives, so it is sent again
        return real(self, st, fields)

    value = make_canary("ours")
    with opened(vault_server, prefix, layout=layout) as store, monkeypatch.context() as mp:
        mp.setattr(BulkWriter, "_write_data", answer_lost)
        [result] = store.write_many([WriteRequest(SLOT, SecretValue(value), source="set")])
        assert (result.version, store.reclaimed) == (1, 1)
    with opened(vault_server, prefix, access="metadata", layout=layout) as reader:
        meta = reader.key_meta(SLOT)
        assert meta is not None
        assert [(v.version, v.source, v.fingerprint) for v in meta.versions] == [
            (1, "set", reader.fingerprint(SecretValue(value)))
        ]
        assert reader.notices() == []
