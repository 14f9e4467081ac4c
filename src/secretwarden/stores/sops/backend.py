"""Registry adapter for the sops store.

Options (all optional):

* `path`: file template, default `secrets/{env}/{namespace}.enc.<ext>`
* `instance_path`: template for per-instance files, default: `path` with
  `{namespace}` replaced by `{instance}/{namespace}`
* `format`: `yaml` (default), `json` or `dotenv`
* `age`: recipients (a list or a comma-separated string) for new files; when
  absent, the creation rules of `.sops.yaml` decide
* `sops_config`: path of `.sops.yaml` (default: the one beside warden.yaml)

Identities are never options: sops reads them from `SOPS_AGE_KEY_FILE`,
`SOPS_AGE_KEY` or its default key file, exactly as it does on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretwarden.errors import ContractError
from secretwarden.stores.sops.files import SopsLayout
from secretwarden.stores.sops.store import SopsStore
from secretwarden.stores.spec import Access, StoreSpec

if TYPE_CHECKING:
    from secretwarden.crypto.fingerprint import Fingerprinter

OPTIONS = {"path", "instance_path", "format", "age", "sops_config"}


def recipients_option(raw: Any, store: str) -> list[str]:
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ContractError(f"store `{store}`: `age` must be a list of age recipients or a comma-separated string")
    return [i.strip() for i in items if i.strip()]


def sops_config_path(spec: StoreSpec) -> Path | None:
    raw = spec.options.get("sops_config")
    if raw:
        path = Path(str(raw)).expanduser()
        path = path if path.is_absolute() else spec.root / path
        if not path.is_file():
            raise ContractError(f"store `{spec.name}`: sops_config {path} does not exist")
        return path
    default = spec.root / ".sops.yaml"
    # Anything there (even a device or a pipe) is named to sops, so run_sops can refuse it:
    # left to its own search, sops would read a .sops.yaml linked to /dev/zero without end.
    return default if default.exists() else None


def open_store(
    spec: StoreSpec,
    *,
    access: Access,
    fingerprinter: Callable[[str], str] | None,
    clock: Callable[[], dt.datetime] | None,
) -> SopsStore:
    unknown = set(spec.options) - OPTIONS
    if unknown:
        raise ContractError(
            f"store `{spec.name}`: unknown sops option(s): {', '.join(sorted(unknown))}",
            hint="sops options: " + ", ".join(sorted(OPTIONS)),
        )
    return SopsStore(
        spec.name,
        SopsLayout.from_options(spec.root, spec.options, spec.name),
        access=access,
        recipients=recipients_option(spec.options.get("age"), spec.name),
        sops_config=sops_config_path(spec),
        fingerprinter=fingerprinter,
        clock=clock,
        meta_keys=_meta_keys(spec, fingerprinter),
    )


def _meta_keys(spec: StoreSpec, fingerprinter: Callable[[str], str] | None) -> Fingerprinter:
    """What checks the signed sidecars: the writer's fingerprint key, or for a metadata
    reader the project's key when this machine has it (loaded, never created)."""
    from secretwarden.crypto.fingerprint import Fingerprinter, fingerprinter_for

    if isinstance(fingerprinter, Fingerprinter):
        return fingerprinter
    return fingerprinter_for(spec.project, forbidden_root=spec.root)
