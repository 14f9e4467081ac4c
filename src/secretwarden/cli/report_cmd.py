"""`warden report`: the governance dashboard as one self-contained HTML file, or its JSON."""

from __future__ import annotations

from pathlib import Path

import click

from secretwarden.cli.common import workspace
from secretwarden.cli.dashboard_common import dashboard_options, parse_now, require_extra
from secretwarden.errors import UsageError
from secretwarden.paths import write_output


@click.command("report")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), metavar="OUT.html",
              help="Write the dashboard as one self-contained HTML file.")
@click.option("--format", "fmt", type=click.Choice(["json"]), default=None,
              help="Print the dashboard's data as JSON instead.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="With --format json: write to a file.")
@click.option("--run-guardrails", is_flag=True,
              help="Run `warden scan` and `warden lint` in-process on the contract's folder for results not given.")
@dashboard_options
@click.pass_context
def report(ctx: click.Context, html_out: str | None, fmt: str | None, output: str | None, run_guardrails: bool,
           envs: tuple[str, ...], scan_results: str | None, lint_results: str | None, audit_limit: int,
           now: str | None) -> int:
    """The governance dashboard (coverage, rotation, incidents, isolation, guardrails, audit).

    From metadata only: no value is read. The same inputs and --now give the same file.
    """
    if (html_out is None) == (fmt is None):
        raise UsageError("choose one output: --html OUT.html or --format json")
    if html_out is not None:
        require_extra("jinja2")
    from secretwarden.dashboard.model import build_dashboard

    fixed = parse_now(now)
    with workspace(ctx, "report") as ws:
        if fixed is not None:
            ws.clock = lambda: fixed
        d = build_dashboard(
            ws,
            list(envs) or None,
            scan_results=Path(scan_results) if scan_results else None,
            lint_results=Path(lint_results) if lint_results else None,
            run_guardrails=run_guardrails,
            audit_limit=audit_limit,
        )
    for u in d.unreachable:  # the page is built without them; say so where the command was run
        click.echo(f"warden: note: store `{u.store}` did not answer, {', '.join(u.envs)} left out: {u.error}", err=True)
    if html_out is not None:
        from secretwarden.dashboard.render import render_report

        # 0644: an artifact to share: it holds names and metadata, never a value
        write_output(Path(html_out), render_report(d), what="dashboard", mode=0o644)
        sm = d.summary
        click.echo(
            f"wrote {html_out}: {sm['blocked']} of {sm['cells']} cells blocked, {sm['overdue']} overdue, "
            f"{sm['open_incidents']} open incidents, {sm['shared']} shared values; no values included",
            err=True,
        )
    elif output:
        write_output(Path(output), d.dumps(), what="dashboard data", mode=0o644)
    else:
        click.echo(d.dumps(), nl=False)
    return 0
