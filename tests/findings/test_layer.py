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
from secretwarden.findings.severity import at_least, rank, sarif_level
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
