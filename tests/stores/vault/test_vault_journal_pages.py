"""Sealed pages of the Vault journals, against the real OpenBao server: a whole journal is read
with one request per page of entries, and a page is believed only where it agrees with the
entries' own paths (a killed sealer, a damaged page, a forged page change nothing read)."""

from __future__ import annotations

import base64
import json
import secrets
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from secretwarden.ops.journal import INCIDENTS, verify_part
from secretwarden.stores.base import JOURNAL_GENESIS
from secretwarden.stores.vault.journal import PAGE
from secretwarden.stores.vault.store import VaultStore
from tests.stores.journal_support import KEY, incident, numbered, writer
from tests.stores.vault.vault_journal_support import journal_requests, open_store

pytestmark = pytest.mark.vault


@pytest.fixture
def prefix(vault_server: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JOURNAL_TEST_TOKEN", vault_server.root_token)
    return "p" + secrets.token_hex(6)


@pytest.fixture
def store(vault_server: Any, prefix: str) -> Iterator[VaultStore]:
    s = open_store(vault_server, prefix)
    yield s
    s.close()


def entries_path(prefix: str) -> str:
    return f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/e"


def fill(store: VaultStore, count: int) -> None:
    journal = store.shared_journal()
    for _ in range(count):
        numbered(journal, "a")


def reads(server: Any, mark: int, prefix: str) -> list[tuple[str, str]]:
    return journal_requests(server, mark, prefix)


def test_a_journal_is_read_one_request_per_page(vault_server: Any, store: VaultStore, prefix: str) -> None:
    fill(store, 2 * PAGE + 6)
    keys = vault_server.client().adapter.request("LIST", entries_path(prefix) + "/")["data"]["keys"]
    assert sorted(k for k in keys if k.startswith("p")) == [f"p{1:010d}", f"p{PAGE + 1:010d}"]
    other = open_store(vault_server, prefix).shared_journal()  # another machine
    mark = vault_server.audit_mark()
    entries = other.entries(INCIDENTS)
    done = reads(vault_server, mark, prefix)
    assert [e["seq"] for e in entries] == list(range(1, 2 * PAGE + 7))
    assert entries == other._entries_one_by_one(INCIDENTS)  # the pages hold exactly the entries
    assert len(done) == 1 + 2 + 6  # one list, two pages, the six entries after the last page
    assert verify_part(other, INCIDENTS, KEY) == []


def test_a_journal_ending_on_a_page_reads_its_last_entry_too(vault_server: Any, store: VaultStore, prefix: str) -> None:
    fill(store, PAGE)
    mark = vault_server.audit_mark()
    entries = store.shared_journal().entries(INCIDENTS)
    assert len(entries) == PAGE and len(reads(vault_server, mark, prefix)) == 1 + 1 + 1


def test_a_page_no_writer_sealed_is_read_entry_by_entry_and_sealed_by_the_next(
    vault_server: Any, store: VaultStore, prefix: str
) -> None:
    fill(store, PAGE + 3)
    client = vault_server.client()
    client.adapter.delete(f"{entries_path(prefix)}/p{1:010d}")  # as if its sealer was killed
    journal = store.shared_journal()
    mark = vault_server.audit_mark()
    assert [e["seq"] for e in journal.entries(INCIDENTS)] == list(range(1, PAGE + 4))
    assert len(reads(vault_server, mark, prefix)) == 1 + PAGE + 3
    fill(store, PAGE - 3)  # the writer that completes page 2 seals every complete page missing
    mark = vault_server.audit_mark()
    assert len(journal.entries(INCIDENTS)) == 2 * PAGE and len(reads(vault_server, mark, prefix)) == 1 + 2 + 1
    assert verify_part(journal, INCIDENTS, KEY) == []


def forged_page(count: int) -> dict[str, str]:
    """A page of entries chained and keyed like real ones, but saying something else."""
    out, prev = [], JOURNAL_GENESIS
    for n in range(1, count + 1):
        body = {**incident(n, "forged"), "reason": "nothing to see"}
        record = writer(body).seal(body, n, prev)
        out.append(record)
        prev = record["hash"]
    packed = base64.b64encode(zlib.compress(json.dumps(out).encode())).decode()
    return {f"c{i:02d}": packed[i * 500 : (i + 1) * 500] for i in range((len(packed) + 499) // 500)}


@pytest.mark.parametrize("kind", ["forged", "damaged"])
def test_a_page_that_disagrees_with_the_entries_is_not_believed(
    vault_server: Any, store: VaultStore, prefix: str, kind: str
) -> None:
    fill(store, PAGE + 2)
    client = vault_server.client()
    path = f"{entries_path(prefix)}/p{1:010d}"
    client.adapter.delete(path)
    custom = forged_page(PAGE) if kind == "forged" else {"c00": "not a page"}
    client.adapter.post(path, json={"custom_metadata": custom, "metadata_cas": 0})
    journal = store.shared_journal()
    entries = journal.entries(INCIDENTS)
    assert entries == journal._entries_one_by_one(INCIDENTS)
    assert not any(e.get("reason") == "nothing to see" for e in entries)
    assert verify_part(journal, INCIDENTS, KEY) == []


def test_pages_never_touch_a_value_path(vault_server: Any, store: VaultStore, prefix: str) -> None:
    mark = vault_server.audit_mark()
    fill(store, PAGE)
    store.shared_journal().entries(INCIDENTS)
    assert not [p for _op, p in vault_server.requests_since(mark) if p.startswith(f"secret/data/{prefix}")]
    assert verify_part(store.shared_journal(), INCIDENTS, KEY) == []
    assert store.shared_journal().append(INCIDENTS, writer(incident(99)))["seq"] == PAGE + 1
