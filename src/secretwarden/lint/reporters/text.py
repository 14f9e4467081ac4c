"""Human-readable report: one line per finding, `file:line:col: severity rule-id message`."""

from __future__ import annotations

from secretwarden.lint.model import LintResult


def render(result: LintResult) -> str:
    lines: list[str] = []
    for f in result.active:
        lines.append(f"{f.location()}: {f.severity} [{f.rule_id}] {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    for f in result.allowed:
        lines.append(f"{f.location()}: allowed [{f.rule_id}] {f.message} — reason: {f.allowed}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def summary(result: LintResult) -> str:
    counts = ", ".join(f"{result.count(s)} {s}(s)" for s in ("error", "warning", "info"))
    allowed = f", {len(result.allowed)} allowed" if result.allowed else ""
    where = f" against {result.contract}" if result.contract else " (no warden.yaml: name heuristics only)"
    return f"lint: {result.files} file(s), {len(result.rules)} rule(s){where}: {counts}{allowed}"
