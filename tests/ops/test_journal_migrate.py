"""`warden migrate` carries the rotation log and the incident register to the target store."""

from __future__ import annotations

from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.incidents import list_incidents, open_incident
from secretwarden.ops.journal import INCIDENTS, ROTATION, SharedLog
from secretwarden.ops.rotation import rotate
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SharedStateHolder
from secretwarden.transfer.migrate import migrate
from tests.ops.conftest import Clock

TOKEN = SlotRef("dev", "api", "API_TOKEN")


def target_entries(ws: Workspace, name: str) -> list[dict[str, object]]:
    store = ws.secrets_store("second")
    assert isinstance(store, SharedStateHolder)
    return store.shared_journal().entries(name)


def test_journals_go_along_once_and_stay_verifiable(ws: Workspace, clock: Clock) -> None:
    bootstrap(ws, "dev")
    rotate(ws, TOKEN, generate=True, reason="quarterly", assume_yes=True)
    inc = open_incident(ws, TOKEN, "leak")
    report = migrate(ws, "local", "second", envs=["dev"])
    assert report.ok and report.journal_entries == 2
    [rotation] = target_entries(ws, ROTATION)
    [opened] = target_entries(ws, INCIDENTS)
    assert rotation["reason"] == "quarterly" and opened["id"] == inc.id and opened["store"] == "second"
    assert migrate(ws, "local", "second", envs=["dev"]).journal_entries == 0  # resumed or re-run: nothing twice
    assert not any(SharedLog(ws, INCIDENTS).verify().values())
    assert not any(SharedLog(ws, ROTATION).verify().values())
    # The copy keeps the incident open in the target, where the environment's slots now live.
    open_there = target_entries(ws, INCIDENTS)
    assert [e["id"] for e in open_there] == [inc.id]
    assert inc.id in {i.id for i in list_incidents(ws)}
