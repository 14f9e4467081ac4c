"""`warden incident open|close|list`: compromise handling."""

from __future__ import annotations

import click

from secretwarden.cli.common import echo_json, env_option, fmt_time, instance_option, workspace
from secretwarden.cli.partial import not_checked
from secretwarden.slots import parse_slot_name, printable


@click.group()
def incident() -> None:
    """Open, close and list incidents (compromised secrets)."""


@incident.command("open")
@click.argument("name", metavar="NAMESPACE/KEY")
@env_option
@instance_option
@click.option("--reason", required=True, help="What happened (goes into the incident register).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.pass_context
def open_(ctx: click.Context, name: str, env: str, instance: str | None, reason: str, dry_run: bool) -> None:
    """Mark a secret compromised: BLOCKED in status/check, refused by run, its values denied for good."""
    from secretwarden.ops.incident_copies import open_with_copies
    from secretwarden.ops.secrets import resolve_slot

    ns, key = parse_slot_name(name)
    with workspace(ctx, "incident") as ws:
        slot = resolve_slot(ws, env, ns, key, instance, undeclared_ok=True)
        opened = open_with_copies(ws, slot, reason, dry_run=dry_run)
    inc = opened.incident
    if dry_run:
        click.echo(f"dry run: would mark {slot.label()} compromised in store {inc.store} and open an incident; nothing changed")
        for copy in opened.copies:
            click.echo(f"dry run: would also mark {copy.slot.label()} (same value) compromised in store {copy.store}")
    else:
        click.echo(f"{inc.id} opened: {slot.label()} is marked compromised in store {inc.store}")
        for copy in opened.copies:
            click.echo(f"{copy.id} opened: {copy.slot.label()} holds the same value; marked compromised in store {copy.store}")
        for one in (inc, *opened.copies):
            click.echo(
                f"next: warden rotate {printable(one.slot.namespace)}/{printable(one.slot.key)} --env {printable(one.slot.env)}"
                + (f" --instance {printable(one.slot.instance)}" if one.slot.instance else "")
                + f", then warden incident close {one.id} --root-cause '...'"
            )
    for store_name in opened.unchecked:
        click.echo(
            f"warden: warning: store {store_name} did not answer: copies of this value there are not marked"
            " (hint: run `warden isolation` once it answers, and open an incident for each shared copy)",
            err=True,
        )


@incident.command("close")
@click.argument("incident_id", metavar="ID")
@click.option("--root-cause", "root_cause", required=True, help="Root-cause note (required).")
@click.option("--dry-run", is_flag=True, help="Check that it can close; change nothing.")
@click.pass_context
def close(ctx: click.Context, incident_id: str, root_cause: str, dry_run: bool) -> None:
    """Close an incident; refused until the secret was rotated after the incident opened."""
    from secretwarden.ops.incidents import close_incident

    with workspace(ctx, "incident") as ws:
        inc = close_incident(ws, incident_id, root_cause, dry_run=dry_run)
    if dry_run:
        click.echo(f"dry run: {inc.name} can close ({inc.slot.label()} rotated to v{inc.rotated_version}); nothing changed")
        return
    click.echo(f"{inc.name} closed: {inc.slot.label()} rotated to v{inc.rotated_version} after the incident opened")


@incident.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only incidents not closed yet.")
@click.option("--env", "-e", "envs", multiple=True, help="Only the stores of these environments (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
@click.pass_context
def list_(ctx: click.Context, only_open: bool, envs: tuple[str, ...], fmt: str) -> int:
    """Open and closed incidents, with their state (open / rotated / closed).

    Without --env, environments whose store does not answer are named as not
    checked and the exit code is 3; asked for by --env, the store's error stands."""
    from secretwarden.ops.incidents import incident_listing

    with workspace(ctx, "incident") as ws:
        listing = incident_listing(ws, include_closed=not only_open, envs=list(envs) or None, partial=not envs)
    rows, unreachable = listing.incidents, listing.unreachable
    if fmt == "json":
        echo_json([i.to_json() for i in rows])  # a list, as before: the stores left out go to stderr
    elif fmt == "markdown":
        click.echo("| Incident | Secret | Opened | State | Reason | Root cause |")
        click.echo("|---|---|---|---|---|---|")
        for i in rows:
            cells = [i.name, f"`{i.slot.label()}`", fmt_time(i.opened_at), i.state, i.reason, i.root_cause or "-"]
            # Reasons and root causes come from the register, written by anyone who may open one.
            click.echo("| " + " | ".join(printable(str(c).replace("|", "\\|")) for c in cells) + " |")
        for env, why in unreachable.items():
            click.echo(f"\n### Environment `{env}`: not checked\n\n" + why.replace("|", "\\|"))
    else:
        if not rows:
            click.echo("no incidents" + (" in the stores that answered" if unreachable else ""))
        for i in rows:
            colour = {"open": "red", "rotated": "yellow", "closed": "green"}[i.state]
            state = click.style(f"{i.state:<8}", fg=colour)
            tail = printable(f"root cause: {i.root_cause}" if i.root_cause else f"reason: {i.reason}")
            if i.state == "rotated":
                tail += f" (rotated to v{i.rotated_version}; ready to close)"
            click.echo(f"{i.name:<12} {state} {fmt_time(i.opened_at)}  {i.slot.label():<40} {tail}")
        for env, why in unreachable.items():
            click.echo(f"Environment {env}: not checked — {why}")
    return not_checked(unreachable, "warden incident list --env ENV")
