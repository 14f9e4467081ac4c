"""A compromised value copied to other slots: every copy is marked and refused, in every store."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.errors import CompromisedSecret
from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.incident_copies import open_with_copies
from secretwarden.ops.incidents import close_incident, list_incidents
from secretwarden.ops.rotation import rotate
from secretwarden.ops.run import prepare_run
from secretwarden.ops.secrets import set_secret
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue
from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.ops.conftest import Clock

DEV = SlotRef("dev", "api", "API_TOKEN")
STAGING = SlotRef("staging", "api", "API_TOKEN")  # same store as dev
PROD = SlotRef("prod", "api", "API_TOKEN")  # another store


def copied_everywhere(ws: Workspace) -> SecretValue:
    for env in ("dev", "staging", "prod"):
        bootstrap(ws, env, allow_production=env == "prod")
        set_secret(ws, SlotRef(env, "api", "MANUAL"), SecretValue(make_canary()))  # required, never generated
    ws.close()
    leaked = ws.secrets("dev").read(DEV)
    set_secret(ws, STAGING, leaked)
    set_secret(ws, PROD, leaked)
    ws.close()
    return leaked


def test_every_copy_gets_its_own_incident_and_is_refused(ws: Workspace, clock: Clock) -> None:
    copied_everywhere(ws)
    opened = open_with_copies(ws, DEV, "pasted in a public channel")
    ws.close()
    assert opened.incident.slot == DEV and opened.unchecked == []
    assert [c.slot for c in opened.copies] == [PROD, STAGING]
    assert all(opened.incident.id in c.reason for c in opened.copies)
    assert {i.slot for i in list_incidents(ws)} == {DEV, STAGING, PROD}
    for env in ("dev", "staging", "prod"):
        with pytest.raises(CompromisedSecret):
            prepare_run(ws, "api", env, None)
    assert prepare_run(ws, "pay", "staging", None).values  # other keys are untouched

    clock.advance(hours=1)
    rotate(ws, STAGING, generate=True, reason="copy of a leaked token", assume_yes=True)
    staging_incident = next(c for c in opened.copies if c.slot == STAGING)
    close_incident(ws, staging_incident.id, "copied from dev by hand")
    ws.close()
    assert "API_TOKEN" in prepare_run(ws, "api", "staging", None).values
    with pytest.raises(CompromisedSecret):
        prepare_run(ws, "api", "prod", None)


def test_a_copy_of_an_older_value_is_a_copy_too(ws: Workspace, clock: Clock) -> None:
    """Every value the key ever had is denied, so a copy of any of them is compromised."""
    copied_everywhere(ws)
    clock.advance(hours=1)
    rotate(ws, DEV, generate=True, reason="quarterly", assume_yes=True)  # dev moves on, the copies stay
    ws.close()
    opened = open_with_copies(ws, DEV, "old backup leaked")
    assert [c.slot for c in opened.copies] == [PROD, STAGING]


def test_a_dry_run_names_the_copies_and_changes_nothing(ws: Workspace) -> None:
    copied_everywhere(ws)
    opened = open_with_copies(ws, DEV, "drill", dry_run=True)
    assert [c.slot for c in opened.copies] == [PROD, STAGING]
    ws.close()
    assert list_incidents(ws) == []
    assert prepare_run(ws, "api", "staging", None).values


def test_no_copies_no_extra_incidents(ws: Workspace) -> None:
    for env in ("dev", "staging"):
        bootstrap(ws, env)
    ws.close()
    opened = open_with_copies(ws, DEV, "leaked")
    assert opened.copies == [] and [i.slot for i in list_incidents(ws)] == [DEV]


def test_the_command_marks_the_copy_and_run_refuses_it(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    assert run_warden("-c", contract, "bootstrap", "--env", "dev").returncode == 0
    assert run_warden("-c", contract, "bootstrap", "--env", "prod", "--allow-production").returncode == 0
    value = make_canary("copy") + "x" * 8
    for env in ("dev", "prod"):
        assert run_warden("-c", contract, "set", "api/API_TOKEN", "--env", env, input=value).returncode == 0

    opened = run_warden("-c", contract, "incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leaked")
    assert opened.returncode == 0, opened.output
    assert "INC-0002 opened: prod:api/API_TOKEN holds the same value" in opened.stdout
    assert "warden incident close INC-0002" in opened.stdout

    refused = run_warden("-c", contract, "run", "-s", "api", "-e", "prod", "--", "true")
    assert refused.returncode != 0 and "INC-0002" in refused.stderr
    for result in (opened, refused):
        assert value not in result.output

    # Rotated, incident still open: the hint is the close, not another rotation.
    assert run_warden("-c", contract, "rotate", "api/API_TOKEN", "--env", "prod", "--generate", "--yes").returncode == 0
    waiting = run_warden("-c", contract, "run", "-s", "api", "-e", "prod", "--", "true")
    assert waiting.returncode == refused.returncode and "warden incident close" in waiting.stderr
