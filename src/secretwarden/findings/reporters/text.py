"""Human output: one `path:line:col: severity [rule] message` line per finding
(editors and terminals turn it into a link), details indented below, then the
checker's one-line summary.

Notes (public-by-design keys) are left out unless `RenderOptions.notes` asks
for them: the summary counts them, so nothing is hidden silently."""

from __future__ import annotations

from secretwarden.findings.model import Finding, RenderOptions, Report

_COLOUR = {"critical": "red", "high": "red", "error": "red", "medium": "yellow", "warning": "yellow",
           "low": "blue", "info": "blue", "note": "cyan"}


def _style(text: str, options: RenderOptions, **kw: object) -> str:
    if not options.colour:
        return text
    import click

    return click.style(text, **kw)  # type: ignore[arg-type]


def finding_line(f: Finding, options: RenderOptions) -> str:
    evidence = f.evidence(options.show_secrets)
    tail = f": {evidence}" if evidence else ""
    severity = _style(f.severity, options, fg=_COLOUR.get(f.severity))
    return f"{f.location()}: {severity} [{f.rule_id}] {f.message}{tail}"


def hidden_notes(count: int) -> str:
    return f"{count} note{'s' if count != 1 else ''} not shown (public by design, never failing): --notes lists them"


def render(report: Report, options: RenderOptions) -> str:
    out: list[str] = []
    for f in report.gating + (report.notes if options.notes else []):
        out.append(finding_line(f, options))
        details = f.details()
        if details:
            out.append("    " + "; ".join(details))
    for f in report.allowed:
        out.append(f"{f.location()}: allowed [{f.rule_id}] {f.message} — reason: {f.allowed}")
    if report.notes and not options.notes:
        out.append(hidden_notes(len(report.notes)))
    if options.verbose and report.notices:
        out.append(_style("skipped or partly read:", options, bold=True))
        for n in report.notices:
            where = f"{n.path}@{n.commit[:12]}" if n.commit else n.path
            out.append(f"  {where}: {n.reason}")
    colour = "red" if report.failed else "green"
    out.append(_style(report.summary, options, fg=colour, bold=True))
    return "\n".join(out) + "\n"
