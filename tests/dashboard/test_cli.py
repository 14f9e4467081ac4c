"""`warden report` and `warden serve` through the real CLI, and the import boundary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, run_warden
from tests.dashboard.conftest import NOW, Project


def _assert_no_canary(project: Project, *texts: str) -> None:
    audit = (project.root / ".warden" / "audit.jsonl").read_text()
    for canary in project.canaries:
        for text in (*texts, audit):
            assert canary not in text


def test_html_report_is_deterministic_and_free_of_values(commerce_env: Project, tmp_path: Path) -> None:
    outs = []
    for name in ("a.html", "b.html"):
        r = commerce_env.warden("report", "--html", tmp_path / name, "--now", NOW,
                                "--scan-results", commerce_env.scan_results,
                                "--lint-results", commerce_env.lint_results)
        assert r.returncode == 0, r.output
        assert "no values included" in r.stderr
        outs.append((tmp_path / name).read_text())
        _assert_no_canary(commerce_env, r.output)
    assert outs[0] == outs[1]
    assert "Secret Warden · commerce" in outs[0] and f"as of {NOW}" in outs[0]
    _assert_no_canary(commerce_env, outs[0])


def test_json_report(commerce_env: Project, tmp_path: Path) -> None:
    r = commerce_env.warden("report", "--format", "json", "--now", NOW, "--env", "dev", "--audit-limit", "5",
                            "--scan-results", commerce_env.scan_results)
    assert r.returncode == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["coverage"]["envs"] == ["dev"] and len(doc["audit"]["entries"]) == 5
    assert doc["guardrails"]["findings"][0]["preview"].endswith("********")
    _assert_no_canary(commerce_env, r.output)
    out = tmp_path / "dash.json"
    r = commerce_env.warden("report", "--format", "json", "--now", NOW, "-o", out)
    assert r.returncode == 0 and json.loads(out.read_text())["project"] == "commerce"


def test_source_date_epoch_fixes_the_clock(commerce_env: Project) -> None:
    r = commerce_env.warden("report", "--format", "json", env={"SOURCE_DATE_EPOCH": "1780000000"})
    assert json.loads(r.stdout)["generated_at"].startswith("2026-05-28")


def test_usage_errors_are_one_line(commerce_env: Project, tmp_path: Path) -> None:
    cases = [
        ("report",),
        ("report", "--html", str(tmp_path / "x.html"), "--format", "json"),
        ("report", "--format", "json", "--env", "nope"),
        ("report", "--format", "json", "--now", "yesterday"),
        ("report", "--format", "json", "--scan-results", str(tmp_path / "missing.json")),
        ("serve", "--host", "10.1.2.3"),
    ]
    for args in cases:
        r = commerce_env.warden(*args)
        assert r.returncode == 2, (args, r.output)
        assert "Traceback" not in r.output and r.stderr.startswith("warden: error:"), (args, r.stderr)


def test_works_on_the_example_out_of_the_box(tmp_path: Path) -> None:
    """A fresh copy of the example with no store yet: the report says what is missing. Staging and
    prod live on an OpenBao server this machine cannot reach: they are left out, and the page and the
    command say so (within the example's fail-fast settings, not after a long wait)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(EXAMPLE, repo / "warden.yaml")
    r = run_warden("--contract", repo / "warden.yaml", "report", "--html", repo / "report.html")
    assert r.returncode == 0, r.output
    assert "12 of 12 cells blocked" in r.stderr  # dev's services
    assert "store `openbao` did not answer, staging, prod left out" in r.stderr
    page = (repo / "report.html").read_text()
    assert "payment" in page and "did not answer, so staging, prod are left out" in page
    data = run_warden("--contract", repo / "warden.yaml", "report", "--format", "json")
    assert data.returncode == 0, data.output
    doc = json.loads(data.stdout)
    assert doc["coverage"]["envs"] == ["dev"]
    assert [(u["store"], u["envs"]) for u in doc["unreachable"]] == [("openbao", ["staging", "prod"])]


def test_run_guardrails_in_process(commerce_env: Project) -> None:
    r = commerce_env.warden("report", "--format", "json", "--now", NOW, "--run-guardrails")
    assert r.returncode == 0, r.output
    g = json.loads(r.stdout)["guardrails"]
    assert g["scan_source"] == "run in-process" and g["lint_source"] == "run in-process"
    _assert_no_canary(commerce_env, r.output)


def test_core_cli_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, secretwarden.cli.main, secretwarden.cli.report_cmd, secretwarden.cli.serve_cmd\n"
        "from secretwarden.cli.main import cli\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'starlette', 'jinja2', 'uvicorn', 'playwright'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    r = run_warden("--help")
    assert r.returncode == 0 and "report" in r.stdout and "serve" in r.stdout


@pytest.mark.parametrize("line", ['"x"', '"12"', "1.5", "[1]", "true", "-3"])
@pytest.mark.parametrize("option", ["--scan-results", "--lint-results"])
def test_results_with_a_non_integer_line_are_a_usage_error(commerce_env: Project, tmp_path: Path,
                                                           option: str, line: str) -> None:
    """Issue 21.15: a hand-edited results file is the user's input: exit 2 with a hint, never 4."""
    bad = tmp_path / "results.json"
    finding = '{"rule": "r", "path": "a.py", "file": "a.py", "line": ' + line + "}"
    bad.write_text('{"findings": [' + finding + "]}")
    r = commerce_env.warden("report", "--format", "json", option, str(bad))
    assert r.returncode == 2, r.output
    assert "not a whole number" in r.stderr and "Traceback" not in r.output
