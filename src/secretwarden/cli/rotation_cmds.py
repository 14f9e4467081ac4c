"""`warden rotation status|log` and `warden rotate`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from typing import TYPE_CHECKING

import click

from secretwarden.cli.common import echo_json, env_option, fmt_time, instance_option, workspace
from secretwarden.errors import EXIT_POLICY, UsageError
from secretwarden.slots import parse_slot_name, printable

if TYPE_CHECKING:
    from secretwarden.ops.rotation import RotationLogEntry, RotationReport, RotationRow


def _cadence(value: dt.timedelta | None) -> str:
    if value is None:
        return "-"
    days = value.total_seconds() / 86400
    return f"{days:g}d"


def _md(text: object) -> str:
    # Owners and notes are free text (the contract, other writers' journal entries): shown, never obeyed.
    return printable(str(text).replace("|", "\\|").replace("\n", " "))


_COLOUR = {"ok": "green", "never-rotated": "cyan", "due": "yellow", "overdue": "red", "compromised": "red", "missing": "red"}


def _summary(report: RotationReport) -> str:
    states = ("overdue", "compromised", "due", "never-rotated", "ok", "missing", "no-cadence")
    return ", ".join(f"{report.count(s)} {s}" for s in states if report.count(s))


def _state_label(r: RotationRow, now: dt.datetime) -> str:
    if r.state == "due":
        return f"due in {r.days_left(now)}d"
    if r.state == "overdue":
        return f"overdue {-(r.days_left(now) or 0)}d"
    if r.incident is not None:  # named as `run` and `check` name it, a name `incident close` takes
        return f"{r.state} (incident {r.incident})"
    return r.state


def _table(report: RotationReport, verbose: bool) -> str:
    now = report.generated_at
    lines = [f"Project {report.project} — rotation status, {fmt_time(now)} UTC (due = within {report.due_within.days}d)"]
    shown = report.rows if verbose else [r for r in report.rows if r.state not in ("ok", "never-rotated", "no-cadence")]
    if shown:
        lines.append(f"  {'SECRET':<48} {'OWNER':<18} {'EVERY':>6} {'LAST ROTATED':<17} {'DUE':<11} STATE")
    for r in shown:
        due = r.due_at.strftime("%Y-%m-%d") if r.due_at else "-"
        state = click.style(_state_label(r, now), fg=_COLOUR.get(r.state))
        lines.append(
            f"  {r.slot.label():<48} {printable(r.owner or '-'):<18} {_cadence(r.cadence):>6} {fmt_time(r.last_rotated):<17} {due:<11} {state}"
        )
    if not verbose and len(shown) < len(report.rows):
        lines.append(f"  ({len(report.rows) - len(shown)} key(s) in order; --verbose lists them)")
    verdict = "PASS" if report.ok else f"FAIL: {len(report.failing)} key(s) overdue or compromised"
    lines.append(f"Summary: {_summary(report) or 'no keys'}. " + click.style(verdict, fg="green" if report.ok else "red", bold=True))
    return "\n".join(lines)


def _markdown(report: RotationReport) -> str:
    now = report.generated_at
    out = [
        f"## Rotation status — {report.project}",
        "",
        f"Generated {fmt_time(now)} UTC. {_summary(report) or 'No keys'}.",
        "",
        "| Secret | Environment | Owner | Rotate every | Last rotated | Due | State |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        inst = f"@{r.slot.instance}" if r.slot.instance else ""
        due = r.due_at.strftime("%Y-%m-%d") if r.due_at else "-"
        out.append(
            f"| `{_md(r.slot.namespace + '/' + r.slot.key + inst)}` | {_md(r.slot.env)} | {_md(r.owner or '-')} | {_cadence(r.cadence)} "
            f"| {fmt_time(r.last_rotated)} | {due} | {_state_label(r, now)} |"
        )
    return "\n".join(out) + "\n"


@click.group()
def rotation() -> None:
    """Rotation status and the rotation log."""


@rotation.command("status")
@click.option("--env", "-e", "envs", multiple=True, help="Environment(s) to report (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
@click.option("--due-within", "due_within", type=click.IntRange(min=0), default=14, show_default=True, help="Days before the due date a key counts as due.")
@click.option("--strict", is_flag=True, help="Exit 1 when any key is overdue or compromised (for CI).")
@click.option("--include-config", is_flag=True, help="Also list `sensitive: false` configuration values.")
@click.option("--verbose", "-v", is_flag=True, help="List every key in the table, not only those needing action.")
@click.pass_context
def status(ctx: click.Context, envs: tuple[str, ...], fmt: str, due_within: int, strict: bool, include_config: bool, verbose: bool) -> int:
    """Age of every secret against its cadence, from metadata only."""
    from secretwarden.ops.rotation import rotation_status

    with workspace(ctx, "rotation") as ws:
        report = rotation_status(ws, list(envs) or None, due_within=dt.timedelta(days=due_within), include_config=include_config)
    if fmt == "json":
        from secretwarden.cli.render_rotation import write_rotation_json

        write_rotation_json(report, due_within, sys.stdout)
    elif fmt == "markdown":
        click.echo(_markdown(report), nl=False)
    else:
        click.echo(_table(report, verbose))
    return EXIT_POLICY if strict and not report.ok else 0


def _log_markdown(rows: list[RotationLogEntry]) -> str:
    out = ["| Date | Secret | Environment | Owner | Notes |", "|---|---|---|---|---|"]
    for e in rows:
        out.append(f"| {_md(e.time[:10])} | `{_md(e.secret)}` | {_md(e.slot.env)} | {_md(e.owner or '-')} | {_md(e.notes)} |")
    return "\n".join(out) + "\n"


def _log_csv(rows: list[RotationLogEntry]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Date", "Secret", "Environment", "Owner", "Notes"])
    for e in rows:
        writer.writerow([printable(str(cell)) for cell in (e.time, e.secret, e.slot.env, e.owner or "", e.notes)])
    return buf.getvalue()


@rotation.command("log")
@click.option("--env", "-e", "env", default=None, help="Only this environment.")
@click.option("--since", default=None, help="ISO date or time, e.g. 2026-01-01.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "csv", "json"]), default="markdown")
@click.pass_context
def log(ctx: click.Context, env: str | None, since: str | None, fmt: str) -> int:
    """The rotation log: Date | Secret | Environment | Owner | Notes.

    Without --env, environments whose store does not answer are named as not
    checked and the exit code is 3; asked for by --env, the store's error stands."""
    from secretwarden.cli.partial import not_checked
    from secretwarden.ops.rotation import rotation_log

    start = None
    if since:
        try:
            start = dt.datetime.fromisoformat(since)
        except ValueError:
            raise UsageError(f"--since `{since}` is not an ISO date or time", hint="use an ISO date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00+00:00") from None
        start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    unreachable: dict[str, str] = {}
    with workspace(ctx, "rotation") as ws:
        rows = rotation_log(ws, env=env, since=start, unreachable=unreachable if env is None else None)
    if fmt == "json":
        echo_json([e.to_json() for e in rows])  # a list, as before: the stores left out go to stderr
    elif fmt == "csv":
        click.echo(_log_csv(rows), nl=False)
    else:
        click.echo(_log_markdown(rows), nl=False)
        for name, why in unreachable.items():
            click.echo(f"\n### Environment `{name}`: not checked\n\n" + _md(why))
    return not_checked(unreachable, "warden rotation log --env ENV")


@rotation.command("restore")
@click.pass_context
def restore(ctx: click.Context) -> None:
    """Write again the journal entries this machine wrote that a store lost (a SOPS merge conflict
    resolved with the other clone's lines), as `warden audit verify` lists them."""
    from secretwarden.ops.journal import restore_dropped_entries

    with workspace(ctx, "rotation") as ws:
        restored, remake = restore_dropped_entries(ws)
    for e in restored:
        click.echo(f"restored: rotation of {e.get('env')}:{e.get('namespace')}/{e.get('key')} at {e.get('time')} "
                   f"(was entry {e['restored'].get('seq')}, now entry {e.get('seq')})")
    for e in remake:
        command = "open" if e.get("event") == "open" else f"close {e.get('id')}"
        click.echo(f"not restored: incident {e.get('event')} {e.get('id')} of {e.get('env')}:{e.get('namespace')}/"
                   f"{e.get('key')} at {e.get('time')} — its number may be another incident's now: "
                   f"run `warden incident {command}` again if it is still needed")
    if not restored and not remake:
        click.echo("nothing to restore: every entry this machine wrote is in its journal")


@click.command()
@click.argument("name", metavar="NAMESPACE/KEY", required=False)
@env_option
@instance_option
@click.option("--data-key", "data_key", is_flag=True, help="Rotate the data keys of the environment's files (SOPS), values unchanged; NAME may be a namespace.")
@click.option("--generate", "use_generate", is_flag=True, help="Make the new value from the key's generate rule.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Read the new value from stdin (else a hidden prompt).")
@click.option("--reason", default="", help="Why (goes into the rotation log).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Record every runbook step as confirmed.")
@click.pass_context
def rotate(ctx: click.Context, name: str | None, env: str, instance: str | None, data_key: bool, use_generate: bool, use_stdin: bool, reason: str, dry_run: bool, assume_yes: bool) -> int:
    """Write a new version of a secret and log the rotation (runbook steps are printed and confirmed).

    With --data-key, rotate the data keys that encrypt the environment's values instead.
    """
    from secretwarden.cli.common import read_value
    from secretwarden.ops import rotation as ops
    from secretwarden.ops.secrets import resolve_slot

    if data_key:
        if use_generate or use_stdin:
            raise UsageError("--data-key changes no value: drop --generate/--stdin")
        namespace = name.split("/", 1)[0] if name else None
        with workspace(ctx, "rotate") as ws:
            rotated = ops.rotate_data_keys(ws, env, namespace=namespace, reason=reason, dry_run=dry_run)
        if dry_run:
            click.echo(f"dry run: would rotate the data keys of {env}" + (f" / {namespace}" if namespace else "") + "; nothing written")
        else:
            click.echo(f"rotated {len(rotated)} data key(s) in {env}; logged")
            for item in rotated:
                click.echo(f"  {item.location}")
        return 0
    if not name:
        raise UsageError("name the key to rotate: NAMESPACE/KEY", hint="or pass --data-key to rotate data keys")

    if use_generate and use_stdin:
        raise UsageError("--generate and --stdin exclude each other")
    ns, key = parse_slot_name(name)
    with workspace(ctx, "rotate") as ws:
        slot = resolve_slot(ws, env, ns, key, instance)
        if use_generate:
            ops.generate_rule(ws, slot)  # fail before anything is printed or asked
        steps = ops.runbook_steps(ws, slot)
        if steps:
            click.echo(f"Runbook for {printable(slot.namespace + '/' + slot.key)}:", err=True)
            for i, s in enumerate(steps, 1):
                click.echo(f"  {i}. {printable(s.step)}", err=True)
        value = None
        if not dry_run and not use_generate:
            if not use_stdin and not sys.stdin.isatty():
                raise UsageError("no terminal to prompt for the new value", hint="pass --stdin or --generate")
            value = read_value(from_flag=None, prompt_name=f"{slot.label()} (new value)")
        can_ask = sys.stdin.isatty() and not use_stdin and not assume_yes

        def confirm(step: str) -> bool:
            return can_ask and click.confirm(f"Done: {printable(step)}?", default=False, err=True)

        result = ops.rotate(
            ws, slot, value=value, generate=use_generate, reason=reason, dry_run=dry_run, confirm=confirm, assume_yes=assume_yes
        )
    if result.dry_run:
        nxt = (result.previous_version or 0) + 1
        click.echo(f"dry run: would write {slot.label()} v{nxt} ({'generated' if use_generate else 'value from stdin/prompt'}) in store {result.store}; nothing written")
        for inc in result.incidents:
            click.echo(f"  would answer open incident {inc}")
        return 0
    click.echo(f"{slot.label()}: rotated to version {result.version} (was v{result.previous_version or '-'}); logged")
    for inc in result.incidents:
        click.echo(f"  incident {inc} can now be closed: warden incident close {inc} --root-cause '...'")
    if result.unconfirmed:
        click.echo(f"  {len(result.unconfirmed)} runbook step(s) not confirmed (recorded as such):", err=True)
        for step in result.unconfirmed:
            click.echo(f"    - {printable(step)}", err=True)
    return 0


@rotation.command("calendar")
@click.option("--env", "-e", "envs", multiple=True, help="Environment(s) to include (default: all).")
@click.option("--out", "-o", default=None, type=click.Path(dir_okay=False),
              help="Write the .ics file here (default: print it).")
@click.pass_context
def calendar(ctx: click.Context, envs: tuple[str, ...], out: str | None) -> None:
    """Rotation due dates as an iCalendar (.ics) file with owners, from metadata only."""
    from pathlib import Path

    from secretwarden.ops.rotation import rotation_status
    from secretwarden.paths import write_output
    from secretwarden.render.calendar import rotation_calendar

    with workspace(ctx, "rotation") as ws:
        report = rotation_status(ws, list(envs) or None)
    text = rotation_calendar(report)
    if out is None:
        click.echo(text, nl=False)
        return
    write_output(Path(out), text, what="calendar")
    events = text.count("BEGIN:VEVENT")
    click.echo(f"wrote {out} ({events} rotation event(s))", err=True)
