"""Every backend keeps the shared journals alike (the conformance suite's `secret_store`, all backends)."""

from __future__ import annotations

from secretwarden.ops.journal import INCIDENTS, ROTATION, verify_part
from secretwarden.stores.base import SecretStore, SharedStateHolder
from secretwarden.verdict import open_incidents
from tests.stores.journal_support import KEY, numbered, writer


def test_every_backend_keeps_chained_journals_with_the_open_incidents_in_the_head(secret_store: SecretStore) -> None:
    assert isinstance(secret_store, SharedStateHolder)
    journal = secret_store.shared_journal()
    assert journal.head(INCIDENTS).seq == 0 and journal.entries(INCIDENTS) == []
    first, second = numbered(journal, "a"), numbered(journal, "b")
    assert (first["id"], second["id"]) == ("INC-0001", "INC-0002")
    assert (first["seq"], second["seq"], second["prev"]) == (1, 2, first["hash"])
    journal.append(INCIDENTS, writer({"event": "close", "id": "INC-0001", "time": "2026-01-03T00:00:00+00:00"}))
    journal.append(ROTATION, writer({"time": "2026-01-04T00:00:00+00:00", "env": "dev", "reason": "q1"}, ROTATION))
    head = journal.head(INCIDENTS)
    assert head.seq == 3 and [inc for _where, inc in open_incidents([head.index]).items()] == ["s/INC-0002"]  # named by its store
    assert [e["seq"] for e in journal.entries(INCIDENTS)] == [1, 2, 3]
    assert [e["reason"] for e in journal.entries(ROTATION)] == ["q1"]  # journals are independent
    assert verify_part(journal, INCIDENTS, KEY) == [] and verify_part(journal, ROTATION, KEY) == []
