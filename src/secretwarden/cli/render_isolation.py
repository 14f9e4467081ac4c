"""Renderers of the isolation report (used by `warden isolation` and a section of `status`)."""

from __future__ import annotations

import click

from secretwarden.ops.isolation import IsolationReport


def isolation_lines(report: IsolationReport, *, verbose: bool = False) -> list[str]:
    lines = [
        f"Isolation across store(s) {', '.join(report.stores)}: {report.slots_checked} slot(s) compared by fingerprint, "
        f"{report.config_ignored} configuration value(s) ignored"
    ]
    for p in report.shared:
        what = "same current value" if p.kind == "current" else "current value equals an earlier version"
        lines.append(f"  {click.style('SHARED', fg='red')} {p.a.label()} <-> {p.b.label()}  ({what}; crosses {', '.join(p.crosses)})")
    if report.weak:
        lines.append(f"  weak (guessable from a fingerprint by whoever holds the fingerprint key): {len(report.weak)} slot(s)")
        if verbose:
            lines += [f"    {w.store}:{w.slot.label()}: {w.reason}" for w in report.weak]
    if report.unfingerprinted:
        lines.append(f"  not comparable (no fingerprint): {len(report.unfingerprinted)} slot(s)")
        if verbose:
            lines += [f"    {u.store}:{u.slot.label()}" for u in report.unfingerprinted]
    colour = "green" if report.ok else "red"
    lines.append("Isolation: " + click.style(report.verdict, fg=colour, bold=True))
    return lines


def isolation_markdown(report: IsolationReport) -> str:
    out = [
        "### Isolation",
        "",
        f"{report.slots_checked} slot(s) in store(s) {', '.join(f'`{s}`' for s in report.stores)} compared by keyed fingerprint "
        f"({report.config_ignored} configuration value(s) ignored). **{report.verdict}**",
    ]
    if report.shared:
        out += ["", "| Slot | Slot | Kind | Crosses |", "|---|---|---|---|"]
        for p in report.shared:
            out.append(f"| `{p.a.label()}` | `{p.b.label()}` | {p.kind} | {', '.join(p.crosses)} |")
    if report.weak:
        out += ["", f"Weak values (flagged separately, {len(report.weak)}):", ""]
        out += [f"- `{w.store}:{w.slot.label()}`: {w.reason}" for w in report.weak]
    if report.unfingerprinted:
        out += ["", "Not comparable (no fingerprint): " + ", ".join(f"`{u.store}:{u.slot.label()}`" for u in report.unfingerprinted)]
    return "\n".join(out) + "\n"
