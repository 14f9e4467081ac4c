"""Commands about the contract itself: schema, validate, init."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from secretwarden.cli.common import echo_json


@click.command()
def schema() -> None:
    """Print the JSON Schema of warden.yaml (for editor completion and validation)."""
    from secretwarden.contract.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@click.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Check warden.yaml and print a summary."""
    from secretwarden.contract.loader import load_contract

    loaded = load_contract(ctx.find_root().obj.get("contract_path"), use_cache=False)
    c = loaded.contract
    keys = sum(len(s.secrets) for s in c.services.values())
    click.echo(
        f"{loaded.path}: ok — project {c.project}, {len(c.environments)} environment(s), "
        f"{len(c.namespaces)} namespace(s), {len(c.services)} service(s), {keys} key(s)"
    )


@click.command()
@click.argument("path", type=click.Path(file_okay=False, exists=True, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite an existing warden.yaml.")
@click.option("--dry-run", is_flag=True, help="Print what was found; write nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--project", default=None, help="Project name (default: the folder's name).")
def init(path: Path, force: bool, dry_run: bool, fmt: str, project: str | None) -> None:
    """Scaffold warden.yaml from the secret names a repository already uses.

    Reads names only (environment reads in code, .env.example, compose,
    Kubernetes, ExternalSecrets, Helm values); never reads or copies a value.
    """
    from secretwarden.contract.discovery import (
        check_target,
        discover,
        render_contract,
        write_contract,
    )

    target = path / "warden.yaml"
    if not dry_run:
        check_target(target, force=force)  # refuse before scanning, not after
    inventory = discover(path)
    # Render before printing so a bad --project fails before any output.
    text = render_contract(inventory, project or path.resolve().name)
    if fmt == "json":
        echo_json(inventory.to_json())
    else:
        _print_inventory(inventory)
    for skipped in inventory.skipped:
        click.echo(f"warden: skipped {skipped.path}: {skipped.reason}", err=True)
    for note in inventory.notes:
        click.echo(f"warden: {note}", err=True)
    summary = f"{inventory.count} name(s) in {len(inventory.by_service())} service(s)"
    if dry_run:
        click.echo(f"dry run: {summary}; {target} not written", err=True)
        return
    write_contract(target, text, force=force)
    click.echo(f"wrote {target} ({summary})", err=True)


def _print_inventory(inventory: Any) -> None:
    secrets = inventory.kubernetes_secrets()
    for service, names in inventory.by_service().items():
        click.echo(f"{service} ({len(names)} name(s))")
        for name, places in names.items():
            where = ", ".join(str(p) for p in places[:3])
            more = f" (+{len(places) - 3} more)" if len(places) > 3 else ""
            click.echo(f"  {name:<40} {where}{more}")
        for secret, places in secrets.get(service, {}).items():
            click.echo(f"  [Kubernetes Secret] {secret:<22} {', '.join(str(p) for p in places[:3])}")
