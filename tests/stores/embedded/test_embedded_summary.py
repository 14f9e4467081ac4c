"""The embedded store's key summary: one row per key that reports read instead of every version.

The summary is derived data kept by SQLite triggers in the writing
transaction. These tests hold it to the version rows after any sequence of
writes (hypothesis), add it to a store made before it existed (the migration),
and show that an edited summary or trigger is reported as tampering.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.errors import IntegrityError, ReuseRefused, SecretNotFound
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, ValidationStamp, WriteRequest
from secretwarden.stores.embedded.store import EmbeddedStore
from secretwarden.stores.summary import fingerprint_rows, repeated_fingerprint_rows, summarize
from tests.conftest import make_canary
from tests.stores.conftest import FP, Clock

SLOTS = (
    SlotRef("dev", "api", "TOKEN"),
    SlotRef("dev", "api", "OTHER"),
    SlotRef("dev", "shop", "KEY", "tenant-a"),
    SlotRef("prod", "api", "TOKEN"),
)
SUMMARY_COLUMNS = ("cur_version", "cur_created_at", "cur_stamp", "cur_fingerprint", "version_count")


def open_store(path: Path, clock: Clock, access: str = "secrets") -> EmbeddedStore:
    return EmbeddedStore("local", path, access=access, create=True, fingerprinter=FP, clock=clock)  # type: ignore[arg-type]


def sql(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        for statement in statements:
            conn.execute(statement)


def as_before_summaries(path: Path) -> None:
    """Make the file what a warden without key summaries left: no columns, triggers, index or meta row."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("BEGIN")
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'key_summary_%'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP INDEX versions_by_fingerprint")
        for column in SUMMARY_COLUMNS:
            conn.execute(f"ALTER TABLE keys DROP COLUMN {column}")
        conn.execute("DELETE FROM meta WHERE k = 'key_summary'")
        conn.execute("COMMIT")


def listed_summaries(store: EmbeddedStore, env: str | None = None) -> list[object]:
    return [summarize(m) for m in store.list_meta(env)]


def assert_summary_holds(store: EmbeddedStore) -> None:
    for env in ("dev", "prod", None):
        assert store.key_summaries(env) == listed_summaries(store, env)
    rows = fingerprint_rows(store)
    seen = Counter(r[5] for r in rows)
    assert sorted(repeated_fingerprint_rows(store)) == sorted(r for r in rows if seen[r[5]] > 1)
    assert store.verify() == []


# --- kept in step by every write -------------------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(("write", "write", "copy", "delete", "undelete", "destroy", "mark", "clear")),
        st.integers(0, len(SLOTS) - 1),
        st.integers(0, len(SLOTS) - 1),
    ),
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_sequence_of_writes_keeps_every_summary(tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, int]]) -> None:
    clock = Clock()
    path = tmp_path_factory.mktemp("summary") / "store.db"
    with open_store(path, clock) as store:
        for op, i, j in ops:
            slot, other = SLOTS[i], SLOTS[j]
            try:
                if op == "write":
                    stamp = ValidationStamp("digest-" + str(i), ("too short",) if j == 0 else ())
                    store.write_many([WriteRequest(slot, SecretValue(make_canary()), stamp=stamp)], actor="t")
                elif op == "copy":  # the same value in a second slot: isolation's repeated fingerprints
                    store.write_many([WriteRequest(other, store.read(slot))], actor="t")
                elif op == "delete":
                    store.soft_delete(slot)
                elif op == "undelete":
                    store.undelete(slot)
                elif op == "destroy":
                    store.destroy(slot)
                elif op == "mark":
                    store.mark_compromised(slot, clock(), "test")
                else:
                    store.clear_compromised(slot)
            except (SecretNotFound, ReuseRefused):  # no such key or no live value; a copy refused
                pass
            assert_summary_holds(store)


def test_a_writer_that_knows_no_summary_still_keeps_it(tmp_path: Path) -> None:
    """An older warden writes version rows only: the triggers keep the summary for it."""
    clock = Clock()
    path = tmp_path / "store.db"
    slot = SLOTS[0]
    with open_store(path, clock) as store:
        store.write_many([WriteRequest(slot, SecretValue(make_canary()))], actor="t")
    sql(
        path,
        "INSERT INTO versions (env, namespace, instance, key, version, created_at, created_by, source) "
        "VALUES ('dev', 'api', '', 'TOKEN', 2, '2026-02-01T00:00:00.000000+00:00', 'old', 'set')",
        "UPDATE versions SET deleted_at = '2026-02-02T00:00:00.000000+00:00' WHERE version = 1",
    )
    with open_store(path, clock, "metadata") as reader:
        (summary,) = reader.key_summaries("dev")
        assert (summary.version, summary.versions, summary.fingerprint) == (2, 2, None)
        assert reader.key_summaries() == listed_summaries(reader)
    sql(path, "DELETE FROM versions WHERE version = 2")
    with open_store(path, clock, "metadata") as reader:
        (summary,) = reader.key_summaries("dev")
        assert (summary.version, summary.versions) == (None, 1)  # v1 is deleted: no live version left


# --- the migration: a store made before summaries ----------------------------------------------


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Path, Clock, list[object]]:
    """A store with history (rotations, a deletion, a compromise mark, a copied value), then
    turned into the layout of a warden from before key summaries."""
    clock = Clock()
    path = tmp_path / "store.db"
    with open_store(path, clock) as store:
        for slot in (*SLOTS, SLOTS[0], SLOTS[0], SLOTS[1]):
            store.write_many([WriteRequest(slot, SecretValue(make_canary()))], actor="t")
        store.write_many([WriteRequest(SLOTS[3], store.read(SLOTS[2]))], actor="t")  # shared value
        store.soft_delete(SLOTS[1])
        store.mark_compromised(SLOTS[2], clock(), "leaked")
        expected = listed_summaries(store)
    as_before_summaries(path)
    return path, clock, expected


def test_a_metadata_reader_reports_an_old_store_without_writing_it(old_store: tuple[Path, Clock, list[object]]) -> None:
    path, clock, expected = old_store
    before = path.read_bytes()
    with open_store(path, clock, "metadata") as reader:
        assert reader.key_summaries() == expected
        assert len(repeated_fingerprint_rows(reader)) == 2
        assert reader.verify() == []
    assert path.read_bytes() == before  # a report never writes the file


def test_the_first_opener_with_the_key_adds_the_summary(old_store: tuple[Path, Clock, list[object]]) -> None:
    path, clock, expected = old_store
    with open_store(path, clock) as store:
        assert store.key_summaries() == expected
        assert_summary_holds(store)
        store.write_many([WriteRequest(SLOTS[1], SecretValue(make_canary()))], actor="t")
        assert_summary_holds(store)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT v FROM meta WHERE k = 'key_summary'").fetchone() == ("1",)
        assert conn.execute("SELECT v FROM meta WHERE k = 'schema_version'").fetchone() == ("2",)  # readable by older wardens


def test_a_schema_1_store_gets_macs_and_the_summary(old_store: tuple[Path, Clock, list[object]]) -> None:
    path, clock, expected = old_store
    sql(path, "UPDATE meta SET v = '1' WHERE k = 'schema_version'", "UPDATE keys SET mac = NULL", "UPDATE versions SET mac = NULL")
    with open_store(path, clock) as store:
        assert store.verify(deep=True) == []
        assert store.key_summaries() == expected
        assert_summary_holds(store)


# --- tampering --------------------------------------------------------------------------------


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Clock]:
    clock = Clock()
    path = tmp_path / "store.db"
    with open_store(path, clock) as store:
        for slot in (SLOTS[0], SLOTS[0], SLOTS[1]):
            store.write_many([WriteRequest(slot, SecretValue(make_canary()), stamp=ValidationStamp("d"))], actor="t")
        store.mark_compromised(SLOTS[1], clock() + dt.timedelta(seconds=1), "leaked")
    return path, clock


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE keys SET cur_version = 1 WHERE key = 'TOKEN'",  # an older value shown as current
        "UPDATE keys SET cur_created_at = '2030-01-01T00:00:00.000000+00:00'",  # a fresh age: never due
        "UPDATE keys SET cur_stamp = NULL WHERE key = 'TOKEN'",
        "UPDATE keys SET version_count = 9",
    ],
)
def test_an_edited_summary_is_tampering(written: tuple[Path, Clock], edit: str) -> None:
    path, clock = written
    sql(path, edit)
    with open_store(path, clock, "metadata") as reader:
        (problem,) = reader.verify()
        assert "disagree with their versions" in problem and "tampering" in problem
    with open_store(path, clock) as store, pytest.raises(IntegrityError, match="summary of dev:api/TOKEN"):
        store.read(SLOTS[0])  # whoever reads a value checks the summary with the rows


def test_a_dropped_trigger_is_reported(written: tuple[Path, Clock]) -> None:
    path, clock = written
    sql(path, "DROP TRIGGER key_summary_on_insert")
    with open_store(path, clock, "metadata") as reader:
        assert reader.verify() == ["the trigger `key_summary_on_insert` that keeps key summaries is missing or altered"]


def test_a_compromise_mark_reads_the_same_from_the_summary(written: tuple[Path, Clock]) -> None:
    path, clock = written
    with open_store(path, clock, "metadata") as reader:
        marked = {s.slot: s.compromised for s in reader.key_summaries()}
    assert marked == {SLOTS[0]: False, SLOTS[1]: True}


def test_a_read_only_store_from_before_summaries_is_still_read(project: Path) -> None:
    """The upgrade is a write: on a file this user may only read, values and reports are served
    from the versions as before (`run`/`get` in a container with a read-only store)."""
    from tests.conftest import run_warden, run_warden_obeying_file_modes

    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    db = project.parent / ".warden" / "local.db"
    as_before_summaries(db)
    db.chmod(0o400)
    try:
        r = run_warden_obeying_file_modes("-c", project, "get", "api/API_TOKEN", "--env", "dev", input="p" * 26)
        code, err = r.returncode, r.stderr
        assert code == 0, err
        r = run_warden_obeying_file_modes("-c", project, "status", "--env", "dev", input="p" * 26)
        code, err = r.returncode, r.stderr
        assert code in (0, 1) and "error" not in err, err
    finally:
        db.chmod(0o600)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT v FROM meta WHERE k = 'key_summary'").fetchone() is None  # nothing written
