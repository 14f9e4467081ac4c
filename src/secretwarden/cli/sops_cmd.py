"""`warden sops`: .sops.yaml creation rules and recipients for sops stores."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, workspace
from secretwarden.errors import EXIT_POLICY, UsageError


@click.group()
def sops() -> None:
    """Manage .sops.yaml and recipients of sops stores."""


def _parse_recipients(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        env, sep, value = pair.partition("=")
        if not sep or not env or not value:
            raise UsageError(f"`{pair}` is not ENV=RECIPIENT", hint="e.g. --recipient prod=age1...")
        out.setdefault(env.strip(), []).extend(r.strip() for r in value.split(",") if r.strip())
    return out


def _render(report: object, fmt: str) -> int:
    from secretwarden.admin.sops import SopsConfigReport

    assert isinstance(report, SopsConfigReport)
    if fmt == "json":
        echo_json({**report.__dict__, "ok": report.ok})
    else:
        if report.written:
            click.echo(f"Wrote {report.config} with {len(report.rules)} creation rule(s):")
            for rule in report.rules:
                click.echo(f"  {rule.env}: {rule.path_regex} -> {len(rule.recipients)} recipient(s)")
            if report.gitignore_added:
                click.echo(f"Added to .gitignore: {', '.join(report.gitignore_added)}")
        else:
            click.echo(f"Checked {report.config}")
        for p in report.problems:
            click.echo(f"  {p.severity}: {p.env}: {p.path}: {p.message}", err=p.severity == "error")
        click.echo("sops config: " + ("OK" if report.ok else "FAILED"))
    return 0 if report.ok else EXIT_POLICY


@sops.command("init")
@click.option(
    "--recipient",
    "-r",
    "pairs",
    multiple=True,
    metavar="ENV=AGE_RECIPIENT",
    help="Age public key(s) allowed to decrypt ENV's files (repeatable; comma-separate several).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing .sops.yaml instead of checking it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def init(ctx: click.Context, pairs: tuple[str, ...], force: bool, fmt: str) -> int:
    """Write .sops.yaml with one creation rule per environment (or check the existing one)."""
    from secretwarden.admin.sops import init_sops_config

    with workspace(ctx, "sops init") as ws:
        report = init_sops_config(ws, _parse_recipients(pairs), force=force)
    return _render(report, fmt)


@sops.command("check")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def check(ctx: click.Context, fmt: str) -> int:
    """Check .sops.yaml and the files: no production file readable by another environment's recipient."""
    from secretwarden.admin.sops import check_sops_config

    with workspace(ctx, "sops check") as ws:
        report = check_sops_config(ws)
    return _render(report, fmt)


@sops.command("recipients")
@click.option("--env", "-e", "env", default=None, help="Only this environment's files.")
@click.option("--dry-run", is_flag=True, help="List the files that would be updated.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def recipients(ctx: click.Context, env: str | None, dry_run: bool, fmt: str) -> int:
    """Re-encrypt each file's data key for the recipients .sops.yaml names now (sops updatekeys)."""
    from secretwarden.admin.sops import update_recipients

    with workspace(ctx, "sops recipients") as ws:
        done = update_recipients(ws, env, dry_run=dry_run)
    if fmt == "json":
        echo_json({"dry_run": dry_run, "files": done})
        return 0
    verb = "would update" if dry_run else "updated"
    for item in done:
        click.echo(f"  {verb} {item.location} ({item.env}:{item.namespace})")
    click.echo(f"{len(done)} file(s) {verb}")
    return 0
