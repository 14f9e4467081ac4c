"""Rotation status from metadata with an injectable clock, and `rotate()`."""

from __future__ import annotations

import datetime as dt

import pytest

from secretwarden.errors import PermissionDenied, ReuseRefused, UsageError, ValidationFailed
from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.journal import rotation_journal
from secretwarden.ops.rotation import (
    RotationRow,
    rotate,
    rotation_log,
    rotation_state,
    rotation_status,
)
from secretwarden.ops.secrets import set_secret
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue
from tests.conftest import make_canary
from tests.ops.conftest import T0, Clock, values_read

TOKEN = SlotRef("dev", "api", "API_TOKEN")
MANUAL = SlotRef("dev", "api", "MANUAL")


def rows(ws: Workspace, env: str = "dev", **kw: object) -> dict[SlotRef, RotationRow]:
    return {r.slot: r for r in rotation_status(ws, [env], **kw).rows}  # type: ignore[arg-type]


def test_due_and_overdue_transitions(ws: Workspace, clock: Clock) -> None:
    bootstrap(ws, "dev")
    ws.close()
    assert rows(ws)[TOKEN].state == "never-rotated"  # first value, 60 days to go
    clock.advance(days=45)
    assert rows(ws)[TOKEN].state == "never-rotated"  # 15 days left, outside the 14-day window
    assert rows(ws, due_within=dt.timedelta(days=20))[TOKEN].state == "due"
    clock.advance(days=2)
    row = rows(ws)[TOKEN]
    assert row.state == "due" and row.due_at == row.last_rotated + dt.timedelta(days=60)  # type: ignore[operator]
    clock.advance(days=14)
    report = rotation_status(ws, ["dev"])
    assert {r.slot: r.state for r in report.rows}[TOKEN] == "overdue"
    assert not report.ok and TOKEN in {r.slot for r in report.failing}
    rotate(ws, TOKEN, generate=True, reason="quarterly")
    ws.close()
    row = rows(ws)[TOKEN]
    assert row.state == "ok" and row.rotations == 1 and row.version == 2


def test_cadence_comes_from_key_namespace_env_or_project(ws: Workspace, clock: Clock) -> None:
    bootstrap(ws, "dev")
    bootstrap(ws, "prod", allow_production=True)
    ws.close()
    dev = rows(ws)
    assert dev[TOKEN].cadence == dt.timedelta(days=60)  # the key's own
    assert dev[SlotRef("dev", "pay", "PAY_KEY")].cadence == dt.timedelta(days=90)  # its namespace
    assert dev[SlotRef("dev", "shop", "SHOP_KEY", "tenant-a")].cadence == dt.timedelta(days=180)  # project
    prod = rows(ws, "prod")
    assert prod[SlotRef("prod", "shop", "SHOP_KEY", "tenant-b")].cadence == dt.timedelta(days=30)  # env
    assert prod[SlotRef("prod", "pay", "PAY_KEY")].cadence == dt.timedelta(days=90)  # namespace beats env


def test_missing_compromised_and_config_values(ws: Workspace, clock: Clock) -> None:
    bootstrap(ws, "dev")
    ws.close()
    found = rows(ws)
    assert found[MANUAL].state == "missing"  # no generate rule: bootstrap left it
    assert SlotRef("dev", "api", "TTL") not in found  # sensitive: false
    assert SlotRef("dev", "api", "TTL") in rows(ws, include_config=True)
    ws.secrets("dev").mark_compromised(TOKEN, clock(), "test")
    ws.close()
    report = rotation_status(ws, ["dev"])
    assert {r.slot: r.state for r in report.rows}[TOKEN] == "compromised"
    assert not report.ok


def test_state_without_cadence() -> None:
    assert rotation_state(None, None, T0, dt.timedelta(days=1)) == ("missing", None)


def test_status_reads_no_value(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    ws.close()
    rotation_status(ws)
    assert values_read(ws) == 0
    assert not ws._secrets  # only metadata readers were opened
    with pytest.raises(PermissionDenied):
        ws._meta["local"].read(TOKEN)  # type: ignore[attr-defined]


def test_rotate_logs_runbook_confirmations(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    asked: list[str] = []

    def confirm(step: str) -> bool:
        asked.append(step)
        return True

    result = rotate(ws, TOKEN, generate=True, reason="scheduled", confirm=confirm)
    assert result.version == 2 and result.previous_version == 1
    assert asked == ["Revoke the old token at the provider"]  # the info step is not asked
    assert [c.confirmed for c in result.runbook] == [True, None]
    [entry] = rotation_log(ws)
    assert entry.slot == TOKEN and entry.owner == "team-api" and entry.reason == "scheduled"
    assert "runbook 1/1 steps confirmed" in entry.notes
    assert ws.secrets("dev").key_meta(TOKEN).current.source == "rotate"  # type: ignore[union-attr]
    assert not any(rotation_journal(ws).verify().values())


def test_rotate_without_confirmation_records_it(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    result = rotate(ws, TOKEN, generate=True)
    assert result.unconfirmed == ["Revoke the old token at the provider"]
    assert "runbook 0/1 steps confirmed" in rotation_log(ws)[0].notes


def test_rotate_refuses_an_earlier_value(ws: Workspace) -> None:
    first, second = make_canary("first") + "x" * 10, make_canary("second") + "y" * 10
    set_secret(ws, MANUAL, SecretValue(first))
    rotate(ws, MANUAL, value=SecretValue(second), reason="routine")
    with pytest.raises(ReuseRefused) as err:
        rotate(ws, MANUAL, value=SecretValue(first))
    assert first not in str(err.value) and first not in repr(err.value)
    assert len(rotation_log(ws)) == 1  # the refused rotation is not logged as done
    refused = [e for e in ws.audit.entries() if e.get("command") == "rotate" and e["outcome"] == "refused"]
    assert refused and refused[0]["reason"] == "ReuseRefused"


def test_rotate_dry_run_changes_nothing(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    result = rotate(ws, TOKEN, generate=True, dry_run=True)
    assert result.version is None and result.dry_run
    ws.close()
    assert ws.metadata("dev").key_meta(TOKEN).newest_version == 1  # type: ignore[union-attr]
    assert rotation_log(ws) == []


def test_rotate_needs_a_rule_or_a_valid_value(ws: Workspace) -> None:
    with pytest.raises(UsageError):
        rotate(ws, MANUAL, generate=True)
    with pytest.raises(ValidationFailed):
        rotate(ws, MANUAL, value=SecretValue("short"))
    with pytest.raises(UsageError):
        rotate(ws, MANUAL)
