"""`warden import`: bring values from .env files, Compose env files, exports, Vault paths and SOPS files."""

from __future__ import annotations

from pathlib import Path

import click

from secretwarden.cli.common import echo_json, env_option, instance_option, workspace
from secretwarden.transfer.sources import KINDS


@click.command("import")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@env_option
@click.option("--from", "kind", type=click.Choice(KINDS), default=None,
              help="Kind of source (default: from the name; `vault:MOUNT/PATH` reads a KV v2 path).")
@click.option("--namespace", "-n", default=None, help="Put every name into this namespace (KEY = the name).")
@click.option("--mapping", type=click.Path(dir_okay=False, exists=True),
              help="YAML file of `SOURCE_NAME: namespace/KEY` (or `skip`).")
@instance_option
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--allow-invalid", is_flag=True, help="Also import values that fail their format check.")
@click.option("--delete-source", is_flag=True,
              help="Delete the source files after a complete import (nothing refused).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def import_(ctx: click.Context, sources: tuple[str, ...], env: str, kind: str | None, namespace: str | None,
            mapping: str | None, instance: str | None, dry_run: bool, allow_invalid: bool, delete_source: bool,
            fmt: str) -> int:
    """Import values into the store: a dry-run table (name → slot, never a value), then the writes.

    Exit 0 when every mapped value was imported or already there, 1 when some
    were refused (placeholders, invalid formats, ambiguous names).
    """
    from typing import cast

    from secretwarden.errors import UsageError
    from secretwarden.transfer.importing import apply_import, load_mapping, plan_import
    from secretwarden.transfer.sources import Kind, source_files

    if delete_source and dry_run:
        raise UsageError("--delete-source does nothing with --dry-run")
    files = source_files(sources, cast("Kind | None", kind))
    if delete_source and len(files) != len(sources):
        raise UsageError("--delete-source deletes files; a Vault path is not deleted by import")
    with workspace(ctx, "import") as ws:
        plan, pending = plan_import(
            ws, list(sources), env=env, kind=cast("Kind | None", kind), namespace=namespace,
            mapping=load_mapping(Path(mapping)) if mapping else None, instance=instance,
            allow_invalid=allow_invalid,
        )
        if not dry_run:
            apply_import(ws, plan, pending, delete_sources=files if delete_source else None)
    if fmt == "json":
        echo_json({
            "env": plan.env,
            "dry_run": dry_run,
            "rows": [{"name": r.name, "origin": r.origin, "slot": r.slot.label() if r.slot else None,
                      "status": r.status, "note": r.note} for r in plan.rows],
            "written": [s.label() for s in plan.written],
            "deleted_sources": plan.deleted_sources,
            "notes": plan.notes,
        })
    else:
        _table(plan, dry_run)
    return 1 if plan.refused else 0


def _table(plan: object, dry_run: bool) -> None:
    from secretwarden.transfer.importing import ImportPlan

    assert isinstance(plan, ImportPlan)
    headers = ("NAME", "FROM", "SLOT", "STATUS", "NOTE")
    rows = [(r.name, r.origin, r.slot.label() if r.slot else "-", r.status, r.note) for r in plan.rows]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers[:4])]
    for row in [headers, *rows]:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    for note in plan.notes:
        click.echo(f"note: {note}", err=True)
    verb = "would write" if dry_run else "wrote"
    summary = f"{verb} {plan.to_write if dry_run else len(plan.written)} value(s) to {plan.env}; " \
              f"{plan.count('same')} already current, {plan.count('skipped')} skipped, {len(plan.refused)} refused"
    if plan.deleted_sources:
        summary += f"; deleted {', '.join(plan.deleted_sources)}"
    click.echo(summary, err=True)
