"""`warden rotation calendar`: an RFC 5545 file an Ops calendar imports, with one event per due key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.cli.test_rotation_cli import seed
from tests.conftest import make_canary, run_warden
from tests.ops.conftest import ROTATION_CONTRACT


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(ROTATION_CONTRACT)
    return contract


def test_calendar_has_an_event_per_due_key_with_owner_and_command(repo: Path, tmp_path: Path) -> None:
    seed(repo, dt.datetime.now(dt.UTC) - dt.timedelta(days=70), "dev")  # API_TOKEN (60d) is overdue
    manual = make_canary("cal")
    assert run_warden("-c", repo, "set", "api/MANUAL", "--env", "dev", input=manual).returncode == 0
    out = tmp_path / "rotation.ics"
    result = run_warden("-c", repo, "rotation", "calendar", "--env", "dev", "--out", out)
    assert result.returncode == 0 and "rotation event" in result.stderr, result.output
    raw = out.read_bytes()
    assert manual.encode() not in raw
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    cal = Calendar.from_ical(raw)
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    overdue = events["OVERDUE: rotate api/API_TOKEN (dev)"]
    assert overdue.decoded("DTSTART") == dt.datetime.now(dt.UTC).date()
    assert "Owner: team-api" in str(overdue["DESCRIPTION"])
    assert "warden rotate api/API_TOKEN --env dev" in str(overdue["DESCRIPTION"])
    due = events["Rotate api/MANUAL (dev)"]
    assert due.decoded("DTSTART") == (dt.datetime.now(dt.UTC) + dt.timedelta(days=180)).date()
    assert any(str(e["SUMMARY"]).startswith("Rotate shop/SHOP_KEY@tenant-a") for e in events.values())
    assert not any("TTL" in name for name in events), "configuration values have no rotation"
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids))


def test_calendar_of_an_empty_store_is_a_valid_empty_calendar(repo: Path) -> None:
    result = run_warden("-c", repo, "rotation", "calendar")
    assert result.returncode == 0, result.output
    assert Calendar.from_ical(result.stdout.encode()).walk("VEVENT") == []
