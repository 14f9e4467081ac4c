"""`rotation status --format json` writes its text directly; it must be exactly what json.dumps writes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from secretwarden.cli.render_rotation import rotation_json, rotation_json_text
from secretwarden.ops.rotation import RotationReport, RotationRow
from secretwarden.slots import SlotRef
from tests.ops.test_reports_golden import T0, populate


def test_the_direct_writer_equals_json_dumps_on_odd_strings() -> None:
    odd = 'team "quoted" \\ — ünïcode \u2028 \x01'
    rows = [
        RotationRow(SlotRef("dev", "ns", "A"), "local", ("a", odd), odd, True, dt.timedelta(days=30), T0,
                    T0 + dt.timedelta(days=30), "ok", 3, 2),
        RotationRow(SlotRef("dev", "ns", "B", "t-1"), "local", (), None, False, None, None, None, "missing", None, 0),
        RotationRow(SlotRef("dev", "ns", "C"), "s", ("c",), None, True, dt.timedelta(hours=36), T0, T0, "overdue", 1, 0),
    ]
    report = RotationReport("proj", T0 + dt.timedelta(hours=7, microseconds=3), dt.timedelta(days=14), rows)
    for days in (0, 14):
        assert rotation_json_text(report, days) == json.dumps(rotation_json(report, days), ensure_ascii=False)


def test_the_direct_writer_equals_json_dumps_on_a_project(tmp_path: Path) -> None:
    from secretwarden.ops.rotation import rotation_status
    from secretwarden.ops.workspace import Workspace

    contract = populate(tmp_path)
    with Workspace.load(contract, command="test", clock=lambda: T0 + dt.timedelta(hours=5)) as ws:
        for report in (rotation_status(ws, include_config=True), rotation_status(ws, ["prod"])):
            assert rotation_json_text(report, 14) == json.dumps(rotation_json(report, 14), ensure_ascii=False)


def test_the_text_written_in_pieces_is_the_whole_text() -> None:
    """More rows than one piece holds: the pieces join with the separators json.dumps writes."""
    import io

    from secretwarden.cli.render_rotation import write_rotation_json

    rows = [
        RotationRow(SlotRef("dev", "ns", f"K{i}"), "local", ("svc",), None, True, dt.timedelta(days=30), T0,
                    T0 + dt.timedelta(days=30), "ok", 2, 1)
        for i in range(2001)
    ]
    for count in (0, 1, 1000, 1001, 2001):
        report = RotationReport("proj", T0, dt.timedelta(days=14), rows[:count])
        out = io.StringIO()  # not a terminal: the compact text, in pieces
        write_rotation_json(report, 14, out)
        assert out.getvalue() == json.dumps(rotation_json(report, 14), ensure_ascii=False) + "\n"


@given(st.floats(min_value=-4e6, max_value=4e6, allow_nan=False))
def test_one_decimal_is_json_dumps_of_the_rounded_days(days: float) -> None:
    assert format(days, ".1f") == json.dumps(round(days, 1))


@given(st.timedeltas(min_value=dt.timedelta(days=-700_000), max_value=dt.timedelta(days=700_000)))
def test_days_left_text_is_json_dumps_of_days_left(left: dt.timedelta) -> None:
    from secretwarden.cli.render_rotation import _days_left

    due = T0 + dt.timedelta(days=1)
    row = RotationRow(SlotRef("dev", "ns", "A"), "local", (), None, True, None, None, due, "ok", 1, 0)
    assert _days_left(row, due - left) == json.dumps(row.days_left(due - left))
