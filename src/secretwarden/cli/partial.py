"""How a report of every store says that some stores did not answer (`status`'s wording)."""

from __future__ import annotations

import click

from secretwarden.errors import EXIT_STORE


def not_checked(unreachable: dict[str, str], narrower: str) -> int:
    """The exit code of a report that left `unreachable` (env -> why) out: 3 with an error line
    and a hint on stderr, else 0. The report itself is complete for the rest, never a PASS."""
    if not unreachable:
        return 0
    click.echo(f"warden: error: not checked: {', '.join(unreachable)}; their store did not answer", err=True)
    click.echo(
        f"hint: `{narrower}` reads one environment; check the store's address and credentials for the others",
        err=True,
    )
    return EXIT_STORE
