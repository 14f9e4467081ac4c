"""GitHub Actions annotations: one workflow command per finding, so each finding
shows on its line in the pull request's diff and in the job's summary.

    ::error file=app/settings.py,line=12,col=5,title=warden scan: generic-password::Password given ...

Findings that can fail the run are `error` (SARIF level error) or `warning`
(everything else that gates, `low` included); `notice` is kept for notes, which
never fail anything and appear only when `RenderOptions.notes` asks for them.
Allowed findings are not annotated. GitHub reads `%`, CR and LF as escapes in
the message, and also `:` and `,` in the properties; all are escaped here.
The checker's summary ends the output as a plain log line.
"""

from __future__ import annotations

from secretwarden.findings.model import Finding, RenderOptions, Report
from secretwarden.findings.severity import sarif_level


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(f: Finding) -> str:
    if f.note:
        return "notice"
    return "error" if sarif_level(f.severity) == "error" else "warning"


def annotation(f: Finding, tool: str, options: RenderOptions) -> str:
    props = [f"file={_property(f.path)}", f"line={f.line}"]
    if f.end_line and f.end_line > f.line:
        props.append(f"endLine={f.end_line}")
    props += [f"col={f.column}", f"title={_property(f'warden {tool}: {f.rule_id} ({f.severity})')}"]
    evidence = f.evidence(options.show_secrets)
    message = f.message + (f": {evidence}" if evidence else "")
    details = f.details()
    if details:
        message += f" ({'; '.join(details)})"
    return f"::{_command(f)} {','.join(props)}::{_data(message)}"


def render(report: Report, options: RenderOptions) -> str:
    shown = report.gating + (report.notes if options.notes else [])
    out = [annotation(f, report.tool, options) for f in shown]
    if report.notes and not options.notes:
        from secretwarden.findings.reporters.text import hidden_notes

        out.append(hidden_notes(len(report.notes)))
    out.append(report.summary)
    return "\n".join(out) + "\n"
