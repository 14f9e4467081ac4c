"""Listings of the embedded store's metadata, one query each: every key's metadata
(`list_meta`), the reports' key summaries, and the fingerprints isolation compares.
Metadata only: no ciphertext column is ever selected. `store.EmbeddedStore`'s methods of the same
names call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta
from secretwarden.stores.embedded.core import (
    _KEY_MAC_COLS,
    _VERSION_MAC_COLS,
    StoreCore,
    _parse_ts,
    _stamp,
    _version_meta,
)
from secretwarden.stores.embedded.schema import (
    KEY_SUMMARY_ENV_SQL,
    KEY_SUMMARY_SQL,
    SUMMARY_ENV_SQL,
    SUMMARY_SQL,
)

if TYPE_CHECKING:
    from secretwarden.stores.summary import FingerprintRow, KeySummary


def list_meta(store: StoreCore, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
    conn = store._meta_conn()
    if conn is None:
        return iter(())
    store.stats.metadata_reads += 1
    where, args = _filters(env, namespace)
    keys = conn.execute(
        f"SELECT {_KEY_MAC_COLS}, mac FROM keys {where} ORDER BY env, namespace, instance, key",
        args,
    ).fetchall()
    versions: dict[tuple[str, str, str, str], list[tuple[Any, ...]]] = {}
    # Note: only metadata columns are selected; ciphertexts are never loaded here.
    for row in conn.execute(
        f"SELECT {_VERSION_MAC_COLS}, mac FROM versions {where} ORDER BY env, namespace, instance, key, version",
        args,
    ):
        versions.setdefault((row[0], row[1], row[2], row[3]), []).append(row)
    out = []
    for key_row in keys:
        e, n, i, k = key_row[:4]
        rows = versions.get((e, n, i, k), [])
        slot = SlotRef(e, n, k, i or None)
        if store._mac_key is not None:
            store._verify_rows(slot.label(), key_row, rows)
        out.append(KeyMeta(slot=slot, versions=tuple(_version_meta(r[4:12]) for r in rows), compromised_at=_parse_ts(key_row[5])))
    return iter(out)


def key_summaries(store: StoreCore, env: str | None = None) -> list[KeySummary]:
    """What reports need of every key of `env` (stores/summary.py), in one query.

    Metadata only, like `list_meta`, and like it unverified (a metadata
    reader holds no MAC key); `run` and `check --verify-values` verify.
    """
    # Reports only: summary.py stays off `warden run`'s path.
    from secretwarden.stores.summary import KeySummary, is_compromised

    conn = store._meta_conn()
    if conn is None:
        return []
    store.stats.metadata_reads += 1
    if env is None:
        rows = conn.execute(KEY_SUMMARY_SQL if store._summary_kept else SUMMARY_SQL)
    else:
        rows = conn.execute(KEY_SUMMARY_ENV_SQL if store._summary_kept else SUMMARY_ENV_SQL, (env,))
    parse = dt.datetime.fromisoformat
    return [
        KeySummary(
            SlotRef(e, n, k, i or None),
            version,
            parse(written) if written else None,
            _stamp(stamp) if stamp else None,
            fp,
            count or 0,
            marked is not None and is_compromised(marked, written),
        )
        for e, n, i, k, marked, count, version, written, stamp, fp in rows
    ]


def fingerprint_rows(store: StoreCore) -> list[FingerprintRow]:
    conn = store._meta_conn()
    if conn is None:
        return []
    store.stats.metadata_reads += 1
    return conn.execute(
        "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IS NOT NULL"
    ).fetchall()


def repeated_fingerprint_rows(store: StoreCore) -> list[FingerprintRow]:
    """`fingerprint_rows` of the fingerprints this store holds twice or more, from one query.

    With the fingerprint index SQLite walks the index in order; most
    fingerprints are unique, so only a few version rows are read.
    """
    conn = store._meta_conn()
    if conn is None:
        return []
    store.stats.metadata_reads += 1
    return conn.execute(
        "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IN "
        "(SELECT fingerprint FROM versions WHERE fingerprint IS NOT NULL GROUP BY fingerprint HAVING COUNT(*) > 1)"
    ).fetchall()


def _filters(env: str | None, namespace: str | None) -> tuple[str, tuple[str, ...]]:
    clauses, args = [], []
    if env is not None:
        clauses.append("env = ?")
        args.append(env)
    if namespace is not None:
        clauses.append("namespace = ?")
        args.append(namespace)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(args)
