"""`warden sync`: deliver a service's secrets to GitHub Actions, Fly.io or Render."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, env_option, instance_option, workspace


@click.command("sync")
@click.option("--to", "to", required=True, type=click.Choice(["github", "fly", "render"]), help="Platform.")
@click.option("--service", "-s", required=True, help="Service whose secrets to deliver.")
@env_option
@instance_option
@click.option("--repo", default=None, metavar="OWNER/NAME", help="GitHub repository.")
@click.option("--environment", default=None, metavar="NAME", help="GitHub environment (default: repository secrets).")
@click.option("--app", default=None, help="Fly.io app name.")
@click.option("--service-id", default=None, help="Render service id (srv-...).")
@click.option("--dry-run", is_flag=True, help="List the names and what would happen; push nothing.")
@click.option("--force", is_flag=True, help="Push every name, changed or not.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def sync(ctx: click.Context, to: str, service: str, env: str, instance: str | None, repo: str | None,
         environment: str | None, app: str | None, service_id: str | None, dry_run: bool, force: bool,
         fmt: str) -> None:
    """Push what `warden run` would inject for SERVICE to a platform, only where the value changed.

    Refuses like `run` (missing, invalid, compromised, open incident). Names only in the output.
    """
    from secretwarden.delivery import PLATFORMS
    from secretwarden.delivery.base import TargetOptions
    from secretwarden.delivery.sync import sync as run_sync

    platform = PLATFORMS[to](TargetOptions(repo=repo, environment=environment, app=app, service_id=service_id))
    with workspace(ctx, "sync") as ws:
        report = run_sync(ws, platform, service=service, env=env, instance=instance, dry_run=dry_run, force=force)
    if fmt == "json":
        echo_json({"target": report.target, "service": report.service, "env": report.env, "dry_run": dry_run,
                   "names": [{"name": r.name, "action": r.action} for r in report.rows], "pushed": report.pushed})
        return
    for row in report.rows:
        click.echo(f"{row.name:<40} {row.action}")
    verb = "would push" if dry_run else "pushed"
    count = report.count("create") + report.count("update") if dry_run else len(report.pushed)
    click.echo(f"{verb} {count} of {len(report.rows)} name(s) to {report.target}; "
               f"{report.count('unchanged')} unchanged", err=True)
