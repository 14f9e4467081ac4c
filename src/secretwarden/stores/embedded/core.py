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

Layout: this module (`StoreCore`) opens the file, authenticates metadata,
reads values and anchors the audit log: all `warden run` loads. store.py's
`EmbeddedStore` extends it with the rest, each method importing its module
when first called: schema.py (tables, summary triggers and queries),
creation.py, migrations.py (upgrades of older stores), listing.py
(`list_meta`, key summaries, fingerprints), writes.py (versions, namespaces,
deletes, compromise marks) and integrity.py (`verify`). Those modules take a
`StoreCore` and import only this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from secretwarden import json_codec
from secretwarden.crypto.derive import hkdf, mac_fields, same
from secretwarden.crypto.rootkey import RootKey, find_root_key
from secretwarden.errors import (
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    SecretNotFound,
    StoreUnavailable,
)
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
    keyed_fingerprint,
)
from secretwarden.stores.embedded import guard_store as _guarded
from secretwarden.stores.embedded import sqlite_reason

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any, Literal, Self

    Access = Literal["metadata", "secrets"]

SCHEMA_VERSION = 2  # 2: MACs over the metadata that gates access
_KEY_CHECK = b"secretwarden root key check"

# Columns each MAC covers, in order (the slot columns first).
_KEY_MAC_COLS = "env, namespace, instance, key, created_at, compromised_at, compromise_reason"
_VERSION_MAC_COLS = (
    "env, namespace, instance, key, version, created_at, created_by, source, fingerprint, stamp, deleted_at, destroyed"
)
_DENIED_MAC_COLS = "fingerprint, reason, added_at"
_KEY_ROW_LEN = len(_KEY_MAC_COLS.split(",")) + 1  # with the MAC

_SUMMARY_META = "key_summary"  # meta row present once every key's summary is filled and kept


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse_ts(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None




class StoreCore:
    """What `warden run` and the reports use: opening, authenticated metadata, value reads and
    audit anchoring. `store.EmbeddedStore` adds the rest (listing, writes, creation, upgrades,
    `verify`), each from the module that holds it; the hooks below are where this class needs one."""

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

    # hooks into the parts that `run` never needs (store.EmbeddedStore implements them)

    def _create_file(self) -> None:
        """Create the store's file (creation.py): the first write into a store that does not exist."""
        raise NotImplementedError

    def _migrate_to_macs(self, conn: sqlite3.Connection) -> None:
        """Upgrade a schema 1 file to MAC'd metadata (migrations.py)."""
        raise NotImplementedError

    def _add_key_summary(self, conn: sqlite3.Connection) -> None:
        """Add the per-key summary rows to a file an older warden wrote (migrations.py)."""
        raise NotImplementedError

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        self._deks.clear()
        self._root = None
        self._mac_key = None
        self._verified.clear()

    def __enter__(self) -> Self:
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
                self._create_file()
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
        anchor = json_codec.loads(raw) if raw else {}
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
                (json_codec.dumps({"log": log_id, "seq": seq, "hash": digest}),),
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



# --- helpers ----------------------------------------------------------------------


class _transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(
                f"embedded store busy or read-only ({sqlite_reason(exc)})",
                hint="another process (a warden command or an sqlite3 session) holds the store's write lock, "
                "or its folder is read-only: retry when it has finished",
            ) from None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self.conn.execute("ROLLBACK")
                raise StoreUnavailable(f"embedded store commit failed ({sqlite_reason(err)})") from None
        else:
            self.conn.execute("ROLLBACK")




@functools.lru_cache(maxsize=4096)
def _stamp(text: str) -> ValidationStamp | None:
    """Stamps repeat across thousands of versions (same spec, same verdict): parse each once."""
    return ValidationStamp.from_json(json_codec.loads(text))


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


