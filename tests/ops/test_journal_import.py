"""A checkout's local journals from before are read, then imported into the stores once."""

from __future__ import annotations

from typing import Any

from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.incidents import list_incidents, open_incident
from secretwarden.ops.journal import (
    INCIDENTS,
    ROTATION,
    ChainWriter,
    SharedLog,
    chain_key,
    fold_for,
    legacy_journal,
)
from secretwarden.ops.rotation import rotation_log
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SharedStateHolder


def old_incident(n: int, key: str) -> dict[str, Any]:
    return {"event": "open", "id": f"INC-{n:04d}", "time": f"2026-01-0{n}T00:00:00+00:00", "env": "dev",
            "namespace": "api", "key": key, "instance": None, "store": "local", "reason": "old", "actor": "x"}


def test_local_journals_are_imported_once_even_after_an_interrupted_import(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    legacy = legacy_journal(ws.audit.path, INCIDENTS)
    first, second = legacy.append(old_incident(1, "MANUAL")), legacy.append(old_incident(2, "SHORT_PIN"))
    legacy_journal(ws.audit.path, ROTATION).append(
        {"time": "2026-01-01T00:00:00+00:00", "env": "dev", "namespace": "api", "key": "TTL", "store": "local",
         "version": 1, "reason": "before the stores kept it", "actor": "x", "runbook": [], "incidents": []}
    )
    assert [i.id for i in list_incidents(ws)] == ["INC-0001", "INC-0002"]  # read as a fallback
    assert [r.reason for r in rotation_log(ws)] == ["before the stores kept it"]
    # An import killed after its first entry: the store holds a copy of INC-0001 already.
    store = ws.secrets_store("local")
    assert isinstance(store, SharedStateHolder)
    key = chain_key(ws.contract.project, ws.root)
    assert key is not None
    body = {k: v for k, v in first.items() if k not in ("seq", "prev", "alg", "kid", "hash")}
    body["imported"] = {"from": "incidents.jsonl", "seq": 1, "hash": first["hash"]}
    store.shared_journal().append(INCIDENTS, ChainWriter(lambda _h: body, key, fold_for(INCIDENTS)))
    inc = open_incident(ws, SlotRef("dev", "api", "API_TOKEN"), "new")
    assert inc.id == "INC-0003"
    ids = [e["id"] for e in store.shared_journal().entries(INCIDENTS)]
    assert ids == ["INC-0001", "INC-0002", "INC-0003"]  # INC-0001 not imported twice
    assert second["hash"] == store.shared_journal().entries(INCIDENTS)[1]["imported"]["hash"]
    assert not legacy.path.exists() and legacy.path.with_name("incidents.jsonl.imported").exists()
    assert sorted(i.id for i in list_incidents(ws)) == ["INC-0001", "INC-0002", "INC-0003"]
    assert not any(SharedLog(ws, INCIDENTS).verify().values())
    assert [e["command"] for e in ws.audit.entries()].count("journal-import") == 1
