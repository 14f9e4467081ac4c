"""The Vault store keeps the shared journals under `_warden/journal`, against the real OpenBao server."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from secretwarden.ops.journal import INCIDENTS, verify_part
from secretwarden.stores.vault.store import VaultStore
from tests.stores.journal_support import KEY, incident, numbered, run_writers, writer
from tests.stores.vault.vault_journal_support import journal_requests, open_store

pytestmark = pytest.mark.vault


@pytest.fixture
def prefix(vault_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JOURNAL_TEST_TOKEN", vault_server.root_token)
    return "j" + secrets.token_hex(6)


@pytest.fixture
def store(vault_server: Any, prefix: str) -> Iterator[VaultStore]:
    s = open_store(vault_server, prefix)
    yield s
    s.close()


def test_two_clients_see_one_journal_and_the_request_counts(vault_server: Any, store: VaultStore, prefix: str) -> None:
    other = open_store(vault_server, prefix)  # a second machine
    mark = vault_server.audit_mark()
    first = numbered(store.shared_journal(), "a")
    appended = journal_requests(vault_server, mark, prefix)
    second = numbered(other.shared_journal(), "b")
    assert (first["id"], second["id"]) == ("INC-0001", "INC-0002") and second["prev"] == first["hash"]
    assert len(appended) == 3  # read the head, create the entry (cas=0), move the head (cas)
    mark = vault_server.audit_mark()
    head = store.shared_journal().head(INCIDENTS)
    assert journal_requests(vault_server, mark, prefix) == [("read", f"secret/metadata/{prefix}/_warden/journal/incidents/head")]
    assert set(head.index["open"]) == {"INC-0001", "INC-0002"}
    mark = vault_server.audit_mark()
    assert [e["id"] for e in other.shared_journal().entries(INCIDENTS)] == ["INC-0001", "INC-0002"]
    assert len(journal_requests(vault_server, mark, prefix)) == 1 + 2  # one list, one read per entry
    assert verify_part(store.shared_journal(), INCIDENTS, KEY) == []
    other.close()


def test_no_value_path_is_touched(vault_server: Any, store: VaultStore, prefix: str) -> None:
    mark = vault_server.audit_mark()
    store.shared_journal().append(INCIDENTS, writer(incident(1)))
    store.shared_journal().entries(INCIDENTS)
    assert not [p for _op, p in vault_server.requests_since(mark) if p.startswith(f"secret/data/{prefix}")]


def test_a_writer_killed_before_moving_the_head_is_caught_up(vault_server: Any, store: VaultStore, prefix: str) -> None:
    journal = store.shared_journal()
    journal.append(INCIDENTS, writer(incident(1)))
    # Entry 2 created, head never moved (the writer died in between):
    record = writer(incident(2)).seal(incident(2), 2, journal.head(INCIDENTS).digest)
    body = json.dumps(record, sort_keys=True, separators=(",", ":"))
    client = vault_server.client()
    client.adapter.post(
        f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/e/{2:010d}",
        json={"custom_metadata": {"c00": body}, "metadata_cas": 0},
    )
    assert journal.head(INCIDENTS).seq == 1  # the head lags one entry ...
    assert [e["seq"] for e in journal.entries(INCIDENTS)] == [1, 2]  # ... readers of entries find it,
    assert verify_part(journal, INCIDENTS, KEY) == []  # verify accepts it (chained and keyed) ...
    third = journal.append(INCIDENTS, writer(incident(3)))  # ... and the next append moves the head
    assert third["seq"] == 3 and third["prev"] == record["hash"]
    assert journal.head(INCIDENTS).seq == 3 and len(journal.head(INCIDENTS).index["open"]) == 3
    assert verify_part(journal, INCIDENTS, KEY) == []


def test_edits_removals_and_a_cut_tail_are_detected(vault_server: Any, store: VaultStore, prefix: str) -> None:
    journal = store.shared_journal()
    for n in range(3):
        journal.append(INCIDENTS, writer(incident(n)))
    client = vault_server.client()
    base = f"/v1/secret/metadata/{prefix}/_warden/journal/incidents"
    entry = json.loads(client.adapter.get(f"{base}/e/{2:010d}")["data"]["custom_metadata"]["c00"])
    entry["reason"] = "nothing happened"
    client.adapter.post(f"{base}/e/{2:010d}", json={"custom_metadata": {"c00": json.dumps(entry)}})
    assert any("edited" in p for p in verify_part(journal, INCIDENTS, KEY))
    client.adapter.delete(f"{base}/e/{3:010d}")
    assert any("cut off" in p for p in verify_part(journal, INCIDENTS, KEY))


def test_long_entries_are_split_and_read_back(store: VaultStore) -> None:
    journal = store.shared_journal()
    long = {**incident(1), "reason": "é" + "r" * 4000}
    assert journal.append(INCIDENTS, writer(long))["reason"] == long["reason"]
    assert journal.entries(INCIDENTS)[0]["reason"] == long["reason"]


@pytest.mark.slow
def test_parallel_writer_processes_lose_nothing(vault_server: Any, prefix: str) -> None:
    env = {
        "JOURNAL_TEST_BACKEND": "vault",
        "JOURNAL_TEST_PATH": prefix,
        "JOURNAL_TEST_ADDR": vault_server.address,
        "JOURNAL_TEST_TOKEN": vault_server.root_token,
    }
    run_writers(env, 4, 25)
    store = open_store(vault_server, prefix)
    journal = store.shared_journal()
    entries = journal.entries(INCIDENTS)
    assert [e["seq"] for e in entries] == list(range(1, 101))
    assert sorted(e["id"] for e in entries) == sorted(f"w{w}-{n}" for w in range(4) for n in range(25))
    head = journal.head(INCIDENTS)
    assert head.seq == 100 and len(head.index["open"]) == 100
    assert verify_part(journal, INCIDENTS, KEY) == []
    store.close()


@pytest.mark.slow
def test_parallel_writers_never_share_an_incident_number(vault_server: Any, prefix: str) -> None:
    env = {
        "JOURNAL_TEST_BACKEND": "vault",
        "JOURNAL_TEST_PATH": prefix,
        "JOURNAL_TEST_ADDR": vault_server.address,
        "JOURNAL_TEST_TOKEN": vault_server.root_token,
        "JOURNAL_TEST_NUMBERED": "1",
    }
    run_writers(env, 4, 10)
    store = open_store(vault_server, prefix)
    entries = store.shared_journal().entries(INCIDENTS)
    assert [e["id"] for e in entries] == [f"INC-{n:04d}" for n in range(1, 41)]
    assert store.shared_journal().head(INCIDENTS).index["last"] == 40
    store.close()


def test_a_head_two_entries_behind_is_reported(vault_server: Any, store: VaultStore, prefix: str) -> None:
    journal = store.shared_journal()
    journal.append(INCIDENTS, writer(incident(1)))
    client = vault_server.client()
    prev = journal.head(INCIDENTS).digest
    for seq in (2, 3):  # two writers stopped before moving the head (or the head moved back)
        record = writer(incident(seq)).seal(incident(seq), seq, prev)
        client.adapter.post(
            f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/e/{seq:010d}",
            json={"custom_metadata": {"c00": json.dumps(record, sort_keys=True, separators=(",", ":"))}, "metadata_cas": 0},
        )
        prev = record["hash"]
    [problem] = verify_part(journal, INCIDENTS, KEY)
    assert "head records 1 entries, 3 are stored" in problem and "behind" in problem
    journal.append(INCIDENTS, writer(incident(4)))
    assert verify_part(journal, INCIDENTS, KEY) == [] and journal.head(INCIDENTS).seq == 4


def test_a_head_moved_back_one_entry_is_told_from_a_killed_writer(vault_server: Any, store: VaultStore, prefix: str) -> None:
    """Both leave the head one entry behind an entry that verifies; only a machine that saw the head
    further on can tell, from the high-water mark it keeps in its key folder (`seen`)."""
    journal = store.shared_journal()
    journal.append(INCIDENTS, writer(incident(1)))
    first = journal.head(INCIDENTS)
    journal.append(INCIDENTS, writer(incident(2)))
    second = journal.head(INCIDENTS)
    client = vault_server.client()
    head_path = f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/head"
    older = {"seq": "1", "hash": first.digest, "c00": json.dumps(first.index, sort_keys=True, separators=(",", ":"))}
    client.adapter.post(head_path, json={"custom_metadata": older})  # someone who may update the head moves it back
    assert journal.head(INCIDENTS).seq == 1
    # A machine that never saw entry 2 at the head cannot tell it from a writer killed before moving it ...
    assert verify_part(journal, INCIDENTS, KEY, seen=(1, first.digest)) == []
    # ... one that saw the head at entry 2 reports it.
    [problem] = verify_part(journal, INCIDENTS, KEY, seen=(2, second.digest))
    assert "head was moved back" in problem and "reach entry 2" in problem
    # A real killed writer: entry 3 created, head never moved; this machine saw the head at 2.
    journal.append(INCIDENTS, writer(incident(4)))  # (it catches the head up past entry 2 first)
    head = journal.head(INCIDENTS)
    record = writer(incident(5)).seal(incident(5), head.seq + 1, head.digest)
    client.adapter.post(
        f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/e/{head.seq + 1:010d}",
        json={"custom_metadata": {"c00": json.dumps(record, sort_keys=True, separators=(",", ":"))}, "metadata_cas": 0},
    )
    assert verify_part(journal, INCIDENTS, KEY, seen=(head.seq, head.digest)) == []
