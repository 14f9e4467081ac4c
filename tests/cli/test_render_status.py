"""`status --format json` writes its text directly; it must be exactly what json.dumps writes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secretwarden.cli.render_status import status_json, status_json_text
from secretwarden.ops.status import EnvStatus, GapReport, KeyStatus, ServiceStatus
from secretwarden.slots import SlotRef
from tests.ops.test_reports_golden import T0, populate


def _odd_report() -> GapReport:
    """Strings json must escape (quotes, backslashes, control and non-ASCII characters), every None."""
    odd = 'owner "quoted" \\ back\tslash — ünïcode \u2028 \x01'
    keys = [
        KeyStatus("A", SlotRef("dev", "ns", "A"), True, "present", (), 1, T0, odd, None),
        KeyStatus("B", SlotRef("dev", "ns", "B", "t-1"), False, "invalid", ("too \"short\"", odd), 12, None, None,
                  "other/B", "reads deprecated namespace `ns`"),
        KeyStatus("C", SlotRef("dev", "ns", "C"), True, "missing"),
    ]
    services = [ServiceStatus("svc", "dev", None, keys[:1]), ServiceStatus("svc", "dev", "t-1", keys[1:]),
                ServiceStatus("empty", "dev", None, [])]
    env = EnvStatus("dev", "local", ["ns", odd], ["ns"], services, [SlotRef("dev", "x", "Y")], {"ns": ["svc"]})
    return GapReport("proj", T0 + dt.timedelta(microseconds=5), [env, EnvStatus("prod", "p", [], [], [], [])])


def test_the_direct_writer_equals_json_dumps_on_odd_strings() -> None:
    report = _odd_report()
    assert status_json_text(report) == json.dumps(status_json(report), ensure_ascii=False)


def test_the_direct_writer_equals_json_dumps_on_a_project(tmp_path: Path) -> None:
    from secretwarden.ops.status import gap_report
    from secretwarden.ops.workspace import Workspace

    contract = populate(tmp_path)
    with Workspace.load(contract, command="test", clock=lambda: T0) as ws:
        for report in (gap_report(ws), gap_report(ws, ["prod"]), gap_report(ws, ["dev"], service="api")):
            assert status_json_text(report) == json.dumps(status_json(report), ensure_ascii=False)


@pytest.mark.parametrize("isolation", [True, False])
def test_an_isolation_section_or_none(isolation: bool) -> None:
    from secretwarden.ops.isolation import IsolationReport

    report = _odd_report()
    report.isolation = IsolationReport("proj", T0, ["local"]) if isolation else None
    assert status_json_text(report) == json.dumps(status_json(report), ensure_ascii=False)


def test_the_text_written_in_pieces_is_the_whole_text() -> None:
    import io

    from secretwarden.cli.render_status import write_status_json

    report = _odd_report()
    out = io.StringIO()  # not a terminal: the compact text, one piece per service
    write_status_json(report, out)
    assert out.getvalue() == json.dumps(status_json(report), ensure_ascii=False) + "\n"


@pytest.mark.parametrize("unreachable", [{}, {"prod": "store `p`: did not answer"}])
def test_stores_left_out_of_isolation(unreachable: dict[str, str]) -> None:
    report = _odd_report()
    report.unreachable = dict(unreachable)
    report.isolation_unchecked = {"p": 'store `p`: "quoted" did not answer'}
    assert status_json_text(report) == json.dumps(status_json(report), ensure_ascii=False)
    # said in the verdict, but only an environment left out makes the report not ok
    assert report.ok == (not unreachable) and "isolation against store `p` not checked" in report.verdict
