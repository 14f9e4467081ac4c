"""The embedded store keeps the shared journals in its SQLite file (stores/embedded/journal.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.ops.journal import INCIDENTS, verify_part
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, SharedStateHolder, WriteRequest
from secretwarden.stores.embedded.store import EmbeddedStore
from secretwarden.verdict import open_incidents
from tests.stores.journal_support import KEY, incident, numbered, run_writers, writer


def made_store(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore("s", tmp_path / "s.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"f" * 32))
    store.write_many([WriteRequest(SlotRef("dev", "api", "TOKEN"), SecretValue("x" * 24))])
    return store


def test_a_store_without_journals_reads_empty(tmp_path: Path) -> None:
    absent = EmbeddedStore("s", tmp_path / "none.db")
    assert isinstance(absent, SharedStateHolder)
    assert absent.shared_journal().entries(INCIDENTS) == [] and absent.shared_journal().head(INCIDENTS).seq == 0
    store = made_store(tmp_path)  # a store from before the journals: no tables yet
    assert store.shared_journal().head(INCIDENTS).seq == 0 and store.shared_journal().entries(INCIDENTS) == []


def test_appends_chain_and_the_head_carries_the_open_incidents(tmp_path: Path) -> None:
    journal = made_store(tmp_path).shared_journal()
    first, second = numbered(journal, "a"), numbered(journal, "b")
    assert (first["id"], second["id"]) == ("INC-0001", "INC-0002") and second["prev"] == first["hash"]
    journal.append(INCIDENTS, writer({"event": "close", "id": "INC-0001", "time": "2026-01-02T00:00:00+00:00"}))
    head = journal.head(INCIDENTS)
    assert head.seq == 3 and head.index["last"] == 2
    assert list(open_incidents([head.index])) == [("s", SlotRef("dev", "api", "K_B_2"))]
    assert verify_part(journal, INCIDENTS, KEY) == []


def test_reading_open_incidents_is_one_query(tmp_path: Path) -> None:
    store = made_store(tmp_path)
    numbered(store.shared_journal(), "a")
    reader = EmbeddedStore("s", tmp_path / "s.db")  # the run path: the file already open
    reader.namespaces("dev")
    queries: list[str] = []
    assert reader._conn is not None
    reader._conn.set_trace_callback(queries.append)
    assert reader.shared_journal().head(INCIDENTS).index["open"]
    assert len(queries) == 1


def test_edits_removals_and_a_cut_tail_are_detected(tmp_path: Path) -> None:
    store = made_store(tmp_path)
    journal = store.shared_journal()
    for n in range(4):
        journal.append(INCIDENTS, writer(incident(n)))
    src = sqlite3.connect(tmp_path / "s.db")

    def edit(sql: str, *args: str) -> list[str]:
        """Problems found in a copy of the store with `sql` applied (each check starts intact)."""
        copy = tmp_path / f"copy{len(list(tmp_path.glob('copy*')))}.db"
        with sqlite3.connect(copy) as dst:
            src.backup(dst)
            dst.execute(sql, args)
        return verify_part(EmbeddedStore("s", copy).shared_journal(), INCIDENTS, KEY)

    entry = json.loads(src.execute("SELECT entry FROM journal_entries WHERE seq = 2").fetchone()[0])
    entry["reason"] = "nothing happened"
    edited = edit("UPDATE journal_entries SET entry = ? WHERE seq = 2", json.dumps(entry))
    assert any("edited" in p for p in edited)
    assert any("removed" in p for p in edit("DELETE FROM journal_entries WHERE seq = 2"))
    assert any("cut off" in p for p in edit("DELETE FROM journal_entries WHERE seq = 4"))
    assert any("cut off" in p for p in edit("UPDATE journal_heads SET seq = 9"))
    assert any("index" in p for p in edit("UPDATE journal_heads SET idx = '{}'"))
    assert verify_part(journal, INCIDENTS, KEY) == []
    assert any("not chained with this project's key" in p for p in verify_part(journal, INCIDENTS, b"o" * 32))


def test_parallel_writer_processes_lose_nothing(tmp_path: Path) -> None:
    store = made_store(tmp_path)
    store.close()
    run_writers({"JOURNAL_TEST_BACKEND": "embedded", "JOURNAL_TEST_PATH": str(tmp_path / "s.db")}, 4, 25)
    journal = EmbeddedStore("s", tmp_path / "s.db").shared_journal()
    entries = journal.entries(INCIDENTS)
    assert [e["seq"] for e in entries] == list(range(1, 101))
    assert sorted(e["id"] for e in entries) == sorted(f"w{w}-{n}" for w in range(4) for n in range(25))
    assert len(journal.head(INCIDENTS).index["open"]) == 100
    assert verify_part(journal, INCIDENTS, KEY) == []


def test_a_damaged_head_index_stops_its_readers(tmp_path: Path) -> None:
    """An edited head index is never read as "no open incidents": the gates stop (IntegrityError)."""
    from secretwarden.errors import IntegrityError

    path = tmp_path / "s.db"
    with EmbeddedStore("s", path, access="secrets", create=True, fingerprinter=Fingerprinter(b"f" * 32)) as store:
        store.shared_journal().append("incidents", writer(incident(1)))
    db = sqlite3.connect(path)
    db.execute("UPDATE journal_heads SET idx = '[1, 2]' WHERE name = 'incidents'")
    db.commit()
    db.close()
    with EmbeddedStore("s", path, access="metadata") as store, pytest.raises(IntegrityError, match="damaged"):
        store.shared_journal().head("incidents")
