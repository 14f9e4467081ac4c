"""Scan output formats: the shared registry in `secretwarden.findings.reporters`.

Kept so callers of the old `get_reporter(name)(result, show_secrets, verbose)`
keep working; new code builds a `Report` with `scan.report.to_report` and
renders it with `findings.reporters.render`.
"""

from __future__ import annotations

from collections.abc import Callable

from secretwarden.findings.model import RenderOptions
from secretwarden.findings.reporters import FORMATS, render
from secretwarden.scan.model import ScanResult

Reporter = Callable[[ScanResult, bool, bool], str]
REPORTERS: tuple[str, ...] = FORMATS


def get_reporter(name: str) -> Reporter:
    def reporter(result: ScanResult, show_secrets: bool, verbose: bool) -> str:
        from secretwarden.scan.report import to_report

        return render(to_report(result, verbose=verbose), name, RenderOptions(show_secrets=show_secrets, verbose=verbose))

    return reporter
