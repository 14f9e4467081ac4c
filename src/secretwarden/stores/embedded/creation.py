"""Creating an embedded store: a private folder kept out of git, a new root key, and the file
written beside its final name and linked into place (never replacing a store made meanwhile).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from secretwarden.crypto.rootkey import create_root_key
from secretwarden.errors import UsageError
from secretwarden.paths import ensure_private_dir
from secretwarden.stores.embedded import guard_store as _guarded
from secretwarden.stores.embedded.core import (
    _KEY_CHECK,
    _SUMMARY_META,
    SCHEMA_VERSION,
    StoreCore,
    _ts,
)
from secretwarden.stores.embedded.schema import SCHEMA, SUMMARY_DDL


@_guarded
def create_store(store: StoreCore, forbidden_key_root: Path | None) -> None:
    from secretwarden.crypto import envelope

    if store.access != "secrets":
        raise UsageError("a store is created by a command that writes secrets")
    folder = store.path.parent
    ensure_private_dir(folder)
    _ignore_folder(folder)
    import uuid  # only a new store needs an id (uuid loads `platform`: not on run's path)

    store_id = str(uuid.uuid4())
    root = create_root_key(store_id, forbidden_root=forbidden_key_root)
    tmp = store.path.with_name(f".{store.path.name}.{store_id}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.close(fd)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)
        for statement in SUMMARY_DDL:
            conn.execute(statement)
        nonce, check = envelope.seal(root.key, _KEY_CHECK, envelope.aad("check", store_id))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO meta (k, v) VALUES (?, ?)",
            [
                ("store_id", store_id),
                ("schema_version", str(SCHEMA_VERSION)),
                ("created_at", _ts(store._clock())),
                ("key_check", nonce + check),
                (_SUMMARY_META, "1"),
            ],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    try:
        os.link(tmp, store.path)  # atomic, and never replaces a store made meanwhile
    except FileExistsError:
        pass
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{tmp}{suffix}")


def _ignore_folder(folder: Path) -> None:
    """Keep the store out of git even when the project's .gitignore forgets it."""
    marker = folder / ".gitignore"
    if not marker.exists():
        with contextlib.suppress(OSError):
            marker.write_text("# created by warden: nothing in this folder belongs in git\n*\n")

