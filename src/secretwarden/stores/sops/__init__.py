"""The `sops` store backend: `backend.open_store` is its entry in the registry.

The names below are the backend's public API for the rest of warden (`admin/`
manages `.sops.yaml` and recipients, `lint/` checks SOPS files); anything else
in this folder is internal. They load on first use, so opening a store or
importing one submodule does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.lazy_names import LazyNames

if TYPE_CHECKING:
    from secretwarden.stores.sops.backend import recipients_option, sops_config_path
    from secretwarden.stores.sops.config import (
        AGE_RECIPIENT,
        CreationRule,
        env_path_regex,
        load_rules,
        render_rules,
        rule_for,
    )
    from secretwarden.stores.sops.files import (
        SIDECAR_SUFFIX,
        FileUnit,
        FileView,
        SopsLayout,
        format_of,
        parse_view,
        read_view,
    )
    from secretwarden.stores.sops.store import SopsStore
else:
    __getattr__ = LazyNames(__name__, {
        "secretwarden.stores.sops.backend": ("recipients_option", "sops_config_path"),
        "secretwarden.stores.sops.config": (
            "AGE_RECIPIENT", "CreationRule", "env_path_regex", "load_rules", "render_rules", "rule_for",
        ),
        "secretwarden.stores.sops.files": (
            "SIDECAR_SUFFIX", "FileUnit", "FileView", "SopsLayout", "format_of", "parse_view", "read_view",
        ),
        "secretwarden.stores.sops.store": ("SopsStore",),
    })

__all__ = [
    "AGE_RECIPIENT",
    "SIDECAR_SUFFIX",
    "CreationRule",
    "FileUnit",
    "FileView",
    "SopsLayout",
    "SopsStore",
    "env_path_regex",
    "format_of",
    "load_rules",
    "parse_view",
    "read_view",
    "recipients_option",
    "render_rules",
    "rule_for",
    "sops_config_path",
]

