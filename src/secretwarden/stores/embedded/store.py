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

Import cost matters here (`warden run` opens this module on its fast path):
only sqlite3 and the AES-GCM primitive.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from secretwarden.crypto import envelope
from secretwarden.crypto.rootkey import RootKey, create_root_key, find_root_key
from secretwarden.errors import (
    ConflictError,
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    SecretNotFound,
    StoreUnavailable,
    UsageError,
)
from secretwarden.identity import current_user
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    KeyMeta,
    SecretValue,
    StoreStats,
    ValidationStamp,
    VersionMeta,
    WriteRequest,
    WriteResult,
    keyed_fingerprint,
    refuse_reuse,
)

SCHEMA_VERSION = 1
_KEY_CHECK = b"secretwarden root key check"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS namespaces (
  env TEXT NOT NULL, namespace TEXT NOT NULL,
  dek_nonce BLOB NOT NULL, wrapped_dek BLOB NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (env, namespace));
CREATE TABLE IF NOT EXISTS keys (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  created_at TEXT NOT NULL, compromised_at TEXT, compromise_reason TEXT,
  PRIMARY KEY (env, namespace, instance, key));
CREATE TABLE IF NOT EXISTS versions (
  env TEXT NOT NULL, namespace TEXT NOT NULL, instance TEXT NOT NULL, key TEXT NOT NULL,
  version INTEGER NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  source TEXT NOT NULL, fingerprint TEXT, stamp TEXT,
  deleted_at TEXT, destroyed INTEGER NOT NULL DEFAULT 0,
  nonce BLOB, ciphertext BLOB,
  PRIMARY KEY (env, namespace, instance, key, version));
CREATE TABLE IF NOT EXISTS denied_fingerprints (
  fingerprint TEXT PRIMARY KEY, reason TEXT NOT NULL, added_at TEXT NOT NULL);
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
        self._deks: dict[tuple[str, str], bytes] = {}
        self._conn: sqlite3.Connection | None = None
        self.store_id = ""
        self._create_on_write = create
        self._forbidden_key_root = forbidden_key_root
        if path.exists():
            self._open()
        # else: an absent store reads as empty; the first write creates it when `create`

    # --- opening --------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(
                f"{self.path}: cannot open the embedded store ({_sqlite_reason(exc)})",
                hint="check the path and permissions; `warden store verify` checks a store's integrity",
            ) from None
        return conn

    def _create(self, forbidden_key_root: Path | None) -> None:
        if self.access != "secrets":
            raise UsageError("a store is created by a command that writes secrets")
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _ignore_folder(folder)
        store_id = str(uuid.uuid4())
        root = create_root_key(store_id, forbidden_root=forbidden_key_root)
        tmp = self.path.with_name(f".{self.path.name}.{store_id}.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
            nonce, check = envelope.seal(root.key, _KEY_CHECK, envelope.aad("check", store_id))
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO meta (k, v) VALUES (?, ?)",
                [
                    ("store_id", store_id),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", _ts(self._clock())),
                    ("key_check", nonce + check),
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

    def _open(self) -> None:
        if not os.access(self.path, os.R_OK):
            raise PermissionDenied(f"{self.path}: permission denied reading the embedded store")
        self._conn = self._connect()
        try:
            rows = dict(self._conn.execute("SELECT k, v FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreUnavailable(
                f"{self.path}: not a warden store or damaged ({_sqlite_reason(exc)})"
            ) from None
        if "store_id" not in rows:
            raise StoreUnavailable(f"{self.path}: not a warden store (no store id)")
        self.store_id = str(rows["store_id"])
        if int(rows.get("schema_version", "0")) > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.path}: written by a newer warden (schema {rows['schema_version']})",
                hint="upgrade secretwarden",
            )
        if self.access == "secrets":
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

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._deks.clear()
        self._root = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"EmbeddedStore(name={self.name!r}, path={str(self.path)!r}, access={self.access!r})"

    # --- metadata ------------------------------------------------------------

    def _meta_conn(self) -> sqlite3.Connection | None:
        """The connection, opened late when another process created the file meanwhile."""
        if self._conn is None and self.path.exists():
            self._open()
        return self._conn

    def namespaces(self, env: str) -> set[str]:
        conn = self._meta_conn()
        if conn is None:
            return set()
        self.stats.metadata_reads += 1
        rows = conn.execute("SELECT namespace FROM namespaces WHERE env = ?", (env,))
        return {r[0] for r in rows}

    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        conn = self._meta_conn()
        if conn is None:
            return iter(())
        self.stats.metadata_reads += 1
        where, args = _filters(env, namespace)
        keys = conn.execute(
            f"SELECT env, namespace, instance, key, compromised_at FROM keys {where} "
            "ORDER BY env, namespace, instance, key",
            args,
        ).fetchall()
        versions: dict[tuple[str, str, str, str], list[VersionMeta]] = {}
        # Note: only metadata columns are selected; ciphertexts are never loaded here.
        for row in conn.execute(
            "SELECT env, namespace, instance, key, version, created_at, created_by, source, "
            f"fingerprint, stamp, deleted_at, destroyed FROM versions {where} "
            "ORDER BY env, namespace, instance, key, version",
            args,
        ):
            versions.setdefault((row[0], row[1], row[2], row[3]), []).append(_version_meta(row[4:]))
        return iter(
            [
                KeyMeta(
                    slot=SlotRef(e, n, k, i or None),
                    versions=tuple(versions.get((e, n, i, k), ())),
                    compromised_at=_parse_ts(c),
                )
                for e, n, i, k, c in keys
            ]
        )

    def key_meta(self, slot: SlotRef) -> KeyMeta | None:
        conn = self._meta_conn()
        return None if conn is None else _key_meta(conn, slot, self.stats)

    def denied_fingerprints(self) -> set[str]:
        conn = self._meta_conn()
        if conn is None:
            return set()
        self.stats.metadata_reads += 1
        return {r[0] for r in conn.execute("SELECT fingerprint FROM denied_fingerprints")}

    # --- values --------------------------------------------------------------

    def _require_secrets(self, *, write: bool = True) -> sqlite3.Connection:
        if self.access != "secrets":
            raise PermissionDenied(
                f"store `{self.name}` was opened for metadata only; it cannot read or write values"
            )
        if self._conn is None and write and self._create_on_write:
            if not self.path.exists():
                self._create(self._forbidden_key_root)
            self._open()
        if self._conn is None or self._root is None:
            raise SecretNotFound(
                f"store `{self.name}` does not exist yet ({self.path})",
                hint="`warden set` or `warden bootstrap` creates it",
            )
        return self._conn

    def fingerprint(self, value: SecretValue) -> str:
        return keyed_fingerprint(self._fingerprint, value)

    def _dek(self, conn: sqlite3.Connection, env: str, namespace: str, *, create: bool) -> bytes:
        cached = self._deks.get((env, namespace))
        if cached is not None:
            return cached
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
                self._root.key, row[0], row[1], wrap_aad, what=f"data key of {env}:{namespace}"
            )
        self._deks[(env, namespace)] = dek
        return dek

    def read(self, slot: SlotRef, version: int | None = None) -> SecretValue:
        conn = self._require_secrets(write=False)
        inst = slot.instance or ""
        base = (slot.env, slot.namespace, inst, slot.key)
        if version is None:
            row = conn.execute(
                "SELECT version, nonce, ciphertext FROM versions WHERE env=? AND namespace=? AND "
                "instance=? AND key=? AND deleted_at IS NULL AND destroyed=0 "
                "ORDER BY version DESC LIMIT 1",
                base,
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT version, nonce, ciphertext FROM versions WHERE env=? AND namespace=? AND "
                "instance=? AND key=? AND version=? AND deleted_at IS NULL AND destroyed=0",
                (*base, version),
            ).fetchone()
        if row is None:
            which = f" version {version}" if version is not None else ""
            raise SecretNotFound(f"{slot.label()}{which}: no live value in store `{self.name}`")
        dek = self._dek(conn, slot.env, slot.namespace, create=False)
        plain = envelope.open_sealed(
            dek, row[1], row[2], self._value_aad(slot, row[0]), what=f"{slot.label()} v{row[0]}"
        )
        self.stats.values_read += 1
        return SecretValue(plain.decode("utf-8"))

    def _value_aad(self, slot: SlotRef, version: int) -> bytes:
        return envelope.aad("value", self.store_id, slot.env, slot.namespace, slot.instance, slot.key, version)

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
            return True

    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        conn = self._require_secrets()
        who = actor or current_user()
        results: list[WriteResult] = []
        with _transaction(conn):
            denied = {r[0] for r in conn.execute("SELECT fingerprint FROM denied_fingerprints")}
            for req in requests:
                results.append(self._write_one(conn, req, who, denied))
        self.stats.values_written += len(results)
        return results

    def _write_one(
        self, conn: sqlite3.Connection, req: WriteRequest, actor: str, denied: set[str]
    ) -> WriteResult:
        slot = req.slot
        meta = _key_meta(conn, slot, self.stats)
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
        return WriteResult(slot, version, meta is None)

    def _versions_for(self, conn: sqlite3.Connection, slot: SlotRef, versions: Iterable[int] | None) -> list[int]:
        meta = _key_meta(conn, slot, self.stats)
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
        with _transaction(conn):
            chosen = self._versions_for(conn, slot, versions)
            for v in chosen:
                conn.execute(
                    sql + " WHERE env=? AND namespace=? AND instance=? AND key=? AND version=?",
                    (*args, slot.env, slot.namespace, slot.instance or "", slot.key, v),
                )
        return chosen

    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        return self._update_versions(
            slot, versions, "UPDATE versions SET deleted_at = COALESCE(deleted_at, ?)", _ts(self._clock())
        )

    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        if versions is None:
            meta = self.key_meta(slot)
            deleted = [v.version for v in meta.versions if v.deleted_at and not v.destroyed] if meta else []
            versions = deleted[-1:]
        return self._update_versions(slot, versions, "UPDATE versions SET deleted_at = NULL")

    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        # The fingerprint stays: a destroyed value still may not come back.
        return self._update_versions(
            slot, versions, "UPDATE versions SET destroyed = 1, nonce = NULL, ciphertext = NULL"
        )

    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        conn = self._require_secrets()
        with _transaction(conn):
            meta = _key_meta(conn, slot, self.stats)
            if meta is None:
                raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
            conn.execute(
                "UPDATE keys SET compromised_at=?, compromise_reason=? WHERE env=? AND namespace=? "
                "AND instance=? AND key=?",
                (_ts(at), reason, slot.env, slot.namespace, slot.instance or "", slot.key),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO denied_fingerprints (fingerprint, reason, added_at) VALUES (?,?,?)",
                [(fp, f"compromised: {slot.label()}", _ts(at)) for fp in meta.fingerprints],
            )

    def clear_compromised(self, slot: SlotRef) -> None:
        conn = self._require_secrets()
        with _transaction(conn):
            conn.execute(
                "UPDATE keys SET compromised_at=NULL, compromise_reason=NULL WHERE env=? AND "
                "namespace=? AND instance=? AND key=?",
                (slot.env, slot.namespace, slot.instance or "", slot.key),
            )

    # --- integrity -------------------------------------------------------------

    def verify(self, *, deep: bool = False) -> list[str]:
        """Problems found; `deep` also authenticates every live ciphertext (needs the key)."""
        if self._conn is None:
            return []
        problems = [r[0] for r in self._conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        orphans = self._conn.execute(
            "SELECT COUNT(*) FROM versions v LEFT JOIN keys k USING (env, namespace, instance, key) "
            "WHERE k.key IS NULL"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} version row(s) without a key row")
        if deep:
            conn = self._require_secrets(write=False)
            rows = conn.execute(
                "SELECT env, namespace, instance, key, version, nonce, ciphertext FROM versions "
                "WHERE destroyed = 0"
            ).fetchall()
            for env, ns, inst, key, version, nonce, ct in rows:
                slot = SlotRef(env, ns, key, inst or None)
                try:
                    dek = self._dek(conn, env, ns, create=False)
                    envelope.open_sealed(dek, nonce, ct, self._value_aad(slot, version), what=slot.label())
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
            raise StoreUnavailable(f"embedded store busy or read-only ({_sqlite_reason(exc)})") from None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self.conn.execute("ROLLBACK")
                raise StoreUnavailable(f"embedded store commit failed ({_sqlite_reason(err)})") from None
        else:
            self.conn.execute("ROLLBACK")


def _sqlite_reason(exc: Exception) -> str:
    # sqlite messages name the problem ("database is locked", "disk I/O error"), never bound values.
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


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


def _key_meta(conn: sqlite3.Connection, slot: SlotRef, stats: StoreStats) -> KeyMeta | None:
    stats.metadata_reads += 1
    base = (slot.env, slot.namespace, slot.instance or "", slot.key)
    row = conn.execute(
        "SELECT compromised_at FROM keys WHERE env=? AND namespace=? AND instance=? AND key=?", base
    ).fetchone()
    if row is None:
        return None
    versions = conn.execute(
        "SELECT version, created_at, created_by, source, fingerprint, stamp, deleted_at, destroyed "
        "FROM versions WHERE env=? AND namespace=? AND instance=? AND key=? ORDER BY version",
        base,
    ).fetchall()
    return KeyMeta(slot, tuple(_version_meta(v) for v in versions), _parse_ts(row[0]))


def _ignore_folder(folder: Path) -> None:
    """Keep the store out of git even when the project's .gitignore forgets it."""
    marker = folder / ".gitignore"
    if not marker.exists():
        with contextlib.suppress(OSError):
            marker.write_text("# created by warden: nothing in this folder belongs in git\n*\n")
