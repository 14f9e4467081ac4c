"""The application side of Secret Warden: fail-fast settings and log redaction.

    from secretwarden.runtime import require
    settings = require("payment")          # exits with a list of problems if anything is wrong
    settings.STRIPE_SECRET_KEY.get_secret_value()

Everything is imported on first use, so importing this package is cheap
(see docs/runtime.md for the measured cost).
"""

from __future__ import annotations

from secretwarden.lazy_names import LazyNames

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from secretwarden.errors import SettingsInvalid
    from secretwarden.runtime.settings import load_settings, plan_for, require, secret_values
else:
    __getattr__ = LazyNames(__name__, {
        "secretwarden.runtime.settings": ("load_settings", "plan_for", "require", "secret_values"),
        "secretwarden.errors": ("SettingsInvalid",),
    })

__all__ = ["SettingsInvalid", "load_settings", "plan_for", "require", "secret_values"]
