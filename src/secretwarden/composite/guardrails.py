"""Scan and lint a repository in-process, the way `warden scan` and `warden lint` would.

`warden ci` and the dashboard (`report --run-guardrails`, `serve`) use this,
so both apply the contract's scan policy and the repository's baseline, and
both get `findings.Report`s with paths relative to the repository root.
"""

from __future__ import annotations

from pathlib import Path

from secretwarden.findings.model import Report


def scan_report(root: Path, contract_path: str | None) -> Report:
    from secretwarden.scan.command import scan
    from secretwarden.scan.config import CONFIDENCE_LEVELS, DEFAULT_MIN_CONFIDENCE, ScanOptions
    from secretwarden.scan.report import to_report

    # At `warden scan`'s default confidence: ci must not fail on what `warden scan` hides.
    options = ScanOptions(target=str(root), mode="files", min_confidence=CONFIDENCE_LEVELS[DEFAULT_MIN_CONFIDENCE])
    outcome = scan(options, contract_path=contract_path)
    return to_report(outcome.result, outcome.root)


def lint_report(root: Path, contract_path: str | None, fail_on: str = "error") -> Report:
    from secretwarden.lint.engine import run_lint
    from secretwarden.lint.report import to_report

    return to_report(run_lint(root, contract_path=contract_path), fail_on=fail_on)
