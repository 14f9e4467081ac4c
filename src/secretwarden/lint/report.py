"""A lint result as the shared `findings.Report`, paths relative to the repository root."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

from secretwarden.findings.model import Report, RuleInfo
from secretwarden.findings.paths import relative_to, report_root
from secretwarden.lint.model import LintResult

SEVERITY_NAMES = ("error", "warning", "info")


@cache
def rule_infos() -> tuple[RuleInfo, ...]:
    from secretwarden.lint.registry import all_rules

    return tuple(
        RuleInfo(id=r.id, title=r.title, severity=r.severity, description=r.rationale,
                 help=f"{r.fix} (docs/lint.md#{r.id})", tags=("policy",))
        for r in all_rules()
    )


def summary(result: LintResult) -> str:
    counts = ", ".join(f"{result.count(s)} {s}(s)" for s in SEVERITY_NAMES)
    allowed = f", {len(result.allowed)} allowed" if result.allowed else ""
    where = f" against {result.contract}" if result.contract else " (no warden.yaml: name heuristics only)"
    return f"lint: {result.files} file(s), {len(result.rules)} rule(s){where}: {counts}{allowed}"


def to_report(result: LintResult, root: Path | None = None, *, fail_on: str = "error") -> Report:
    """`root`: the folder paths are relative to; default the repository holding the lint root."""
    linted = Path(result.root).resolve()
    base = (root or report_root(linted)).resolve()
    findings = result.findings if base == linted else [
        replace(f, path=relative_to(linted / f.path, base)) for f in result.findings
    ]
    return Report(
        tool="lint",
        root=base,
        findings=findings,
        rules=rule_infos(),
        summary=summary(result),
        details={
            "root": result.root,
            "contract": result.contract,
            "files": result.files,
            "rules": result.rules,
            "summary": {s: result.count(s) for s in SEVERITY_NAMES} | {"allowed": len(result.allowed)},
        },
        failed=result.fails(fail_on),
    )
