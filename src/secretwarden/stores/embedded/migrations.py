"""Upgrades of an embedded store made by an older warden, done by the first opener that holds the
root key: the metadata MACs (schema 1 -> 2) and the key summary (columns, triggers, index).
"""

from __future__ import annotations

import sqlite3

from secretwarden.stores.embedded.core import (
    _SLOT_WHERE,
    _SUMMARY_META,
    StoreCore,
    _transaction,
)
from secretwarden.stores.embedded.schema import SUMMARY_COLS, SUMMARY_DDL, SUMMARY_SQL


def add_key_summary(store: StoreCore, conn: sqlite3.Connection) -> None:
    """A store made before key summaries: add the columns, fill them from the versions, add the triggers.

    Not a schema version: the columns and triggers are invisible to an older
    warden, and its writes still keep the summary (the triggers fire for any
    writer). Done by the first opener that may write (a metadata reader
    never writes: it computes the same rows from the versions meanwhile).
    """
    with _transaction(conn):
        if conn.execute("SELECT 1 FROM meta WHERE k = ?", (_SUMMARY_META,)).fetchone() is None:
            cols = {r[1] for r in conn.execute("PRAGMA table_info(keys)")}
            for name, decl in SUMMARY_COLS:
                if name not in cols:
                    conn.execute(f"ALTER TABLE keys ADD COLUMN {name} {decl}")
            for statement in SUMMARY_DDL:  # (not executescript: it would commit the transaction)
                conn.execute(statement)
            rows = conn.execute(SUMMARY_SQL).fetchall()
            conn.executemany(
                "UPDATE keys SET version_count = ?, cur_version = ?, cur_created_at = ?, cur_stamp = ?, "
                f"cur_fingerprint = ? WHERE {_SLOT_WHERE}",
                [(r[5] or 0, r[6], r[7], r[8], r[9], r[0], r[1], r[2], r[3]) for r in rows],
            )
            conn.execute("INSERT INTO meta (k, v) VALUES (?, '1')", (_SUMMARY_META,))
    store._summary_kept = True


def migrate_to_macs(store: StoreCore, conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: add the MAC columns and authenticate the rows as they are now.

    Trust on first use: the rows are taken as they stand when a holder of
    the root key first opens the store with this version.
    """
    with _transaction(conn):
        row = conn.execute("SELECT v FROM meta WHERE k = 'schema_version'").fetchone()
        if row is not None and int(row[0]) >= 2:
            return  # another process migrated it meanwhile
        for table in ("keys", "versions", "denied_fingerprints"):
            cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if "mac" not in cols:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN mac TEXT")
        for key_row in conn.execute("SELECT env, namespace, instance, key FROM keys").fetchall():
            store._remac_key(conn, *key_row)
        for v_row in conn.execute("SELECT env, namespace, instance, key, version FROM versions").fetchall():
            store._remac_version(conn, *v_row)
        for (fp,) in conn.execute("SELECT fingerprint FROM denied_fingerprints").fetchall():
            store._remac_denied(conn, fp)
        conn.execute("UPDATE meta SET v = '2' WHERE k = 'schema_version'")
