"""Human output: findings grouped by file, then a one-line summary."""

from __future__ import annotations

from itertools import groupby

import click

from secretwarden.scan.model import ScanResult

_SEVERITY_COLOUR = {"critical": "red", "high": "red", "medium": "yellow", "low": "blue"}


def render(result: ScanResult, show_secrets: bool, verbose: bool) -> str:
    out: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        out.append(click.style(path, bold=True))
        for f in group:
            value = f.secret if show_secrets else f.preview
            where = f"{f.line}:{f.column}"
            extra = []
            if f.commit:
                extra.append(f"commit {f.commit[:12]} {f.author_date or ''}".rstrip())
            if f.decoded:
                extra.append(f"decoded from {f.decoded}")
            tail = f"  ({'; '.join(extra)})" if extra else ""
            sev = click.style(f"{f.severity:<8}", fg=_SEVERITY_COLOUR.get(f.severity))
            out.append(f"  {where:>9}  {sev} {f.rule_id:<26} {value}  "
                       f"confidence {f.confidence_label}{tail}")
        out.append("")
    if verbose and result.notices:
        out.append(click.style("skipped or partly read:", bold=True))
        for n in result.notices:
            where = f"{n.path}@{n.commit[:12]}" if n.commit else n.path
            out.append(f"  {where}: {n.reason}")
        out.append("")
    s = result.stats
    scope = f"{s.files} files" if result.source != "git" else f"{s.commits} commits, {s.blobs} blobs"
    parts = [f"{len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}",
             f"{scope}, {s.bytes / 1e6:.1f} MB in {s.seconds:.2f} s"]
    if result.baselined:
        parts.append(f"{result.baselined} in baseline")
    if result.allowed:
        parts.append(f"{result.allowed} allowed inline")
    if result.notices and not verbose:
        parts.append(f"{len(result.notices)} skipped or partly read (-v lists them)")
    colour = "red" if result.findings else "green"
    out.append(click.style("; ".join(parts), fg=colour, bold=True))
    return "\n".join(out)
