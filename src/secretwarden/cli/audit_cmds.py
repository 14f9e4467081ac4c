"""`warden audit verify|log`: check and read the hash-chained audit log."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, workspace
from secretwarden.errors import EXIT_POLICY


@click.group()
def audit() -> None:
    """Read and verify the audit log."""


@audit.command()
@click.pass_context
def verify(ctx: click.Context) -> int:
    """Detect edited, removed, reordered or truncated entries, a deleted log and unaudited writes (exit 1).

    Also checks the chains of the rotation log and the incident register, when present.
    """
    from secretwarden.ops.audit_check import verify_audit

    with workspace(ctx, "audit") as ws:
        report = verify_audit(ws)
    verdict = report.log
    if verdict.ok:
        click.echo(f"{verdict.path}: ok ({verdict.entries} entries, chain intact)")
    else:
        click.echo(f"{verdict.path}: TAMPERED ({len(verdict.problems)} problem(s) in {verdict.entries} entries)")
        for problem in verdict.problems:
            click.echo(f"  {problem}")
    if verdict.foreign:
        click.echo(f"  note: {verdict.foreign} entries were made with other users' audit keys; only they can check them")
    for journal in report.journals:
        problems = journal.problems
        click.echo(f"{journal.path}: " + (f"TAMPERED ({len(problems)} problem(s))" if problems else "ok (chain intact)"))
        for problem in problems:
            click.echo(f"  {problem}")
    if report.store_problems:
        click.echo(f"stores: TAMPERED or incomplete ({len(report.store_problems)} problem(s))")
        for problem in report.store_problems:
            click.echo(f"  {problem}")
    return 0 if report.ok else EXIT_POLICY


@audit.command("log")
@click.option("--key", default=None, help="Only entries about this key (KEY or NAMESPACE/KEY).")
@click.option("--service", default=None)
@click.option("--env", default=None)
@click.option("--since", default=None, help="ISO date or time, e.g. 2026-01-31.")
@click.option("--command", "command", default=None, help="Only this command (run, check, rotate, incident-open, ...).")
@click.option("--outcome", type=click.Choice(["ok", "refused", "error"]), default=None)
@click.option("--incident", default=None, help="Only entries about this incident id.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the last N matching entries.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def log(ctx: click.Context, key: str | None, service: str | None, env: str | None, since: str | None, command: str | None, outcome: str | None, incident: str | None, limit: int | None, fmt: str) -> None:
    """Show audit entries, filtered."""
    from secretwarden.audit.query import filter_entries

    with workspace(ctx, "audit") as ws:
        rows = filter_entries(
            ws.audit.entries(), key=key, service=service, env=env, since=since, command=command, outcome=outcome, incident=incident
        )
    if limit is not None:
        rows = rows[-limit:]
    if fmt == "json":
        echo_json(rows)
        return
    for e in rows:
        e = {k: v if isinstance(v, (str, int, float, bool, type(None), list)) else str(v) for k, v in e.items()}
        where = "/".join(str(e[f]) for f in ("namespace", "key") if e.get(f))
        scope = " ".join(f"{f}={e[f]}" for f in ("service", "env", "instance", "incident") if e.get(f))
        # Scope of a run/check: which keys it read, in which process.
        keys = e.get("keys")
        if keys:
            scope += f" keys={','.join(str(k) for k in keys) if isinstance(keys, list) else keys}"
        if e.get("pid"):
            scope += f" pid={e['pid']}"
        cols = (str(e.get(f, "")) for f in ("time", "user", "command", "outcome"))
        time, user, cmd, outcome = cols
        click.echo(f"{time[:19]}  {user:<10} {cmd:<10} {outcome:<8} {scope} {where}".rstrip())
