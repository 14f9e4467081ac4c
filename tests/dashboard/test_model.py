"""The dashboard's data model, assembled from the real reports of a real project."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretwarden.dashboard.model import CALENDAR_DAYS, Dashboard, build_dashboard
from secretwarden.errors import InputError
from secretwarden.ops.status import gap_report
from secretwarden.ops.workspace import Workspace
from tests.dashboard.conftest import NOW, Project, fixed_now


@pytest.fixture
def ws(commerce_env: Project) -> Iterator[Workspace]:
    with Workspace.load(commerce_env.contract, clock=fixed_now) as w:
        yield w


@pytest.fixture
def dash(ws: Workspace, commerce_env: Project) -> Dashboard:
    return build_dashboard(ws, scan_results=commerce_env.scan_results, lint_results=commerce_env.lint_results)


def test_matrix_matches_the_gap_report(ws: Workspace, dash: Dashboard) -> None:
    report = gap_report(ws)
    assert dash.coverage.envs == ["dev", "staging", "prod"]
    assert dash.coverage.verdict == report.verdict
    by_id = {c.id: c for c in dash.coverage.cells}
    for es in report.envs:
        for ss in es.services:
            cell = by_id[f"{es.env}--{ss.service}" + (f"--{ss.instance}" if ss.instance else "")]
            assert cell.verdict == ("BLOCKED" if ss.blocked else "PASS")
            assert cell.missing == ss.count("missing")
            assert [k.var for k in cell.keys] == sorted(k.var for k in ss.keys)
    # Rows are sorted by service and every row has one cell slot per environment.
    names = [r.service for r in dash.coverage.rows]
    assert names == sorted(names)
    assert all(len(r.cells) == 3 for r in dash.coverage.rows)


def test_key_list_has_names_owners_formats_and_versions(dash: Dashboard) -> None:
    cell = next(c for c in dash.coverage.cells if c.id == "dev--artwork")
    signing = next(k for k in cell.keys if k.var == "ARTWORK_SIGNING_KEY")
    assert signing.state == "present" and signing.versions == 2 and signing.version == 2  # rotated once
    assert signing.owner == "catalog-team"
    bucket = next(k for k in cell.keys if k.var == "ARTWORK_STORAGE_BUCKET")
    assert bucket.format == "identifier"
    ref = next(k for k in cell.keys if k.var == "S3_ACCESS_KEY_ID")
    assert ref.via_ref == "shared-infra/S3_ACCESS_KEY_ID"


def test_namespace_coverage_and_deprecated_namespaces(dash: Dashboard) -> None:
    dev = next(n for n in dash.coverage.namespaces if n.env == "dev")
    assert dev.found == dev.expected and dev.missing == []
    prod = next(n for n in dash.coverage.namespaces if n.env == "prod")
    assert prod.found == 0 and prod.expected > 0
    legacy = next(n for n in dash.coverage.deprecated if n.name == "legacy-monolith")
    assert legacy.past_hold and legacy.replaced_by == "shared-infra" and legacy.readers


def test_compromised_key_blocks_its_cell_and_names_the_service(dash: Dashboard) -> None:
    cell = next(c for c in dash.coverage.cells if c.id == "dev--auth")
    assert cell.verdict == "BLOCKED" and cell.compromised == 1
    (inc,) = [i for i in dash.incidents if i.state != "closed"]
    assert inc.secret == "dev:auth/JWT_SECRET" and inc.reason == "pasted in a chat"
    assert "auth" in inc.blocked_services


def test_rotation_rows_calendar_and_ages(dash: Dashboard) -> None:
    rot = dash.rotation
    assert len(rot.calendar) == CALENDAR_DAYS and rot.calendar[0].date == fixed_now().date().isoformat()
    # Payment keys (90d cadence) written 40 days ago fall due inside the strip.
    due = [s for day in rot.calendar for s in day.due]
    assert "dev:payment/STRIPE_SECRET_KEY" in due
    assert sum(rot.counts.values()) == len(rot.items)
    # Most urgent first: the compromised key heads the list.
    assert rot.items[0].state == "compromised"
    rotated = next(i for i in rot.items if i.secret == "dev:artwork/ARTWORK_SIGNING_KEY")
    assert rotated.rotations == 1 and rotated.state_word in {"ok", "due soon"}
    assert {a.namespace for a in rot.ages} >= {"artwork", "auth"}
    assert rot.log and rot.log[0]["secret"] == "artwork/ARTWORK_SIGNING_KEY"
    assert "quarterly rotation" in rot.log[0]["notes"]
    assert rot.owners == sorted(rot.owners) and "payments-team" in rot.owners


def test_the_calendar_moves_with_the_clock(commerce_env: Project) -> None:
    # 200 days later every dev key (180d cadence, 90d for auth/payment) is overdue.
    later = fixed_now() + dt.timedelta(days=200)
    with Workspace.load(commerce_env.contract, clock=lambda: later) as w:
        d = build_dashboard(w, ["dev"])
    assert d.rotation.counts.get("overdue", 0) > 0
    assert d.rotation.overdue_before == d.rotation.counts["overdue"]
    assert d.rotation.calendar[0].date == later.date().isoformat()
    soon = fixed_now() + dt.timedelta(days=40)  # auth/payment keys (90d) are due within 14 days
    with Workspace.load(commerce_env.contract, clock=lambda: soon) as w:
        d = build_dashboard(w, ["dev"])
    due = [s for day in d.rotation.calendar[:14] for s in day.due]
    assert any("payment/" in s for s in due) and d.rotation.counts.get("due", 0) > 0


def test_isolation_pairs_come_from_fingerprints(dash: Dashboard) -> None:
    assert dash.isolation.verdict.startswith("BLOCKED")
    pair = next(p for p in dash.isolation.shared if "S3_SECRET_ACCESS_KEY" in p.a + p.b)
    assert "S3_ACCESS_KEY_ID" in pair.a + pair.b and "key" in pair.crosses


def test_guardrails_keep_previews_only_and_group_by_rule_and_owner(dash: Dashboard, commerce_env: Project) -> None:
    g = dash.guardrails
    scan = [f for f in g.findings if f.tool == "scan"]
    assert [f.preview for f in scan] == [commerce_env.canaries[0][:4] + "*" * 8, "*" * 8]
    assert scan[0].owner == "catalog-team" and scan[0].service == "artwork"  # by the service's source folder
    lint = [f for f in g.findings if f.tool == "lint"]
    assert len(lint) == 1 and lint[0].owner == "payments-team"  # the allowed finding is left out
    assert {grp.name: grp.count for grp in g.by_rule} == {"scan: generic-api-key": 2, "lint: compose-inline-secret": 1}
    assert sum(grp.count for grp in g.by_owner) == 3


def test_bad_results_files_are_one_line_errors(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON scan report"):
        build_dashboard(ws, scan_results=bad)
    with pytest.raises(InputError, match="no such lint results file"):
        build_dashboard(ws, lint_results=tmp_path / "absent.json")


def test_audit_tail_and_verdict(ws: Workspace) -> None:
    d = build_dashboard(ws, audit_limit=3)
    assert d.audit.verified and d.audit.entries_total > 3
    assert len(d.audit.entries) == 3
    seqs = [e["seq"] for e in d.audit.entries]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == d.audit.entries_total


def test_json_is_plain_and_deterministic(ws: Workspace, commerce_env: Project) -> None:
    a = build_dashboard(ws, scan_results=commerce_env.scan_results).dumps()
    b = build_dashboard(ws, scan_results=commerce_env.scan_results).dumps()
    assert a == b
    doc = json.loads(a)
    assert doc["generated_at"] == NOW
    assert set(doc) >= {"coverage", "rotation", "incidents", "isolation", "guardrails", "audit"}


def test_no_store_is_opened_for_values(ws: Workspace) -> None:
    build_dashboard(ws)
    assert ws._secrets == {}  # only metadata readers were opened
    assert all(r.stats.values_read == 0 for r in ws._meta.values())


def test_each_store_is_listed_once_per_build(ws: Workspace) -> None:
    reader = ws.metadata("dev")
    before = reader.stats.metadata_reads
    build_dashboard(ws)
    # One listing of every key, plus one namespace query per environment; every
    # section (gap report, rotation, incidents, isolation) answers from that listing.
    assert reader.stats.metadata_reads - before <= 1 + len(ws.contract.environments)


def test_per_instance_services_get_a_row_per_instance(project: Path) -> None:
    from secretwarden.dashboard.model import parse_cell_id
    from tests.conftest import run_warden

    assert run_warden("--contract", project, "bootstrap", "--env", "dev").returncode == 0
    with Workspace.load(project, clock=fixed_now) as w:
        d = build_dashboard(w)
        rows = [(r.service, r.instance) for r in d.coverage.rows if r.service == "shop"]
        assert rows == [("shop", "tenant-a"), ("shop", "tenant-b")]
        cell = next(c for c in d.coverage.cells if c.id == "dev--shop--tenant-b")
        assert cell.verdict == "PASS" and [k.var for k in cell.keys] == ["SHOP_KEY"]
        assert parse_cell_id(w, "dev--shop--tenant-b") == ("dev", "shop")
        assert parse_cell_id(w, "prod--api") == ("prod", "api")
        assert parse_cell_id(w, "nowhere--api") is None
