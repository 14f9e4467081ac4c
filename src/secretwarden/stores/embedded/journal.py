"""The embedded store's shared journals: two tables in the store's own SQLite file.

    journal_entries (name, seq, entry)    one row per entry, primary key (name, seq)
    journal_heads   (name, seq, hash, idx) the head of each journal and its index

An append is one `BEGIN IMMEDIATE` transaction, as every write of the store
is: the head is read, the entry built and sealed, the row inserted and the
head moved, so concurrent writers (processes or threads with their own
connection) serialise and none loses an entry. The tables are created by the
first append; a store without them reads as having empty journals, and
older versions of warden ignore them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from secretwarden import json_codec
from secretwarden.errors import SecretNotFound
from secretwarden.stores.base import JournalHead, JournalWriter
from secretwarden.stores.embedded import guard_journals as _guarded
from secretwarden.stores.journal_head import damaged_head

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Protocol

    class EmbeddedStore(Protocol):
        """What the journals use of `store.EmbeddedStore` (typed here so the two modules
        do not import each other)."""

        name: str
        path: Path

        @property
        def access(self) -> str: ...

        def _meta_conn(self) -> sqlite3.Connection | None: ...

        def _require_secrets(self, *, write: bool = True) -> sqlite3.Connection: ...


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """The store's discipline: `BEGIN IMMEDIATE`, so writers serialise before they read the head."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

_TABLES = (
    "CREATE TABLE IF NOT EXISTS journal_entries ("
    "name TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (name, seq))",
    "CREATE TABLE IF NOT EXISTS journal_heads ("
    "name TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, idx TEXT NOT NULL)",
)


def _missing_table(exc: sqlite3.OperationalError) -> bool:
    return "no such table" in str(exc)


def _compact(value: dict[str, Any]) -> str:
    return json_codec.dumps(value, sort_keys=True, separators=(",", ":"))


class EmbeddedJournal:
    """`stores.base.SharedJournal` on an embedded store's file."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self.path = store.path  # for the error messages of `_guarded`
        self.location = str(store.path)

    def _conn(self, *, write: bool) -> sqlite3.Connection | None:
        conn = self.store._meta_conn()
        if conn is None and write:
            if self.store.access != "secrets":
                raise SecretNotFound(
                    f"store `{self.store.name}` does not exist yet ({self.store.path})",
                    hint="`warden set` or `warden bootstrap` creates it",
                )
            conn = self.store._require_secrets()
        return conn

    @_guarded
    def head(self, name: str) -> JournalHead:
        conn = self._conn(write=False)
        if conn is None:
            return JournalHead()
        try:
            row = conn.execute("SELECT seq, hash, idx FROM journal_heads WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError as exc:
            if _missing_table(exc):
                return JournalHead()
            raise
        if row is None:
            return JournalHead()
        try:
            index = json_codec.loads(row[2])
            if not isinstance(index, dict):
                raise ValueError("not an object")
            return JournalHead(int(row[0]), str(row[1]), index)
        except (ValueError, TypeError):
            raise damaged_head(self.location, name) from None  # gates never guess the open incidents

    @_guarded
    def entries(self, name: str) -> list[dict[str, Any]]:
        conn = self._conn(write=False)
        if conn is None:
            return []
        try:
            rows = conn.execute("SELECT seq, entry FROM journal_entries WHERE name = ? ORDER BY seq", (name,)).fetchall()
        except sqlite3.OperationalError as exc:
            if _missing_table(exc):
                return []
            raise
        out: list[dict[str, Any]] = []
        for seq, text in rows:
            try:
                entry = json_codec.loads(text)
            except ValueError:
                entry = None
            out.append(entry if isinstance(entry, dict) else {"seq": seq, "damaged": "not a JSON object"})
        return out

    @_guarded
    def append(self, name: str, writer: JournalWriter) -> dict[str, Any]:
        conn = self._conn(write=True)
        assert conn is not None
        with _transaction(conn):
            for statement in _TABLES:  # the first append makes them, in its own transaction
                conn.execute(statement)
            row = conn.execute("SELECT seq, hash, idx FROM journal_heads WHERE name = ?", (name,)).fetchone()
            head = JournalHead() if row is None else JournalHead(int(row[0]), str(row[1]), json_codec.loads(row[2]))
            record = writer.seal(writer.build(head), head.seq + 1, head.digest)
            conn.execute(
                "INSERT INTO journal_entries (name, seq, entry) VALUES (?, ?, ?)",
                (name, head.seq + 1, _compact(record)),
            )
            conn.execute(
                "INSERT OR REPLACE INTO journal_heads (name, seq, hash, idx) VALUES (?, ?, ?, ?)",
                (name, head.seq + 1, str(record["hash"]), _compact(writer.fold(head.index, record))),
            )
        return record
