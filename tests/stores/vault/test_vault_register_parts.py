"""The OpenBao incident register's head past what one path holds (~300 open incidents): its index
moves to parts beside it. Against the real OpenBao server; the "older warden" is the journal
module as the previous release shipped it, read from this repository's git history."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from secretwarden.errors import IntegrityError, StoreError
from secretwarden.ops.journal import INCIDENTS, verify_part
from secretwarden.stores.vault.auth import Connection
from secretwarden.stores.vault.layout import VaultLayout
from secretwarden.stores.vault.store import VaultStore
from tests.stores.journal_support import KEY, incident, writer

pytestmark = pytest.mark.vault

RELEASED = "23ef856"  # the last commit before the head could be in parts
ROOT = Path(__file__).resolve().parents[3]
OPEN = 130  # with 300-character key names, about 43 KB of open incidents: two parts


@pytest.fixture
def store(vault_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[VaultStore, str]]:
    import secrets

    monkeypatch.setenv("JOURNAL_TEST_TOKEN", vault_server.root_token)
    prefix = "r" + secrets.token_hex(6)
    conn = Connection(vault_server.address, auth={"method": "token", "token_env": "JOURNAL_TEST_TOKEN"})
    s = VaultStore("s", VaultLayout(prefix=prefix), conn, access="metadata")
    yield s, prefix
    s.close()


def older_journal_module() -> ModuleType:
    """stores/vault/journal.py as released before heads in parts, loaded under another name."""
    try:
        source = subprocess.run(
            ["git", "show", f"{RELEASED}:src/secretwarden/stores/vault/journal.py"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git history here")
    spec = importlib.util.spec_from_loader("older_vault_journal", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["older_vault_journal"] = module  # dataclass-free, but typing helpers look it up
    exec(compile(source, "older_vault_journal.py", "exec"), module.__dict__)
    return module


def long_incident(n: int) -> dict[str, Any]:
    return {**incident(n), "key": f"K_{n}_" + "X" * 300}


def closing(n: int) -> dict[str, Any]:
    return {**long_incident(n), "event": "close"}


def head_custom(server: Any, prefix: str) -> dict[str, str]:
    data = server.client().adapter.get(f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/head")["data"]
    return dict(data["custom_metadata"] or {})


def test_a_register_past_one_path_keeps_every_open_incident(vault_server: Any, store: tuple[VaultStore, str]) -> None:
    s, prefix = store
    journal = s.shared_journal()
    for n in range(OPEN):
        journal.append(INCIDENTS, writer(long_incident(n)))
    custom = head_custom(vault_server, prefix)
    assert custom["format"] == "2" and custom["parts"] == "2"
    mark = vault_server.audit_mark()
    head = journal.head(INCIDENTS)
    assert len(head.index["open"]) == OPEN and head.seq == OPEN
    reads = [p for _op, p in vault_server.requests_since(mark) if "/_warden/journal/" in p]
    assert len(reads) == 1 + 2  # the head and its two parts
    assert verify_part(journal, INCIDENTS, KEY) == []

    # An older warden reads the head as damaged: its append stops with a message, it never
    # works from an index that lost the incidents.
    older = older_journal_module().VaultJournal(s)
    assert older.head(INCIDENTS).seq == -1
    with pytest.raises(StoreError, match="head of the incidents journal is damaged"):
        older.append(INCIDENTS, writer(long_incident(OPEN + 1)))

    # Closed below one path's size, the head is in the first format again: older wardens read it.
    for n in range(70):
        journal.append(INCIDENTS, writer(closing(n)))
    custom = head_custom(vault_server, prefix)
    assert "format" not in custom and "parts" not in custom
    assert len(journal.head(INCIDENTS).index["open"]) == OPEN - 70
    assert len(older.head(INCIDENTS).index["open"]) == OPEN - 70
    assert verify_part(journal, INCIDENTS, KEY) == []


def test_a_missing_part_or_a_newer_format_is_never_read_as_no_incidents(
    vault_server: Any, store: tuple[VaultStore, str]
) -> None:
    s, prefix = store
    journal = s.shared_journal()
    for n in range(OPEN):
        journal.append(INCIDENTS, writer(long_incident(n)))
    custom = head_custom(vault_server, prefix)
    client = vault_server.client()
    base = f"/v1/secret/metadata/{prefix}/_warden/journal/incidents"
    client.adapter.delete(f"{base}/index/{custom['index']}-1")  # a token wider than warden's policies
    with pytest.raises(IntegrityError, match="damaged"):  # a gate stops (exit 3), never reads "no incidents"
        journal.head(INCIDENTS)
    assert any("head is damaged" in p for p in verify_part(journal, INCIDENTS, KEY))
    with pytest.raises(StoreError, match="damaged"):
        journal.append(INCIDENTS, writer(long_incident(OPEN + 1)))
    client.adapter.post(f"{base}/head", json={"custom_metadata": {**custom, "format": "3"}})
    with pytest.raises(StoreError, match="written by a newer warden") as raised:
        journal.head(INCIDENTS)
    assert raised.value.hint and "upgrade" in raised.value.hint
