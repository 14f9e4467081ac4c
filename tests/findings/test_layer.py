"""The shared findings layer on its own: allow grammar, severity scale, and every
output format rendering a scan and a lint report alike."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from secretwarden.errors import UsageError
from secretwarden.findings.allow import parse
from secretwarden.findings.model import RenderOptions, Report, RuleInfo
from secretwarden.findings.reporters import FORMATS, get_reporter, render
from secretwarden.findings.reporters.sarif import log, run
from secretwarden.findings.severity import (
    SEVERITIES,
    at_least,
    gates,
    rank,
    sarif_level,
    security_severity,
)
from secretwarden.lint.model import Finding as LintFinding
from secretwarden.scan.model import Finding as ScanFinding
from tests.findings.test_paths import sarif_schema

SECRET = "fake" + "-value-" + "0123456789abcdef"  # not a credential format: built for the test


@pytest.mark.parametrize(("line", "ids", "reason"), [
    ("x = 1  # warden:allow", set(), ""),
    ("x  # warden:allow github-token", {"github-token"}, ""),
    ("# warden:allow fallback-default mock value", {"fallback-default"}, "mock value"),
    ("<!-- warden:allow a-b, c-d test fixture -->", {"a-b", "c-d"}, "test fixture"),
    ("/* warden:allow x-y why */", {"x-y"}, "why"),
    ("-- warden:allow Reviewed by ops", set(), "Reviewed by ops"),
])
def test_one_allow_grammar(line: str, ids: set[str], reason: str) -> None:
    allow = parse(line)
    assert allow is not None and allow.rule_ids == ids and allow.reason == reason
    assert allow.covers("github-token") == (not ids or "github-token" in ids)


def test_no_marker_no_allow() -> None:
    assert parse("password = 'x'  # allow this") is None


def test_one_scale_for_both_vocabularies() -> None:
    assert rank("critical") > rank("high") == rank("error") > rank("medium") == rank("warning")
    assert rank("warning") > rank("low") > rank("info")
    assert at_least("critical", "error") and not at_least("low", "warning")
    assert [sarif_level(s) for s in ("high", "error", "medium", "warning", "low", "info")] == \
        ["error", "error", "warning", "warning", "note", "note"]


def _reports(tmp_path: Path) -> list[Report]:
    (tmp_path / "a.py").write_text("x\n")
    scan = ScanFinding(rule_id="demo-token", description="Demo token", severity="high", path="a.py",
                       line=1, column=5, secret=SECRET, confidence=0.9)
    lint_active = LintFinding(rule_id="demo-rule", severity="error", path="a.py", line=1, column=1,
                              message="a | pipe and `ticks`", fix="do the right thing")
    lint_allowed = LintFinding(rule_id="demo-rule", severity="warning", path="a.py", line=1, column=1,
                               message="silenced", allowed="reviewed")
    return [
        Report("scan", tmp_path, [scan], [RuleInfo("demo-token", "Demo token", "high")], "1 finding", failed=True),
        Report("lint", tmp_path, [lint_active, lint_allowed], [RuleInfo("demo-rule", "Demo rule", "error")],
               "lint: 1 error", failed=True),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_both_checkers_without_the_value(tmp_path: Path, fmt: str) -> None:
    for report in _reports(tmp_path):
        text = render(report, fmt)
        assert SECRET not in text and "a.py" in text
        if fmt in ("json", "sarif"):
            json.loads(text)
    shown = render(_reports(tmp_path)[0], "json", RenderOptions(show_secrets=True))
    assert json.loads(shown)["findings"][0]["secret"] == SECRET


def test_sarif_one_writer_two_runs(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    doc = log([run(r) for r in reports])
    jsonschema.validate(doc, sarif_schema())
    scan_run, lint_run = doc["runs"]
    assert scan_run["tool"]["driver"]["name"] == "warden scan" and lint_run["tool"]["driver"]["name"] == "warden lint"
    assert lint_run["results"][1]["suppressions"][0]["justification"] == "reviewed"
    assert scan_run["results"][0]["partialFingerprints"]["wardenFingerprint/v1"] == reports[0].findings[0].fingerprint


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    text = render(_reports(tmp_path)[1], "markdown")
    assert "a \\| pipe and 'ticks'" in text and "| `demo-rule` | `a.py:1:1` | reviewed |" in text


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown output format"):
        get_reporter("yaml")


def test_lint_finding_keeps_its_old_names() -> None:
    f = LintFinding(rule_id="r", severity="info", path="x/y.yaml", line=2, column=3, message="m")
    assert f.file == "x/y.yaml" and f.location() == "x/y.yaml:2:3" and f.active
    fields = f.json_fields(False)
    assert fields["rule_id"] == fields["rule"] == "r" and fields["file"] == fields["path"]


def test_note_sits_below_the_scale_and_reaches_no_floor() -> None:
    assert rank("note") < rank("info") and not gates("note")
    assert all(gates(s) for s in SEVERITIES if s != "note")
    assert not any(at_least("note", floor) for floor in SEVERITIES)
    assert gates("typo-severity")  # an unknown name must not silence a finding
    assert sarif_level("note") == "note" and security_severity("note") is None
    assert security_severity("low") == "3.0"


def _with_note(tmp_path: Path) -> Report:
    (tmp_path / "a.py").write_text("x\n")
    secret = ScanFinding(rule_id="demo-token", description="Demo token", severity="high", path="a.py",
                         line=1, column=5, secret=SECRET, confidence=0.9)
    public = ScanFinding(rule_id="demo-public", description="Demo public key: public by design",
                         severity="note", path="a.py", line=2, column=1, secret=SECRET[::-1], confidence=0.95)
    rules = [RuleInfo("demo-token", "Demo token", "high"), RuleInfo("demo-public", "Demo public", "note")]
    return Report("scan", tmp_path, [secret, public], rules, "1 finding; 1 note", failed=True)


def test_report_separates_what_gates_from_notes(tmp_path: Path) -> None:
    report = _with_note(tmp_path)
    assert [f.rule_id for f in report.gating] == ["demo-token"]
    assert [f.rule_id for f in report.notes] == ["demo-public"]
    assert len(report.active) == 2


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_human_formats_show_notes_only_when_asked(tmp_path: Path, fmt: str) -> None:
    report = _with_note(tmp_path)
    hidden = render(report, fmt)
    assert "demo-public" not in hidden and "1 note not shown" in hidden and "demo-token" in hidden
    shown = render(report, fmt, RenderOptions(notes=True))
    assert "demo-public" in shown and "not shown" not in shown


def test_github_annotation_levels_and_escapes(tmp_path: Path) -> None:
    report = _with_note(tmp_path)
    lines = render(report, "github", RenderOptions(notes=True)).splitlines()
    assert lines[0].startswith("::error file=a.py,line=1,col=5,title=warden scan%3A demo-token (high)::Demo token")
    assert lines[1].startswith("::notice file=a.py,line=2,col=1,title=warden scan%3A demo-public (note)::")
    lint = LintFinding(rule_id="r", severity="warning", path="x,y:z.yaml", line=3, column=1,
                       message="100% wrong\nsecond line")
    text = render(Report("lint", tmp_path, [lint], [], "lint: 1 warning"), "github")
    assert text.startswith("::warning file=x%2Cy%3Az.yaml,line=3,col=1,")
    assert "::100%25 wrong%0Asecond line" in text


def test_sarif_note_results_and_rules(tmp_path: Path) -> None:
    doc = log([run(_with_note(tmp_path))])
    jsonschema.validate(doc, sarif_schema())
    results = doc["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "note"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert "security-severity" in rules[0]["properties"] and "security-severity" not in rules[1]["properties"]


def test_markdown_folds_notes(tmp_path: Path) -> None:
    text = render(_with_note(tmp_path), "markdown")
    table, folded = text.split("<details><summary>notes: 1 public by design, never failing</summary>")
    assert "demo-token" in table and "demo-public" not in table and "demo-public" in folded


def test_baseline_never_records_a_note(tmp_path: Path) -> None:
    from secretwarden.findings import baseline

    report = _with_note(tmp_path)
    assert baseline.write(tmp_path / "b.json", report.findings) == 1
    assert baseline.load(tmp_path / "b.json") == frozenset({report.findings[0].fingerprint})
