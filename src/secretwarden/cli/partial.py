"""How a report of every store says that some stores did not answer (`status`'s wording)."""

from __future__ import annotations

import click

from secretwarden.errors import EXIT_STORE


def not_checked(unreachable: dict[str, str], narrower: str, *, hint: str | None = None) -> int:
    """The exit code of a report that left `unreachable` (what -> why) out: 3 with an error line
    and a hint on stderr, else 0. The report itself is complete for the rest, never a PASS.

    `hint` replaces the default one (narrow the report to the environments that answer) where
    narrowing cannot help: `status`'s isolation section compares every store whatever `--env` says."""
    if not unreachable:
        return 0
    click.echo(f"warden: error: not checked: {', '.join(unreachable)}; their store did not answer", err=True)
    if hint is None:
        hint = f"`{narrower}` reads one environment; check the store's address and credentials for the others"
    click.echo(f"hint: {hint}", err=True)
    return EXIT_STORE
