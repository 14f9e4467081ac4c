"""`warden store verify` on an embedded store: SQLite's own check, orphaned rows, the key
summaries and their triggers, and (`deep`, with the root key) every MAC and every live ciphertext.
Damage is reported as a problem, never raised.
"""

from __future__ import annotations

import sqlite3

from secretwarden.errors import (
    IntegrityError,
    SecretNotFound,
    WardenError,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.embedded import sqlite_reason
from secretwarden.stores.embedded.core import _KEY_MAC_COLS, StoreCore
from secretwarden.stores.embedded.schema import KEY_SUMMARY_SQL, SUMMARY_SQL, SUMMARY_TRIGGERS


def verify(store: StoreCore, *, deep: bool = False) -> list[str]:
    """Problems found; `deep` also authenticates metadata and every live ciphertext (needs the key).

    Damage is reported as a problem, never raised: this is the command
    people run when they suspect damage.
    """
    try:
        conn = store._meta_conn()
    except WardenError as exc:
        return [str(exc)]
    if conn is None:
        return []
    problems: list[str] = []
    try:
        problems += [str(r[0]) for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        orphans = conn.execute(
            "SELECT COUNT(*) FROM versions v LEFT JOIN keys k USING (env, namespace, instance, key) "
            "WHERE k.key IS NULL"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} version row(s) without a key row")
        if store._summary_kept:
            problems += _summary_problems(store, conn)
    except sqlite3.DatabaseError as exc:
        return [*problems, f"the store file is damaged ({sqlite_reason(exc)})"]
    if deep:
        try:
            problems += _verify_deep(store)
        except WardenError as exc:
            problems.append(str(exc))
        except (sqlite3.DatabaseError, ValueError, TypeError, KeyError, IndexError, UnicodeError) as exc:
            problems.append(f"the store file is damaged ({type(exc).__name__})")
    return problems


def _summary_problems(store: StoreCore, conn: sqlite3.Connection) -> list[str]:
    """Reports trust the key summaries: each must say what the version rows say, and the
    triggers that keep them must be the ones warden made (no key needed: both are derived)."""
    problems = []
    found = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    for name, body in SUMMARY_TRIGGERS.items():
        if found.get(name) != f"CREATE TRIGGER {name} {body}":
            problems.append(f"the trigger `{name}` that keeps key summaries is missing or altered")
    derived = {r[:4]: (r[5] or 0, *r[6:]) for r in conn.execute(SUMMARY_SQL)}
    stored = {r[:4]: (r[5], *r[6:]) for r in conn.execute(KEY_SUMMARY_SQL)}
    wrong = [k for k, v in stored.items() if derived.get(k) != v]
    if wrong:
        e, n, i, k = wrong[0]
        first = SlotRef(e, n, k, i or None).label()
        problems.append(
            f"{len(wrong)} key summary row(s) disagree with their versions (first: {first}): "
            "edited outside warden (tampering)"
        )
    return problems


def _verify_deep(store: StoreCore) -> list[str]:
    conn = store._require_secrets(write=False)
    problems: list[str] = []
    keys = conn.execute(f"SELECT {_KEY_MAC_COLS}, mac FROM keys").fetchall()
    for key_row in keys:
        slot = SlotRef(key_row[0], key_row[1], key_row[3], key_row[2] or None)
        try:
            store._checked_key_meta(conn, slot)
        except IntegrityError as exc:
            problems.append(str(exc))
    try:
        store._denied(conn)
    except IntegrityError as exc:
        problems.append(str(exc))
    rows = conn.execute(
        "SELECT env, namespace, instance, key, version FROM versions WHERE destroyed = 0"
    ).fetchall()
    for env, ns, inst, key, version in rows:
        slot = SlotRef(env, ns, key, inst or None)
        try:
            store._decrypt(conn, slot, version)
        except (IntegrityError, SecretNotFound) as exc:
            problems.append(f"{slot.label()} v{version}: {exc}")
    return problems
