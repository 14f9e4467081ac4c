"""The source registry: one module per kind of file that names secrets.

Adding a source is one module here (with `KIND`, `wants`, `scan`; see
`base.py`) and its name in `load_sources` (twice). The modules are imported
there, on first use, and returned as `Source`s, so mypy checks each against
the protocol: a renamed or missing `scan` fails the type check, not `warden init`.
"""

from __future__ import annotations

from functools import cache

from secretwarden.contract.discovery.sources.base import Source, SourceError


@cache
def load_sources() -> tuple[Source, ...]:
    """Every source, in the order discovery asks them."""
    from secretwarden.contract.discovery.sources import (
        compose,
        dockerfile,
        dotenv,
        external_secrets,
        github_actions,
        golang,
        helm,
        java,
        javascript,
        kubernetes,
        python,
        ruby,
        shell,
        spring,
    )

    return (python, javascript, golang, ruby, java, shell, dotenv, compose, kubernetes, external_secrets, helm,
            github_actions, dockerfile, spring)


def source_kinds() -> tuple[str, ...]:
    """The kinds users see, from the modules themselves (no second list)."""
    return tuple(source.KIND for source in load_sources())


__all__ = ["Source", "SourceError", "load_sources", "source_kinds"]
