"""Lint output formats: the shared registry in `secretwarden.findings.reporters`.

Kept so `render(result, fmt)` keeps working; new code builds a `Report` with
`lint.report.to_report` and renders it with `findings.reporters.render`.
"""

from __future__ import annotations

from secretwarden.findings.reporters import FORMATS
from secretwarden.lint.model import LintResult


def render(result: LintResult, fmt: str) -> str:
    from secretwarden.findings import reporters
    from secretwarden.lint.report import to_report

    return reporters.render(to_report(result), fmt)


__all__ = ["FORMATS", "render"]
