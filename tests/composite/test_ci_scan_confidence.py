"""`warden ci` scans at `warden scan`'s default confidence: a finding the scan
hides by default (below `medium`) must not fail ci."""

from __future__ import annotations

from pathlib import Path

from tests.composite.test_ci import GITIGNORE
from tests.conftest import run_warden


def test_ci_and_scan_agree_on_a_low_confidence_finding(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(GITIGNORE)
    # A dictionary-word password: reported only with --min-confidence low.
    (tmp_path / "settings.py").write_text('password = "sunshine"\n')
    assert "settings.py" in run_warden("scan", ".", "--min-confidence", "low", cwd=tmp_path).stdout
    scan = run_warden("scan", ".", cwd=tmp_path)
    assert scan.returncode == 0, scan.output
    ci = run_warden("ci", ".", cwd=tmp_path)
    assert ci.returncode == 0, ci.output
    assert "scan    pass" in ci.stdout
