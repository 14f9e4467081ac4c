"""Writes to the embedded store: new versions (with the reuse check), namespaces, version state
(delete, undelete, destroy) and compromise marks. Each runs in one `BEGIN IMMEDIATE` transaction
and re-MACs the rows it changes; `store.EmbeddedStore`'s methods of the same names call these.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from secretwarden.crypto.derive import same
from secretwarden.errors import (
    ConflictError,
    MasterKeyError,
    SecretNotFound,
)
from secretwarden.identity import current_user
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    refuse_reuse,
)
from secretwarden.stores.embedded.core import StoreCore, _transaction, _ts


def write_many(store: StoreCore, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
    conn = store._require_secrets()
    _check_fingerprint_key(store, conn)
    who = actor or current_user()
    results: list[WriteResult] = []
    with _transaction(conn):
        denied = store._denied(conn)
        for req in requests:
            results.append(_write_one(store, conn, req, who, denied))
        store._count_write(conn, len(results))
    store.stats.values_written += len(results)
    return results


def _write_one(
    store: StoreCore, conn: sqlite3.Connection, req: WriteRequest, actor: str, denied: set[str]
) -> WriteResult:
    from secretwarden.crypto import envelope

    slot = req.slot
    meta = store._checked_key_meta(conn, slot)
    newest = meta.newest_version if meta else 0
    if req.cas is not None and req.cas != newest:
        raise ConflictError(
            f"{slot.label()}: expected version {req.cas}, found {newest} (written concurrently)"
        )
    fp = store.fingerprint(req.value)
    refuse_reuse(slot, fp, meta, denied)
    now = store._clock()
    version = newest + 1
    dek = store._dek(conn, slot.env, slot.namespace, create=True)
    nonce, ct = envelope.seal(dek, req.value.reveal().encode("utf-8"), store._value_aad(slot, version))
    inst = slot.instance or ""
    if meta is None:
        conn.execute(
            "INSERT INTO keys (env, namespace, instance, key, created_at) VALUES (?, ?, ?, ?, ?)",
            (slot.env, slot.namespace, inst, slot.key, _ts(now)),
        )
    conn.execute(
        "INSERT INTO versions (env, namespace, instance, key, version, created_at, created_by, "
        "source, fingerprint, stamp, nonce, ciphertext) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            slot.env,
            slot.namespace,
            inst,
            slot.key,
            version,
            _ts(now),
            actor,
            req.source,
            fp,
            json.dumps(req.stamp.to_json()) if req.stamp else None,
            nonce,
            ct,
        ),
    )
    store._remac_version(conn, slot.env, slot.namespace, inst, slot.key, version)
    store._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
    return WriteResult(slot, version, meta is None)


def ensure_namespace(store: StoreCore, env: str, namespace: str) -> bool:
    conn = store._require_secrets()
    with _transaction(conn):
        existed = conn.execute(
            "SELECT 1 FROM namespaces WHERE env=? AND namespace=?", (env, namespace)
        ).fetchone()
        if existed:
            return False
        store._deks.pop((env, namespace), None)
        store._dek(conn, env, namespace, create=True)
        store._count_write(conn)
        return True


def _versions_for(store: StoreCore, conn: sqlite3.Connection, slot: SlotRef, versions: Iterable[int] | None) -> list[int]:
    meta = store._checked_key_meta(conn, slot)
    if meta is None:
        raise SecretNotFound(f"{slot.label()}: no such key in store `{store.name}`")
    known = {v.version for v in meta.versions}
    if versions is None:
        cur = meta.current
        return [cur.version] if cur else []
    chosen = list(versions)
    missing = [v for v in chosen if v not in known]
    if missing:
        raise SecretNotFound(f"{slot.label()}: no version(s) {', '.join(map(str, missing))}")
    return chosen


def _update_versions(store: StoreCore, slot: SlotRef, versions: Iterable[int] | None, sql: str, *args: Any) -> list[int]:
    conn = store._require_secrets()
    inst = slot.instance or ""
    with _transaction(conn):
        chosen = _versions_for(store, conn, slot, versions)
        for v in chosen:
            conn.execute(
                sql + " WHERE env=? AND namespace=? AND instance=? AND key=? AND version=?",
                (*args, slot.env, slot.namespace, inst, slot.key, v),
            )
            store._remac_version(conn, slot.env, slot.namespace, inst, slot.key, v)
        if chosen:
            store._count_write(conn)
    return chosen


def soft_delete(store: StoreCore, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
    return _update_versions(store,
        slot, versions, "UPDATE versions SET deleted_at = COALESCE(deleted_at, ?)", _ts(store._clock())
    )


def undelete(store: StoreCore, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
    if versions is None:
        meta = store.key_meta(slot)
        deleted = [v.version for v in meta.versions if v.deleted_at and not v.destroyed] if meta else []
        versions = deleted[-1:]
    return _update_versions(store, slot, versions, "UPDATE versions SET deleted_at = NULL")


def destroy(store: StoreCore, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
    # The fingerprint stays: a destroyed value still may not come back.
    return _update_versions(store,
        slot, versions, "UPDATE versions SET destroyed = 1, nonce = NULL, ciphertext = NULL"
    )


def mark_compromised(store: StoreCore, slot: SlotRef, at: dt.datetime, reason: str) -> None:
    conn = store._require_secrets()
    inst = slot.instance or ""
    with _transaction(conn):
        meta = store._checked_key_meta(conn, slot)
        if meta is None:
            raise SecretNotFound(f"{slot.label()}: no such key in store `{store.name}`")
        conn.execute(
            "UPDATE keys SET compromised_at=?, compromise_reason=? WHERE env=? AND namespace=? "
            "AND instance=? AND key=?",
            (_ts(at), reason, slot.env, slot.namespace, inst, slot.key),
        )
        store._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
        for fp in sorted(meta.fingerprints):
            added = conn.execute(
                "INSERT OR IGNORE INTO denied_fingerprints (fingerprint, reason, added_at) VALUES (?,?,?)",
                (fp, f"compromised: {slot.label()}", _ts(at)),
            ).rowcount
            if added:
                store._remac_denied(conn, fp)
        store._count_write(conn)


def clear_compromised(store: StoreCore, slot: SlotRef) -> None:
    conn = store._require_secrets()
    inst = slot.instance or ""
    with _transaction(conn):
        updated = conn.execute(
            "UPDATE keys SET compromised_at=NULL, compromise_reason=NULL WHERE env=? AND "
            "namespace=? AND instance=? AND key=?",
            (slot.env, slot.namespace, inst, slot.key),
        ).rowcount
        if updated:
            store._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
            store._count_write(conn)


def _check_fingerprint_key(store: StoreCore, conn: sqlite3.Connection) -> None:
    """Before the first fingerprint of this session: is it the key the store's fingerprints use?"""
    if store._fp_key_checked or store._fingerprint is None:
        return
    recorded = store._meta_value(conn, "fingerprint_key_id")
    if recorded is not None and not same(store._meta_value(conn, "fingerprint_key_mac") or "", store._mac("fpkey", recorded)):
        raise store._tampered("the recorded fingerprint key id")
    has_fps = conn.execute("SELECT 1 FROM versions WHERE fingerprint IS NOT NULL LIMIT 1").fetchone() is not None
    to_record = check_fingerprint_key(store.name, recorded, store._fingerprint, has_fingerprints=has_fps)
    if to_record is not None:
        # A store from before key ids were recorded: prove the key on one of its values first.
        _prove_legacy_fingerprint_key(store, conn)
    if recorded is None:
        to_record = to_record or fingerprint_key_id_of(store._fingerprint)
        if to_record is not None:
            with _transaction(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)",
                    [("fingerprint_key_id", to_record), ("fingerprint_key_mac", store._mac("fpkey", to_record))],
                )
    store._fp_key_checked = True


def _prove_legacy_fingerprint_key(store: StoreCore, conn: sqlite3.Connection) -> None:
    row = conn.execute(
        "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IS NOT NULL "
        "AND destroyed = 0 AND ciphertext IS NOT NULL ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return  # nothing left to prove it on: the key becomes the store's from now on
    env, ns, inst, key, version, fp = row
    value = store._decrypt(conn, SlotRef(env, ns, key, inst or None), version)
    if store.fingerprint(value) != fp:
        origin = getattr(store._fingerprint, "origin", "the fingerprint key")
        raise MasterKeyError(
            f"store `{store.name}`: the fingerprint key from {origin} is not the one its fingerprints were made with",
            hint="restore the project's fingerprint key from a backup; "
            "a new key would let values marked compromised back in",
        )
