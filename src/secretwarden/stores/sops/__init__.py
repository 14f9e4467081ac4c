"""The `sops` store backend: `backend.open_store` is its entry in the registry.

The names below are the backend's public API for the rest of warden (`admin/`
manages `.sops.yaml` and recipients, `lint/` checks SOPS files); anything else
in this folder is internal. They load on first use, so opening a store or
importing one submodule does not import the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_WHERE = {
    "recipients_option": "backend",
    "sops_config_path": "backend",
    "AGE_RECIPIENT": "config",
    "CreationRule": "config",
    "env_path_regex": "config",
    "load_rules": "config",
    "render_rules": "config",
    "rule_for": "config",
    "SIDECAR_SUFFIX": "files",
    "FileUnit": "files",
    "FileView": "files",
    "SopsLayout": "files",
    "format_of": "files",
    "parse_view": "files",
    "read_view": "files",
    "SopsStore": "store",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
