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
    """Detect edited, removed, reordered or truncated entries (exit 1 when found).

    Also checks the chains of the rotation log and the incident register, when present.
    """
    from secretwarden.ops.journal import incident_journal, rotation_journal

    with workspace(ctx, "audit") as ws:
        verdict = ws.audit.verify()
        journals = [j for j in (rotation_journal(ws.audit.path), incident_journal(ws.audit.path)) if j.path.exists()]
    rc = 0
    if verdict.ok:
        click.echo(f"{verdict.path}: ok ({verdict.entries} entries, chain intact)")
    else:
        click.echo(f"{verdict.path}: TAMPERED ({len(verdict.problems)} problem(s) in {verdict.entries} entries)")
        for problem in verdict.problems:
            click.echo(f"  {problem}")
        rc = EXIT_POLICY
    for journal in journals:
        problems = journal.verify()
        click.echo(f"{journal.path}: " + (f"TAMPERED ({len(problems)} problem(s))" if problems else "ok (chain intact)"))
        for problem in problems:
            click.echo(f"  {problem}")
        rc = EXIT_POLICY if problems else rc
    return rc


@audit.command("log")
@click.option("--key", default=None, help="Only entries about this key (KEY or NAMESPACE/KEY).")
@click.option("--service", default=None)
@click.option("--env", default=None)
@click.option("--since", default=None, help="ISO date or time, e.g. 2026-01-31.")
@click.option("--command", "command", default=None, help="Only this command (run, check, rotate, incident-open, ...).")
@click.option("--outcome", type=click.Choice(["ok", "refused", "error"]), default=None)
@click.option("--incident", default=None, help="Only entries about this incident id.")
@click.option("--limit", type=int, default=None, help="Only the last N matching entries.")
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
        where = "/".join(str(e[f]) for f in ("namespace", "key") if e.get(f))
        scope = " ".join(f"{f}={e[f]}" for f in ("service", "env", "instance", "incident") if e.get(f))
        # Scope of a run/check: which keys it read, in which process.
        if e.get("keys"):
            scope += f" keys={','.join(str(k) for k in e['keys'])}"
        if e.get("pid"):
            scope += f" pid={e['pid']}"
        click.echo(f"{e.get('time', '')[:19]}  {e.get('user', ''):<10} {e.get('command', ''):<10} {e.get('outcome', ''):<8} {scope} {where}".rstrip())
