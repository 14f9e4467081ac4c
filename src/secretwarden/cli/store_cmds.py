"""`warden store verify`: integrity of the stores the contract names."""

from __future__ import annotations

import click

from secretwarden.cli.common import workspace
from secretwarden.errors import EXIT_POLICY


@click.group()
def store() -> None:
    """Maintenance of the stores themselves."""


@store.command()
@click.option("--deep", is_flag=True, help="Also authenticate every stored ciphertext (needs the key).")
@click.pass_context
def verify(ctx: click.Context, deep: bool) -> int:
    """Check each store's consistency; exit 1 when a problem is found."""
    from secretwarden.ops.store_check import verify_stores

    with workspace(ctx, "store") as ws:
        verdicts = verify_stores(ws, deep=deep)
    for v in verdicts:
        if not v.supported:
            click.echo(f"{v.store} ({v.backend}): no self-check available for this backend")
        elif v.ok:
            click.echo(f"{v.store} ({v.backend}): ok")
        else:
            click.echo(f"{v.store} ({v.backend}): {len(v.problems)} problem(s)")
            for p in v.problems:
                click.echo(f"  {p}")
    return 0 if all(v.ok for v in verdicts) else EXIT_POLICY
