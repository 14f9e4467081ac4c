"""`warden redact`: clean a log before it is shared (stdin -> stdout)."""

from __future__ import annotations

import sys

import click

from secretwarden.cli.common import instance_option, workspace


@click.command()
@click.option("--env", "-e", "env", required=True, help="Environment whose secrets are redacted.")
@click.option("--service", "-s", default=None, help="Only this service's secrets (default: every service).")
@instance_option
@click.option(
    "--from-environ",
    is_flag=True,
    help="Take the values from this process's environment (keys named by the contract) instead of the store.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr.")
@click.pass_context
def redact(ctx: click.Context, env: str, service: str | None, instance: str | None, from_environ: bool, quiet: bool) -> None:
    """Copy stdin to stdout with every secret of the environment replaced by [REDACTED:KEY]."""
    from secretwarden.ops.redaction import values_to_redact
    from secretwarden.redact.pipe import pump
    from secretwarden.redact.redactor import Redactor

    with workspace(ctx, "redact") as ws:
        pairs = values_to_redact(ws, env, service=service, instance=instance, from_environ=from_environ)
    redactor = Redactor(pairs)
    sys.stdout.flush()
    count = pump(sys.stdin.fileno(), sys.stdout.fileno(), redactor)
    if not quiet:
        click.echo(f"warden: {count} occurrence(s) redacted ({len(redactor.names)} key(s) known)", err=True)
    if redactor.skipped:
        click.echo(
            f"warden: warning: {len(redactor.skipped)} value(s) too short to redact safely: "
            + ", ".join(sorted(set(redactor.skipped))),
            err=True,
        )
