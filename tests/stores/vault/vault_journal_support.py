"""The OpenBao side of the shared-journal tests: a store as one machine opens it on the fixtures'
server, and the journal requests the server's audit log saw."""

from __future__ import annotations

from typing import Any

from secretwarden.stores.vault.auth import Connection
from secretwarden.stores.vault.layout import VaultLayout
from secretwarden.stores.vault.store import VaultStore


def open_store(server: Any, prefix: str) -> VaultStore:
    """A store as one machine opens it: its own client and connection pool."""
    conn = Connection(server.address, auth={"method": "token", "token_env": "JOURNAL_TEST_TOKEN"})
    return VaultStore("s", VaultLayout(prefix=prefix), conn, access="metadata")


def journal_requests(server: Any, mark: int, prefix: str) -> list[tuple[str, str]]:
    return [(op, p) for op, p in server.requests_since(mark) if p.startswith(f"secret/metadata/{prefix}/_warden/journal")]
