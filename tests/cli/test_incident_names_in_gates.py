"""`run` and `check` refusals, `status` and `rotation status` name an open incident as
`<store>/<id>`: the store that holds it, which the gate knows from the one register head it
reads. Two stores may hold one id (docs/team.md); the qualified name is unique without asking
the other store, and `incident close` takes it. Real stores: embedded files, and the fixtures'
OpenBao for the two-store case."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.workspace import Workspace
from tests.conftest import Recorder, make_canary
from tests.ops.conftest import ROTATION_CONTRACT, Clock
from tests.ops.test_journal_incident_ids import (
    laptop,  # noqa: F401  (the fixture: OpenBao + embedded)
    take_one_id_in_both_stores,
)


def test_every_gate_names_the_incident_by_its_store(tmp_path: Path) -> None:
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(ROTATION_CONTRACT)
    with Workspace.load(contract, clock=Clock(dt.datetime.now(dt.UTC))) as ws:
        bootstrap(ws, "dev", allow_production=True)
    w = Recorder("-c", contract)
    canary = make_canary()
    assert w("set", "api/MANUAL", "--env", "dev", input=canary).returncode == 0
    opened = w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "seen in a CI log")
    assert opened.returncode == 0 and "INC-0001 opened" in opened.stdout

    refused = w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert refused.returncode == 1 and "(incident local/INC-0001)" in refused.stderr, refused.output
    checked = w("check", "--service", "api", "--env", "dev")
    assert checked.returncode == 1 and "(incident local/INC-0001)" in checked.stderr, checked.output
    table = w("rotation", "status", "--env", "dev")
    assert "compromised (incident local/INC-0001)" in table.stdout, table.output
    rows = json.loads(w("rotation", "status", "--env", "dev", "--format", "json").stdout)["keys"]
    assert {r["key"]: r["incident"] for r in rows if r["incident"]} == {"API_TOKEN": "local/INC-0001"}

    # Rotated, the incident still open: the refusal and the rotate hint carry the same name.
    rotated = w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")
    assert rotated.returncode == 0 and "warden incident close local/INC-0001" in rotated.stdout, rotated.output
    refused = w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert refused.returncode == 1 and "incident local/INC-0001 is not closed" in refused.stderr, refused.output
    # The name a gate shows is one `incident close` takes.
    closed = w("incident", "close", "local/INC-0001", "--root-cause", "CI echo masked")
    assert closed.returncode == 0, closed.output
    assert w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass").returncode == 0
    w.assert_never_shown(canary)


@pytest.mark.vault
def test_two_stores_holding_one_id_are_told_apart_by_every_gate(laptop: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    repo, env = laptop
    w = Recorder(cwd=repo, env=env)
    canary = make_canary()
    # dev opens INC-0001 while another machine takes number 1 in prod (no mark: the register alone gates)
    assert take_one_id_in_both_stores(w, repo, canary).returncode == 0

    run_dev = w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert run_dev.returncode == 1 and "(incident bao/INC-0001)" in run_dev.stderr, run_dev.output
    check_prod = w("check", "--service", "api", "--env", "prod")
    assert check_prod.returncode == 1 and "local/INC-0001" in check_prod.stderr, check_prod.output
    assert "bao/INC-0001" not in check_prod.stderr  # only prod's store was asked
    rows = json.loads(w("rotation", "status", "--format", "json").stdout)["keys"]
    assert sorted(r["incident"] for r in rows if r["incident"]) == ["bao/INC-0001", "local/INC-0001"]
    w.assert_never_shown(canary)
