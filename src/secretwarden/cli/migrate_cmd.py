"""`warden migrate`: move slots from one store of the contract to another (embedded → OpenBao, ...)."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, workspace


@click.command("migrate")
@click.option("--from", "source", required=True, metavar="STORE", help="Store to copy from (a name under `stores:`).")
@click.option("--to", "target", required=True, metavar="STORE", help="Store to copy into.")
@click.option("--env", "-e", "envs", multiple=True,
              help="Environment(s) to move (default: every environment the source store serves).")
@click.option("--dry-run", is_flag=True, help="Count what would be copied; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def migrate(ctx: click.Context, source: str, target: str, envs: tuple[str, ...], dry_run: bool, fmt: str) -> int:
    """Copy every slot with its history, dates and compromise marks; verify by fingerprint.

    Safe to run again after an interruption: it continues where it stopped.
    Exit 0 when every slot verified, 1 when any differs. Then point the
    environments at the new store in warden.yaml (`environments.<env>.store`).
    """
    from secretwarden.transfer.migrate import migrate as run_migration

    with workspace(ctx, "migrate") as ws:
        report = run_migration(ws, source, target, envs=list(envs) or None, dry_run=dry_run)
    if fmt == "json":
        echo_json({
            "from": report.source, "to": report.target, "envs": report.envs, "dry_run": report.dry_run,
            "ok": report.ok, "denied_fingerprints_missing": report.denied_missing,
            "slots": [{"slot": s.slot.label(), "copied": s.copied, "already_there": s.present,
                       "not_carried": s.not_carried, "compromised": s.compromised, "verified": s.verified,
                       "problem": s.problem, "retimed": s.retimed} for s in report.slots],
        })
    else:
        width = max([4, *(len(s.slot.label()) for s in report.slots)])
        click.echo(f"{'SLOT'.ljust(width)}  COPIED  ALREADY  NOT CARRIED  STATE")
        for s in report.slots:
            state = s.problem or ("compromised, " if s.compromised else "") + ("planned" if dry_run else "verified")
            click.echo(f"{s.slot.label().ljust(width)}  {s.copied:>6}  {s.present:>7}  {s.not_carried:>11}  {state}")
        verb = "would copy" if dry_run else "copied"
        copied = sum(s.copied for s in report.slots)
        summary = f"{verb} {copied} version(s) of {len(report.slots)} slot(s) from `{source}` to `{target}`"
        if report.denied_missing:
            summary += f"; {report.denied_missing} refused value(s) of deleted versions could not be carried"
        retimed = sum(s.retimed for s in report.slots)
        if retimed:  # values and order are right; only when they were written is not the source's
            summary += f"; {retimed} version(s) carry the time an interrupted run left them, not the source's"
        click.echo(summary + ("" if report.ok else "; NOT everything verified"), err=True)
    return 0 if report.ok else 1
