"""The embedded store: one SQLite file, modelled on Vault's KV v2.

* WAL mode, `synchronous=FULL`, every write in a `BEGIN IMMEDIATE`
  transaction: a write is acknowledged only once it is durable, concurrent
  writers serialise, and a killed process leaves the last committed state.
* File mode 0600; its folder 0700.
* Envelope encryption (crypto/envelope.py): the root key wraps one data key
  per (environment, namespace); each value's associated data binds store id,
  slot and version.
* Metadata (names, versions, timestamps, fingerprints, validation stamps)
  sits in clear columns, so listing never touches a ciphertext. Opened with
  `access="metadata"` the store loads no key at all and cannot decrypt.
* The metadata that gates access (the compromise mark, versions, deleted and
  destroyed state, denied fingerprints, the fingerprint key id) carries an
  HMAC under a key derived from the root key (schema 2). Whoever reads values
  (`run`, `get`, `check --verify-values`) verifies it, so an `UPDATE keys SET
  compromised_at = NULL` on the file is reported as tampering instead of
  lifting the block. Metadata-only readers hold no key and cannot verify.
* Reports read one row per key: `keys` carries a summary of the key's
  current version (number, time, stamp, fingerprint) and its version count,
  kept in step by SQLite triggers on `versions` inside the writing
  transaction (so any writer keeps it, an older warden too). It is derived
  data, never a source of truth for access: whoever verifies a key's rows
  also checks the summary against them, and `warden store verify` checks
  every summary (a summary edited outside warden is reported as tampering).
* Damage (a flipped byte, a truncated file) and environment problems
  (permissions, a read-only disk) are store errors with a message, never
  crashes (`_guarded`).

Import cost matters here (`warden run` opens this module on its fast path):
only sqlite3, and the AES-GCM primitive (crypto/envelope.py) where a key is
used: a metadata reader (every report) never loads cryptography (~20 ms).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.crypto.derive import hkdf, mac_fields, same
from secretwarden.crypto.rootkey import RootKey, create_root_key, find_root_key
from secretwarden.errors import (
    ConflictError,
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    SecretNotFound,
    StoreUnavailable,
    UsageError,
    WardenError,
)
from secretwarden.identity import current_user
from secretwarden.paths import (
    check_regular_file,
    ensure_private_dir,
    is_state_dir,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    AuditAnchorState,
    KeyMeta,
    SecretValue,
    SharedJournal,
    StoreStats,
    ValidationStamp,
    VersionMeta,
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    keyed_fingerprint,
    refuse_reuse,
)
from secretwarden.stores.embedded import guard_store as _guarded
from secretwarden.stores.embedded import sqlite_reason

if TYPE_CHECKING:
    from secretwarden.stores.summary import FingerprintRow, KeySummary

SCHEMA_VERSION = 2  # 2: MACs over the metadata that gates access
_KEY_CHECK = b"secretwarden root key check"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (
  env TEXT NOT NULL, namespace TEXT NOT NULL,
  dek_nonce BLOB NOT NULL, wrapped_dek BLOB NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (env, namespace));
CREATE TABLE IF NOT EXISTS keys (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  created_at TEXT NOT NULL, compromised_at TEXT, compromise_reason TEXT, mac TEXT,
  cur_version INTEGER, cur_created_at TEXT, cur_stamp TEXT, cur_fingerprint TEXT,
  version_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (env, namespace, instance, key));
CREATE TABLE IF NOT EXISTS versions (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  version INTEGER NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  source TEXT NOT NULL, fingerprint TEXT, stamp TEXT,
  deleted_at TEXT, destroyed INTEGER NOT NULL DEFAULT 0,
  nonce BLOB, ciphertext BLOB, mac TEXT,
  PRIMARY KEY (env, namespace, instance, key, version));
CREATE TABLE IF NOT EXISTS denied_fingerprints (
  fingerprint TEXT PRIMARY KEY, reason TEXT NOT NULL, added_at TEXT NOT NULL, mac TEXT);
"""
# Columns each MAC covers, in order (the slot columns first).
_KEY_MAC_COLS = "env, namespace, instance, key, created_at, compromised_at, compromise_reason"
_VERSION_MAC_COLS = (
    "env, namespace, instance, key, version, created_at, created_by, source, fingerprint, stamp, deleted_at, destroyed"
)
_DENIED_MAC_COLS = "fingerprint, reason, added_at"
_KEY_ROW_LEN = len(_KEY_MAC_COLS.split(",")) + 1  # with the MAC

# The key summary (schema note in the module docstring): columns added to `keys` by
# `_add_key_summary` on stores made before it, and the triggers that keep them in step.
_SUMMARY_COLS = (
    ("cur_version", "INTEGER"),
    ("cur_created_at", "TEXT"),
    ("cur_stamp", "TEXT"),
    ("cur_fingerprint", "TEXT"),
    ("version_count", "INTEGER NOT NULL DEFAULT 0"),
)
_SUMMARY_META = "key_summary"  # meta row present once every key's summary is filled and kept
# Recomputes one key's summary from its version rows; `{row}` is NEW or OLD inside a trigger.
_RESUMMARIZE = """
UPDATE keys SET
  version_count = (SELECT COUNT(*) FROM versions c WHERE c.env = keys.env AND c.namespace = keys.namespace
                   AND c.instance = keys.instance AND c.key = keys.key),
  (cur_version, cur_created_at, cur_stamp, cur_fingerprint) = (
    SELECT v.version, v.created_at, v.stamp, v.fingerprint FROM versions v
    WHERE v.env = keys.env AND v.namespace = keys.namespace AND v.instance = keys.instance AND v.key = keys.key
      AND v.deleted_at IS NULL AND v.destroyed = 0
    ORDER BY v.version DESC LIMIT 1)
WHERE env = {row}.env AND namespace = {row}.namespace AND instance = {row}.instance AND key = {row}.key;
"""
# A new version (the common write) updates the summary in place: no version row is read again.
# (Every right-hand side sees the row before the update, so each CASE asks the same question.)
_NEWER = "NEW.deleted_at IS NULL AND NEW.destroyed = 0 AND COALESCE(cur_version, 0) < NEW.version"
_SUMMARIZE_INSERT = f"""
UPDATE keys SET
  version_count = version_count + 1,
  cur_version = CASE WHEN {_NEWER} THEN NEW.version ELSE cur_version END,
  cur_created_at = CASE WHEN {_NEWER} THEN NEW.created_at ELSE cur_created_at END,
  cur_stamp = CASE WHEN {_NEWER} THEN NEW.stamp ELSE cur_stamp END,
  cur_fingerprint = CASE WHEN {_NEWER} THEN NEW.fingerprint ELSE cur_fingerprint END
WHERE env = NEW.env AND namespace = NEW.namespace AND instance = NEW.instance AND key = NEW.key;
"""
# Updates and deletions recompute the key's summary; every column it depends on starts the
# update trigger (the MAC column is left out: re-MACing a row changes nothing here).
_SUMMARY_TRIGGERS = {
    "key_summary_on_insert": "AFTER INSERT ON versions BEGIN" + _SUMMARIZE_INSERT + "END",
    "key_summary_on_update": "AFTER UPDATE OF env, namespace, instance, key, version, created_at, stamp, "
    "fingerprint, deleted_at, destroyed ON versions BEGIN"
    + _RESUMMARIZE.format(row="OLD")
    + _RESUMMARIZE.format(row="NEW")
    + "END",
    "key_summary_on_delete": "AFTER DELETE ON versions BEGIN" + _RESUMMARIZE.format(row="OLD") + "END",
}
_SUMMARY_DDL = (
    *(f"CREATE TRIGGER IF NOT EXISTS {name} {body}" for name, body in _SUMMARY_TRIGGERS.items()),
    # isolation groups repeated fingerprints: an index makes that a walk of the index, not a sort
    "CREATE INDEX IF NOT EXISTS versions_by_fingerprint ON versions (fingerprint) WHERE fingerprint IS NOT NULL",
)
_KEY_SUMMARY_SQL = """
SELECT env, namespace, instance, key, compromised_at, version_count, cur_version, cur_created_at, cur_stamp,
  cur_fingerprint
FROM keys WHERE (?1 IS NULL OR env = ?1) ORDER BY env, namespace, instance, key
"""
# The same rows computed from the versions, for a store whose summary is not filled yet (a
# metadata reader does not write; the next opener with the key adds it) and to check summaries.
# Correlated lookups on the versions primary key: cheaper than grouping all versions first.
_SUMMARY_SQL = """
SELECT k.env, k.namespace, k.instance, k.key, k.compromised_at,
  (SELECT COUNT(*) FROM versions c
   WHERE c.env = k.env AND c.namespace = k.namespace AND c.instance = k.instance AND c.key = k.key),
  v.version, v.created_at, v.stamp, v.fingerprint
FROM keys k
LEFT JOIN versions v ON v.env = k.env AND v.namespace = k.namespace AND v.instance = k.instance AND v.key = k.key
  AND v.version = (SELECT MAX(version) FROM versions l
                   WHERE l.env = k.env AND l.namespace = k.namespace AND l.instance = k.instance AND l.key = k.key
                     AND l.deleted_at IS NULL AND l.destroyed = 0)
WHERE (?1 IS NULL OR k.env = ?1)
ORDER BY k.env, k.namespace, k.instance, k.key
"""

Access = Literal["metadata", "secrets"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse_ts(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None




class EmbeddedStore:
    backend = "embedded"

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        access: Access = "metadata",
        create: bool = False,
        fingerprinter: Callable[[str], str] | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        forbidden_key_root: Path | None = None,
    ) -> None:
        self.name = name
        self.path = path
        self.access = access
        self.stats = StoreStats()
        self._clock = clock
        self._fingerprint = fingerprinter
        self._root: RootKey | None = None
        self._mac_key: bytes | None = None
        self._deks: dict[tuple[str, str], bytes] = {}
        self._conn: sqlite3.Connection | None = None
        self.store_id = ""
        self._create_on_write = create
        self._forbidden_key_root = forbidden_key_root
        self._fp_key_checked = False
        self._pending_audit = 0  # writes this process committed that no audit entry anchors yet
        self._verified: dict[tuple[str, ...], tuple[object, ...]] = {}  # slot -> rows whose MACs were checked
        self._summary_kept = False  # the file keeps a summary row per key (schema note above)
        if _exists(path):
            self._open()
        # else: an absent store reads as empty; the first write creates it when `create`

    # --- opening --------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        check_regular_file(self.path, what="embedded store")
        for suffix in ("-wal", "-shm"):
            check_regular_file(Path(f"{self.path}{suffix}"), what="embedded store's journal")
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(
                f"{self.path}: cannot open the embedded store ({sqlite_reason(exc)})",
                hint="check the path and permissions; `warden store verify` checks a store's integrity",
            ) from None
        return conn

    @_guarded
    def _create(self, forbidden_key_root: Path | None) -> None:
        from secretwarden.crypto import envelope

        if self.access != "secrets":
            raise UsageError("a store is created by a command that writes secrets")
        folder = self.path.parent
        ensure_private_dir(folder)
        _ignore_folder(folder)
        import uuid  # only a new store needs an id (uuid loads `platform`: not on run's path)

        store_id = str(uuid.uuid4())
        root = create_root_key(store_id, forbidden_root=forbidden_key_root)
        tmp = self.path.with_name(f".{self.path.name}.{store_id}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            for statement in _SUMMARY_DDL:
                conn.execute(statement)
            nonce, check = envelope.seal(root.key, _KEY_CHECK, envelope.aad("check", store_id))
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO meta (k, v) VALUES (?, ?)",
                [
                    ("store_id", store_id),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", _ts(self._clock())),
                    ("key_check", nonce + check),
                    (_SUMMARY_META, "1"),
                ],
            )
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        try:
            os.link(tmp, self.path)  # atomic, and never replaces a store made meanwhile
        except FileExistsError:
            pass
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{tmp}{suffix}")

    @_guarded
    def _open(self) -> None:
        if not os.access(self.path, os.R_OK):
            raise PermissionDenied(f"{self.path}: permission denied reading the embedded store")
        with contextlib.suppress(OSError, StoreUnavailable):
            # Tighten a `.warden` an older warden left at 0755; a folder the user chose is theirs.
            ensure_private_dir(self.path.parent, tighten=is_state_dir(self.path.parent))
        self._conn = self._connect()
        try:
            rows = dict(self._conn.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(
                f"{self.path}: not a warden store or damaged ({sqlite_reason(exc)})",
                hint="`warden store verify` checks it; restore the file from a backup",
            ) from None
        if "store_id" not in rows:
            raise StoreUnavailable(f"{self.path}: not a warden store (no store id)")
        self.store_id = str(rows["store_id"])
        self._summary_kept = _SUMMARY_META in rows
        schema = int(rows.get("schema_version", "0"))
        if schema > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.path}: written by a newer warden (schema {rows['schema_version']})",
                hint="upgrade secretwarden",
            )
        if self.access == "secrets":
            from secretwarden.crypto import envelope

            root = find_root_key(self.store_id)
            if root is None:
                raise MasterKeyError(
                    f"no root key for store `{self.name}` ({self.path}, id {self.store_id})"
                )
            blob = bytes(rows["key_check"])
            try:
                envelope.open_sealed(
                    root.key, blob[:12], blob[12:], envelope.aad("check", self.store_id), what="key check"
                )
            except IntegrityError:
                raise MasterKeyError(
                    f"the root key from {root.origin} does not open store `{self.name}` "
                    f"({self.path}, id {self.store_id})"
                ) from None
            self._root = root
            self._mac_key = hkdf(root.key, b"embedded metadata mac " + self.store_id.encode())
            if schema < 2:
                self._migrate_to_macs(self._conn)
            if not self._summary_kept:
                # a read-only or busy file is still read, from the versions (like a metadata reader)
                with contextlib.suppress(StoreUnavailable, sqlite3.OperationalError):
                    self._add_key_summary(self._conn)

    def _add_key_summary(self, conn: sqlite3.Connection) -> None:
        """A store made before key summaries: add the columns, fill them from the versions, add the triggers.

        Not a schema version: the columns and triggers are invisible to an older
        warden, and its writes still keep the summary (the triggers fire for any
        writer). Done by the first opener that may write (a metadata reader
        never writes: it computes the same rows from the versions meanwhile).
        """
        with _transaction(conn):
            if conn.execute("SELECT 1 FROM meta WHERE k = ?", (_SUMMARY_META,)).fetchone() is None:
                cols = {r[1] for r in conn.execute("PRAGMA table_info(keys)")}
                for name, decl in _SUMMARY_COLS:
                    if name not in cols:
                        conn.execute(f"ALTER TABLE keys ADD COLUMN {name} {decl}")
                for statement in _SUMMARY_DDL:  # (not executescript: it would commit the transaction)
                    conn.execute(statement)
                rows = conn.execute(_SUMMARY_SQL, (None,)).fetchall()
                conn.executemany(
                    "UPDATE keys SET version_count = ?, cur_version = ?, cur_created_at = ?, cur_stamp = ?, "
                    f"cur_fingerprint = ? WHERE {_SLOT_WHERE}",
                    [(r[5] or 0, r[6], r[7], r[8], r[9], r[0], r[1], r[2], r[3]) for r in rows],
                )
                conn.execute("INSERT INTO meta (k, v) VALUES (?, '1')", (_SUMMARY_META,))
        self._summary_kept = True

    def _migrate_to_macs(self, conn: sqlite3.Connection) -> None:
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
                self._remac_key(conn, *key_row)
            for v_row in conn.execute("SELECT env, namespace, instance, key, version FROM versions").fetchall():
                self._remac_version(conn, *v_row)
            for (fp,) in conn.execute("SELECT fingerprint FROM denied_fingerprints").fetchall():
                self._remac_denied(conn, fp)
            conn.execute("UPDATE meta SET v = '2' WHERE k = 'schema_version'")

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        self._deks.clear()
        self._root = None
        self._mac_key = None
        self._verified.clear()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddedStore(name={self.name!r}, path={str(self.path)!r}, access={self.access!r})"

    # --- metadata authentication ---------------------------------------------------

    def _mac(self, kind: str, *parts: str | int | None) -> str:
        assert self._mac_key is not None
        return mac_fields(self._mac_key, kind, self.store_id, *parts)

    def _remac_key(self, conn: sqlite3.Connection, env: str, ns: str, inst: str, key: str) -> None:
        where = (env, ns, inst, key)
        row = conn.execute(f"SELECT {_KEY_MAC_COLS} FROM keys WHERE {_SLOT_WHERE}", where).fetchone()
        newest = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM versions WHERE {_SLOT_WHERE}", where).fetchone()[0]
        conn.execute(f"UPDATE keys SET mac = ? WHERE {_SLOT_WHERE}", (self._mac("key", *row, newest), *where))

    def _remac_version(self, conn: sqlite3.Connection, env: str, ns: str, inst: str, key: str, version: int) -> None:
        where = (env, ns, inst, key, version)
        row = conn.execute(f"SELECT {_VERSION_MAC_COLS} FROM versions WHERE {_SLOT_WHERE} AND version=?", where).fetchone()
        conn.execute(f"UPDATE versions SET mac = ? WHERE {_SLOT_WHERE} AND version=?", (self._mac("version", *row), *where))

    def _remac_denied(self, conn: sqlite3.Connection, fingerprint: str) -> None:
        row = conn.execute(f"SELECT {_DENIED_MAC_COLS} FROM denied_fingerprints WHERE fingerprint=?", (fingerprint,)).fetchone()
        conn.execute("UPDATE denied_fingerprints SET mac = ? WHERE fingerprint=?", (self._mac("denied", *row), fingerprint))

    def _tampered(self, what: str) -> IntegrityError:
        return IntegrityError(
            f"store `{self.name}` ({self.path}): {what} fails its authentication check: "
            "the store file was edited outside warden (tampering)",
            hint="treat the store as compromised: restore it from a backup and review the audit log; "
            "`warden store verify --deep` lists every altered row",
        )

    def _checked_key_meta(self, conn: sqlite3.Connection, slot: SlotRef) -> KeyMeta | None:
        """The key's metadata; with the root key, every row's MAC is verified first."""
        self.stats.metadata_reads += 1
        where = (slot.env, slot.namespace, slot.instance or "", slot.key)
        # the key's summary comes in the same row (checked with the versions below)
        summary_cols = f", {_SUMMARY_COL_NAMES}" if self._summary_kept else ""
        found = conn.execute(f"SELECT {_KEY_MAC_COLS}, mac{summary_cols} FROM keys WHERE {_SLOT_WHERE}", where).fetchone()
        if found is None:
            return None
        key_row, summary = found[:_KEY_ROW_LEN], found[_KEY_ROW_LEN:]
        rows = conn.execute(
            f"SELECT {_VERSION_MAC_COLS}, mac FROM versions WHERE {_SLOT_WHERE} ORDER BY version", where
        ).fetchall()
        if self._mac_key is not None:
            # `run` reads a key's metadata and then its value: rows identical to ones
            # verified a moment ago (MAC column included) need no second check.
            seen = (found, tuple(rows))
            if self._verified.get(where) != seen:
                self._verify_rows(slot.label(), key_row, rows)
                if self._summary_kept and summary != _summary_of(rows):
                    raise self._tampered(f"the summary of {slot.label()} (its current version or version count)")
                self._verified[where] = seen
        return KeyMeta(slot, tuple(_version_meta(r[4:12]) for r in rows), _parse_ts(key_row[5]))

    def _verify_rows(self, label: str, key_row: tuple[Any, ...], version_rows: list[tuple[Any, ...]]) -> None:
        newest = version_rows[-1][4] if version_rows else 0
        if not isinstance(key_row[-1], str) or not same(key_row[-1], self._mac("key", *key_row[:-1], newest)):
            raise self._tampered(f"the metadata of {label} (compromise mark or version count)")
        for row in version_rows:
            if not isinstance(row[-1], str) or not same(row[-1], self._mac("version", *row[:-1])):
                raise self._tampered(f"{label} version {row[4]} (its state, time or fingerprint)")

    # --- metadata ------------------------------------------------------------

    def _meta_conn(self) -> sqlite3.Connection | None:
        """The connection, opened late when another process created the file meanwhile."""
        if self._conn is None and _exists(self.path):
            self._open()
        return self._conn

    @_guarded
    def namespaces(self, env: str) -> set[str]:
        conn = self._meta_conn()
        if conn is None:
            return set()
        self.stats.metadata_reads += 1
        rows = conn.execute("SELECT namespace FROM namespaces WHERE env = ?", (env,))
        return {r[0] for r in rows}

    @_guarded
    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        conn = self._meta_conn()
        if conn is None:
            return iter(())
        self.stats.metadata_reads += 1
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
            if self._mac_key is not None:
                self._verify_rows(slot.label(), key_row, rows)
            out.append(KeyMeta(slot=slot, versions=tuple(_version_meta(r[4:12]) for r in rows), compromised_at=_parse_ts(key_row[5])))
        return iter(out)

    @_guarded
    def key_summaries(self, env: str | None = None) -> list[KeySummary]:
        """What reports need of every key of `env` (stores/summary.py), in one query.

        Metadata only, like `list_meta`, and like it unverified (a metadata
        reader holds no MAC key); `run` and `check --verify-values` verify.
        """
        # Reports only: summary.py stays off `warden run`'s path.
        from secretwarden.stores.summary import KeySummary, is_compromised

        conn = self._meta_conn()
        if conn is None:
            return []
        self.stats.metadata_reads += 1
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
            for e, n, i, k, marked, count, version, written, stamp, fp in conn.execute(
                _KEY_SUMMARY_SQL if self._summary_kept else _SUMMARY_SQL, (env,)
            )
        ]

    @_guarded
    def fingerprint_rows(self) -> list[FingerprintRow]:
        conn = self._meta_conn()
        if conn is None:
            return []
        self.stats.metadata_reads += 1
        return conn.execute(
            "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IS NOT NULL"
        ).fetchall()

    @_guarded
    def repeated_fingerprint_rows(self) -> list[FingerprintRow]:
        """`fingerprint_rows` of the fingerprints this store holds twice or more, from one query.

        With the fingerprint index SQLite walks the index in order; most
        fingerprints are unique, so only a few version rows are read.
        """
        conn = self._meta_conn()
        if conn is None:
            return []
        self.stats.metadata_reads += 1
        return conn.execute(
            "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IN "
            "(SELECT fingerprint FROM versions WHERE fingerprint IS NOT NULL GROUP BY fingerprint HAVING COUNT(*) > 1)"
        ).fetchall()

    @_guarded
    def key_meta(self, slot: SlotRef) -> KeyMeta | None:
        conn = self._meta_conn()
        return None if conn is None else self._checked_key_meta(conn, slot)

    @_guarded
    def denied_fingerprints(self) -> set[str]:
        conn = self._meta_conn()
        if conn is None:
            return set()
        return self._denied(conn)

    def _denied(self, conn: sqlite3.Connection) -> set[str]:
        self.stats.metadata_reads += 1
        rows = conn.execute(f"SELECT {_DENIED_MAC_COLS}, mac FROM denied_fingerprints").fetchall()
        if self._mac_key is not None:
            for row in rows:
                if not isinstance(row[-1], str) or not same(row[-1], self._mac("denied", *row[:-1])):
                    raise self._tampered("an entry of the denied fingerprints")
        return {r[0] for r in rows}

    # --- values --------------------------------------------------------------

    def _require_secrets(self, *, write: bool = True) -> sqlite3.Connection:
        if self.access != "secrets":
            raise PermissionDenied(
                f"store `{self.name}` was opened for metadata only; it cannot read or write values"
            )
        if self._conn is None and write and self._create_on_write:
            if not _exists(self.path):
                self._create(self._forbidden_key_root)
            self._open()
        if self._conn is None or self._root is None:
            raise SecretNotFound(
                f"store `{self.name}` does not exist yet ({self.path})",
                hint="`warden set` or `warden bootstrap` creates it",
            )
        return self._conn

    def _meta_value(self, conn: sqlite3.Connection, k: str) -> str | None:
        row = conn.execute("SELECT v FROM meta WHERE k = ?", (k,)).fetchone()
        return None if row is None else str(row[0])

    def _check_fingerprint_key(self, conn: sqlite3.Connection) -> None:
        """Before the first fingerprint of this session: is it the key the store's fingerprints use?"""
        if self._fp_key_checked or self._fingerprint is None:
            return
        recorded = self._meta_value(conn, "fingerprint_key_id")
        if recorded is not None and not same(self._meta_value(conn, "fingerprint_key_mac") or "", self._mac("fpkey", recorded)):
            raise self._tampered("the recorded fingerprint key id")
        has_fps = conn.execute("SELECT 1 FROM versions WHERE fingerprint IS NOT NULL LIMIT 1").fetchone() is not None
        to_record = check_fingerprint_key(self.name, recorded, self._fingerprint, has_fingerprints=has_fps)
        if to_record is not None:
            # A store from before key ids were recorded: prove the key on one of its values first.
            self._prove_legacy_fingerprint_key(conn)
        if recorded is None:
            to_record = to_record or fingerprint_key_id_of(self._fingerprint)
            if to_record is not None:
                with _transaction(conn):
                    conn.executemany(
                        "INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)",
                        [("fingerprint_key_id", to_record), ("fingerprint_key_mac", self._mac("fpkey", to_record))],
                    )
        self._fp_key_checked = True

    def _prove_legacy_fingerprint_key(self, conn: sqlite3.Connection) -> None:
        row = conn.execute(
            "SELECT env, namespace, instance, key, version, fingerprint FROM versions WHERE fingerprint IS NOT NULL "
            "AND destroyed = 0 AND ciphertext IS NOT NULL ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return  # nothing left to prove it on: the key becomes the store's from now on
        env, ns, inst, key, version, fp = row
        value = self._decrypt(conn, SlotRef(env, ns, key, inst or None), version)
        if self.fingerprint(value) != fp:
            origin = getattr(self._fingerprint, "origin", "the fingerprint key")
            raise MasterKeyError(
                f"store `{self.name}`: the fingerprint key from {origin} is not the one its fingerprints were made with",
                hint="restore the project's fingerprint key from a backup; "
                "a new key would let values marked compromised back in",
            )

    def fingerprint(self, value: SecretValue) -> str:
        return keyed_fingerprint(self._fingerprint, value)

    def _dek(self, conn: sqlite3.Connection, env: str, namespace: str, *, create: bool) -> bytes:
        cached = self._deks.get((env, namespace))
        if cached is not None:
            return cached
        from secretwarden.crypto import envelope

        assert self._root is not None
        row = conn.execute(
            "SELECT dek_nonce, wrapped_dek FROM namespaces WHERE env = ? AND namespace = ?",
            (env, namespace),
        ).fetchone()
        wrap_aad = envelope.aad("dek", self.store_id, env, namespace)
        if row is None:
            if not create:
                raise SecretNotFound(f"{env}:{namespace}: namespace not provisioned in store `{self.name}`")
            dek = envelope.new_key()
            nonce, wrapped = envelope.seal(self._root.key, dek, wrap_aad)
            conn.execute(
                "INSERT INTO namespaces (env, namespace, dek_nonce, wrapped_dek, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (env, namespace, nonce, wrapped, _ts(self._clock())),
            )
        else:
            dek = envelope.open_sealed(
                self._root.key, _blob(row[0]), _blob(row[1]), wrap_aad, what=f"data key of {env}:{namespace}"
            )
        self._deks[(env, namespace)] = dek
        return dek

    def _decrypt(self, conn: sqlite3.Connection, slot: SlotRef, version: int) -> SecretValue:
        from secretwarden.crypto import envelope

        row = conn.execute(
            f"SELECT nonce, ciphertext FROM versions WHERE {_SLOT_WHERE} AND version=?",
            (slot.env, slot.namespace, slot.instance or "", slot.key, version),
        ).fetchone()
        if row is None or row[0] is None or row[1] is None:
            raise SecretNotFound(f"{slot.label()} version {version}: no value in store `{self.name}`")
        dek = self._dek(conn, slot.env, slot.namespace, create=False)
        plain = envelope.open_sealed(
            dek, _blob(row[0]), _blob(row[1]), self._value_aad(slot, version), what=f"{slot.label()} v{version}"
        )
        try:
            return SecretValue(plain.decode("utf-8"))
        except UnicodeDecodeError:
            raise IntegrityError(f"{slot.label()} v{version}: the stored value is not UTF-8 text") from None

    @_guarded
    def read(self, slot: SlotRef, version: int | None = None) -> SecretValue:
        conn = self._require_secrets(write=False)
        # The version to read comes from authenticated metadata: an undeleted or
        # hidden row cannot change which value is served.
        meta = self._checked_key_meta(conn, slot)
        chosen = None
        if meta is not None:
            if version is None:
                chosen = meta.current
            else:
                chosen = next((v for v in meta.versions if v.version == version and v.live), None)
        if chosen is None:
            which = f" version {version}" if version is not None else ""
            raise SecretNotFound(f"{slot.label()}{which}: no live value in store `{self.name}`")
        value = self._decrypt(conn, slot, chosen.version)
        self.stats.values_read += 1
        return value

    def _value_aad(self, slot: SlotRef, version: int) -> bytes:
        from secretwarden.crypto import envelope

        return envelope.aad("value", self.store_id, slot.env, slot.namespace, slot.instance, slot.key, version)

    @_guarded
    def ensure_namespace(self, env: str, namespace: str) -> bool:
        conn = self._require_secrets()
        with _transaction(conn):
            existed = conn.execute(
                "SELECT 1 FROM namespaces WHERE env=? AND namespace=?", (env, namespace)
            ).fetchone()
            if existed:
                return False
            self._deks.pop((env, namespace), None)
            self._dek(conn, env, namespace, create=True)
            self._count_write(conn)
            return True

    @_guarded
    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        conn = self._require_secrets()
        self._check_fingerprint_key(conn)
        who = actor or current_user()
        results: list[WriteResult] = []
        with _transaction(conn):
            denied = self._denied(conn)
            for req in requests:
                results.append(self._write_one(conn, req, who, denied))
            self._count_write(conn, len(results))
        self.stats.values_written += len(results)
        return results

    def _write_one(
        self, conn: sqlite3.Connection, req: WriteRequest, actor: str, denied: set[str]
    ) -> WriteResult:
        from secretwarden.crypto import envelope

        slot = req.slot
        meta = self._checked_key_meta(conn, slot)
        newest = meta.newest_version if meta else 0
        if req.cas is not None and req.cas != newest:
            raise ConflictError(
                f"{slot.label()}: expected version {req.cas}, found {newest} (written concurrently)"
            )
        fp = self.fingerprint(req.value)
        refuse_reuse(slot, fp, meta, denied)
        now = self._clock()
        version = newest + 1
        dek = self._dek(conn, slot.env, slot.namespace, create=True)
        nonce, ct = envelope.seal(dek, req.value.reveal().encode("utf-8"), self._value_aad(slot, version))
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
        self._remac_version(conn, slot.env, slot.namespace, inst, slot.key, version)
        self._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
        return WriteResult(slot, version, meta is None)

    def _versions_for(self, conn: sqlite3.Connection, slot: SlotRef, versions: Iterable[int] | None) -> list[int]:
        meta = self._checked_key_meta(conn, slot)
        if meta is None:
            raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
        known = {v.version for v in meta.versions}
        if versions is None:
            cur = meta.current
            return [cur.version] if cur else []
        chosen = list(versions)
        missing = [v for v in chosen if v not in known]
        if missing:
            raise SecretNotFound(f"{slot.label()}: no version(s) {', '.join(map(str, missing))}")
        return chosen

    def _update_versions(self, slot: SlotRef, versions: Iterable[int] | None, sql: str, *args: Any) -> list[int]:
        conn = self._require_secrets()
        inst = slot.instance or ""
        with _transaction(conn):
            chosen = self._versions_for(conn, slot, versions)
            for v in chosen:
                conn.execute(
                    sql + " WHERE env=? AND namespace=? AND instance=? AND key=? AND version=?",
                    (*args, slot.env, slot.namespace, inst, slot.key, v),
                )
                self._remac_version(conn, slot.env, slot.namespace, inst, slot.key, v)
            if chosen:
                self._count_write(conn)
        return chosen

    @_guarded
    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        return self._update_versions(
            slot, versions, "UPDATE versions SET deleted_at = COALESCE(deleted_at, ?)", _ts(self._clock())
        )

    @_guarded
    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        if versions is None:
            meta = self.key_meta(slot)
            deleted = [v.version for v in meta.versions if v.deleted_at and not v.destroyed] if meta else []
            versions = deleted[-1:]
        return self._update_versions(slot, versions, "UPDATE versions SET deleted_at = NULL")

    @_guarded
    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        # The fingerprint stays: a destroyed value still may not come back.
        return self._update_versions(
            slot, versions, "UPDATE versions SET destroyed = 1, nonce = NULL, ciphertext = NULL"
        )

    @_guarded
    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        conn = self._require_secrets()
        inst = slot.instance or ""
        with _transaction(conn):
            meta = self._checked_key_meta(conn, slot)
            if meta is None:
                raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
            conn.execute(
                "UPDATE keys SET compromised_at=?, compromise_reason=? WHERE env=? AND namespace=? "
                "AND instance=? AND key=?",
                (_ts(at), reason, slot.env, slot.namespace, inst, slot.key),
            )
            self._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
            for fp in sorted(meta.fingerprints):
                added = conn.execute(
                    "INSERT OR IGNORE INTO denied_fingerprints (fingerprint, reason, added_at) VALUES (?,?,?)",
                    (fp, f"compromised: {slot.label()}", _ts(at)),
                ).rowcount
                if added:
                    self._remac_denied(conn, fp)
            self._count_write(conn)

    @_guarded
    def clear_compromised(self, slot: SlotRef) -> None:
        conn = self._require_secrets()
        inst = slot.instance or ""
        with _transaction(conn):
            updated = conn.execute(
                "UPDATE keys SET compromised_at=NULL, compromise_reason=NULL WHERE env=? AND "
                "namespace=? AND instance=? AND key=?",
                (slot.env, slot.namespace, inst, slot.key),
            ).rowcount
            if updated:
                self._remac_key(conn, slot.env, slot.namespace, inst, slot.key)
                self._count_write(conn)

    # --- audit anchoring (stores.base.AuditAnchored) ----------------------------------

    def _count_write(self, conn: sqlite3.Connection, n: int = 1) -> None:
        """Inside the write's transaction: this process owes the audit log `n` more entries' worth."""
        k = f"pending_audit:{os.getpid()}"
        row = conn.execute("SELECT v FROM meta WHERE k = ?", (k,)).fetchone()
        conn.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (k, str(int(row[0]) + n if row else n)))
        self._pending_audit += n

    @_guarded
    def audit_anchor(self) -> AuditAnchorState | None:
        conn = self._meta_conn()
        if conn is None:
            return None
        rows = dict(conn.execute("SELECT k, v FROM meta WHERE k = 'audit_anchor' OR k LIKE 'pending_audit:%'").fetchall())
        pending = {int(k.split(":", 1)[1]): int(v) for k, v in rows.items() if k.startswith("pending_audit:")}
        raw = rows.get("audit_anchor")
        if raw is None and not pending:
            return None
        anchor = json.loads(raw) if raw else {}
        return AuditAnchorState(
            str(anchor.get("log", "")), int(anchor.get("seq", 0)), str(anchor.get("hash", "")), pending
        )

    @_guarded
    def anchor_audit(self, log_id: str, seq: int, digest: str) -> None:
        if self._pending_audit == 0 or self._conn is None:
            return  # nothing written by this process since the last anchor: no write needed
        conn = self._conn
        with _transaction(conn):
            conn.execute(
                "INSERT OR REPLACE INTO meta (k, v) VALUES ('audit_anchor', ?)",
                (json.dumps({"log": log_id, "seq": seq, "hash": digest}),),
            )
            conn.execute("DELETE FROM meta WHERE k = ?", (f"pending_audit:{os.getpid()}",))
        self._pending_audit = 0

    @_guarded
    def claim_orphaned_writes(self) -> dict[int, int]:
        conn = self._meta_conn()
        if conn is None or self.access != "secrets":
            return {}
        from secretwarden.paths import pid_alive

        def dead() -> dict[str, int]:
            rows = conn.execute("SELECT k, v FROM meta WHERE k LIKE 'pending_audit:%'").fetchall()
            pids = {str(k): int(str(k).split(":", 1)[1]) for k, _ in rows}
            return {k: int(v) for k, v in rows if pids[k] != os.getpid() and not pid_alive(pids[k])}

        if not dead():  # the usual case: no write transaction at all
            return {}
        found: dict[int, int] = {}
        with _transaction(conn):
            for k, count in dead().items():
                found[int(k.split(":", 1)[1])] = count
                conn.execute("DELETE FROM meta WHERE k = ?", (k,))
        return found

    def shared_journal(self) -> SharedJournal:
        """The project's rotation log and incident register, kept in this file (embedded/journal.py)."""
        from secretwarden.stores.embedded.journal import EmbeddedJournal

        return EmbeddedJournal(self)

    # --- integrity -------------------------------------------------------------

    def verify(self, *, deep: bool = False) -> list[str]:
        """Problems found; `deep` also authenticates metadata and every live ciphertext (needs the key).

        Damage is reported as a problem, never raised: this is the command
        people run when they suspect damage.
        """
        try:
            conn = self._meta_conn()
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
            if self._summary_kept:
                problems += self._summary_problems(conn)
        except sqlite3.DatabaseError as exc:
            return [*problems, f"the store file is damaged ({sqlite_reason(exc)})"]
        if deep:
            try:
                problems += self._verify_deep()
            except WardenError as exc:
                problems.append(str(exc))
            except (sqlite3.DatabaseError, ValueError, TypeError, KeyError, IndexError, UnicodeError) as exc:
                problems.append(f"the store file is damaged ({type(exc).__name__})")
        return problems

    def _summary_problems(self, conn: sqlite3.Connection) -> list[str]:
        """Reports trust the key summaries: each must say what the version rows say, and the
        triggers that keep them must be the ones warden made (no key needed: both are derived)."""
        problems = []
        found = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
        for name, body in _SUMMARY_TRIGGERS.items():
            if found.get(name) != f"CREATE TRIGGER {name} {body}":
                problems.append(f"the trigger `{name}` that keeps key summaries is missing or altered")
        derived = {r[:4]: (r[5] or 0, *r[6:]) for r in conn.execute(_SUMMARY_SQL, (None,))}
        stored = {r[:4]: (r[5], *r[6:]) for r in conn.execute(_KEY_SUMMARY_SQL, (None,))}
        wrong = [k for k, v in stored.items() if derived.get(k) != v]
        if wrong:
            e, n, i, k = wrong[0]
            first = SlotRef(e, n, k, i or None).label()
            problems.append(
                f"{len(wrong)} key summary row(s) disagree with their versions (first: {first}): "
                "edited outside warden (tampering)"
            )
        return problems

    def _verify_deep(self) -> list[str]:
        conn = self._require_secrets(write=False)
        problems: list[str] = []
        keys = conn.execute(f"SELECT {_KEY_MAC_COLS}, mac FROM keys").fetchall()
        for key_row in keys:
            slot = SlotRef(key_row[0], key_row[1], key_row[3], key_row[2] or None)
            try:
                self._checked_key_meta(conn, slot)
            except IntegrityError as exc:
                problems.append(str(exc))
        try:
            self._denied(conn)
        except IntegrityError as exc:
            problems.append(str(exc))
        rows = conn.execute(
            "SELECT env, namespace, instance, key, version FROM versions WHERE destroyed = 0"
        ).fetchall()
        for env, ns, inst, key, version in rows:
            slot = SlotRef(env, ns, key, inst or None)
            try:
                self._decrypt(conn, slot, version)
            except (IntegrityError, SecretNotFound) as exc:
                problems.append(f"{slot.label()} v{version}: {exc}")
        return problems


# --- helpers ----------------------------------------------------------------------


class _transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store busy or read-only ({sqlite_reason(exc)})") from None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self.conn.execute("ROLLBACK")
                raise StoreUnavailable(f"embedded store commit failed ({sqlite_reason(err)})") from None
        else:
            self.conn.execute("ROLLBACK")


def _filters(env: str | None, namespace: str | None) -> tuple[str, tuple[str, ...]]:
    clauses, args = [], []
    if env is not None:
        clauses.append("env = ?")
        args.append(env)
    if namespace is not None:
        clauses.append("namespace = ?")
        args.append(namespace)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", tuple(args)


@functools.lru_cache(maxsize=4096)
def _stamp(text: str) -> ValidationStamp | None:
    """Stamps repeat across thousands of versions (same spec, same verdict): parse each once."""
    return ValidationStamp.from_json(json.loads(text))


def _version_meta(row: tuple[Any, ...]) -> VersionMeta:
    version, created_at, created_by, source, fp, stamp, deleted_at, destroyed = row
    return VersionMeta(
        version=version,
        created_at=dt.datetime.fromisoformat(created_at),
        created_by=created_by,
        source=source,
        fingerprint=fp,
        stamp=_stamp(stamp) if stamp else None,
        deleted_at=_parse_ts(deleted_at),
        destroyed=bool(destroyed),
    )


_SLOT_WHERE = "env=? AND namespace=? AND instance=? AND key=?"
_SUMMARY_COL_NAMES = "version_count, cur_version, cur_created_at, cur_stamp, cur_fingerprint"


def _summary_of(version_rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """What a key's summary columns must hold, from its version rows (`_VERSION_MAC_COLS` order)."""
    live = [r for r in version_rows if r[10] is None and not r[11]]
    if not live:
        return (len(version_rows), None, None, None, None)
    cur = max(live, key=lambda r: int(r[4]))
    return (len(version_rows), cur[4], cur[5], cur[9], cur[8])


def _exists(path: Path) -> bool:
    """Present as anything (a dangling symlink too: opening it is then refused, not skipped).

    A folder warden may not search hides whether the store exists: that is a
    permission problem, never "no store yet" (which would read as empty).
    """
    if os.path.lexists(path):
        return True
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.X_OK):
        raise PermissionDenied(
            f"{folder}: permission denied on the embedded store's folder",
            hint="check the owner and mode of the folder (warden keeps it 0700 for its own user)",
        )
    return False


def _blob(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("a nonce or ciphertext column holds no bytes")
    return value


def _ignore_folder(folder: Path) -> None:
    """Keep the store out of git even when the project's .gitignore forgets it."""
    marker = folder / ".gitignore"
    if not marker.exists():
        with contextlib.suppress(OSError):
            marker.write_text("# created by warden: nothing in this folder belongs in git\n*\n")
