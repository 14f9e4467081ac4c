"""Markdown: a summary and a findings table, for a pull-request comment or a CI job summary.

Notes (public-by-design keys) are folded below the table: listed, never mixed with
what needs action."""

from __future__ import annotations

from secretwarden.findings.model import Finding, RenderOptions, Report


def _cell(text: str) -> str:
    # A pipe ends a table cell and a newline ends the row; backticks would open code spans.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _table(findings: list[Finding], options: RenderOptions) -> list[str]:
    out = ["| severity | rule | location | finding |", "|---|---|---|---|"]
    for f in findings:
        evidence = f.evidence(options.show_secrets)
        text = _cell(f.message) + (f": `{_cell(evidence)}`" if evidence else "")
        details = "; ".join(f.details())
        if details:
            text += f" ({_cell(details)})"
        out.append(f"| {f.severity} | `{f.rule_id}` | `{_cell(f.location())}` | {text} |")
    out.append("")
    return out


def render(report: Report, options: RenderOptions) -> str:
    out = [f"### warden {report.tool}", "", report.summary, ""]
    if report.gating:
        out += _table(report.gating, options)
    if report.notes:
        out += [f"<details><summary>notes: {len(report.notes)} public by design, never failing</summary>", ""]
        out += _table(report.notes, options)
        out += ["</details>", ""]
    if report.allowed:
        out += ["<details><summary>allowed inline</summary>", "", "| rule | location | reason |", "|---|---|---|"]
        out += [f"| `{f.rule_id}` | `{_cell(f.location())}` | {_cell(f.allowed or '')} |" for f in report.allowed]
        out += ["", "</details>", ""]
    if options.verbose and report.notices:
        out += ["<details><summary>skipped or partly read</summary>", ""]
        out += [f"- `{_cell(n.path)}`: {_cell(n.reason)}" for n in report.notices]
        out += ["", "</details>", ""]
    return "\n".join(out)
