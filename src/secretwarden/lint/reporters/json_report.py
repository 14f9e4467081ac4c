"""Kept for callers of `as_dict`: a lint result as the shared JSON reporter writes it."""

from __future__ import annotations

from typing import Any

from secretwarden.lint.model import LintResult


def as_dict(result: LintResult) -> dict[str, Any]:
    from secretwarden.findings.model import RenderOptions
    from secretwarden.findings.reporters.json_report import as_dict as report_dict
    from secretwarden.lint.report import to_report

    return report_dict(to_report(result), RenderOptions())
