"""`warden init`: find the secret names a repository already uses, scaffold a contract.

Names and places only: no source captures a value, and nothing that is
printed, serialised or written comes from one. See docs/init.md.

Layout: `files` walks the tree (gitignore, size and binary limits),
`sources/` holds one module per kind of file (registry in
`sources/__init__.py`), `services` maps paths to services, `names` holds the
name heuristics, `scan.discover` ties them together and `render` writes YAML.
"""

from __future__ import annotations

from secretwarden.contract.discovery.model import Finding, Inventory, Place, Skipped
from secretwarden.contract.discovery.render import check_target, render_contract, write_contract
from secretwarden.contract.discovery.scan import discover

__all__ = [
    "Finding",
    "Inventory",
    "Place",
    "Skipped",
    "check_target",
    "discover",
    "render_contract",
    "write_contract",
]
