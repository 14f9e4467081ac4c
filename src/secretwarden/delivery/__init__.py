"""Delivery of a service's secrets to where it runs: CI and hosting platforms (`warden sync`).

One module per platform, each a `Platform` built from the command's options;
`PLATFORMS` maps the `--to` names to their factories (mypy checks each entry).
"""

from __future__ import annotations

from collections.abc import Callable

from secretwarden.delivery import fly, github, render
from secretwarden.delivery.base import Platform, TargetOptions

PLATFORMS: dict[str, Callable[[TargetOptions], Platform]] = {
    "github": github.platform,
    "fly": fly.platform,
    "render": render.platform,
}
