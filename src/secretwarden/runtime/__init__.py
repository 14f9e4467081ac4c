"""The application side of Secret Warden: fail-fast settings and log redaction.

    from secretwarden.runtime import require
    settings = require("payment")          # exits with a list of problems if anything is wrong
    settings.STRIPE_SECRET_KEY.get_secret_value()

Everything is imported on first use, so importing this package is cheap
(see docs/runtime.md for the measured cost).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secretwarden.errors import SettingsInvalid
    from secretwarden.runtime.settings import load_settings, plan_for, require, secret_values

__all__ = ["SettingsInvalid", "load_settings", "plan_for", "require", "secret_values"]

_LAZY = {
    "load_settings": "secretwarden.runtime.settings",
    "require": "secretwarden.runtime.settings",
    "secret_values": "secretwarden.runtime.settings",
    "plan_for": "secretwarden.runtime.settings",
    "SettingsInvalid": "secretwarden.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # here: `warden run`'s fast path imports this package and never asks

    return getattr(importlib.import_module(module), name)
