"""`warden isolation`: slots sharing a value, across every store, from fingerprints only."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, fmt_time, workspace
from secretwarden.errors import EXIT_POLICY


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
@click.option("--verbose", "-v", is_flag=True, help="Also list weak and unfingerprinted slots one by one.")
@click.pass_context
def isolation(ctx: click.Context, fmt: str, verbose: bool) -> int:
    """Report every pair of slots holding the same value (exit 1 when any); metadata only."""
    from secretwarden.cli.render_isolation import isolation_lines, isolation_markdown
    from secretwarden.ops.isolation import isolation_report
    from secretwarden.ops.status import store_notices

    with workspace(ctx, "isolation") as ws:
        report = isolation_report(ws)
        notices = store_notices(ws)
    for notice in notices:  # e.g. a path written outside warden: values this report cannot compare
        click.echo(f"warden: note: {notice}", err=True)
    if fmt == "json":
        echo_json(report.to_json())
    elif fmt == "markdown":
        click.echo(isolation_markdown(report), nl=False)
    else:
        click.echo(f"Project {report.project} — isolation, {fmt_time(report.generated_at)} UTC")
        click.echo("\n".join(isolation_lines(report, verbose=verbose)))
    return 0 if report.ok else EXIT_POLICY
