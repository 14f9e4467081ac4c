"""Registry adapter for the embedded store (options: `path`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from secretwarden.stores.embedded.store import EmbeddedStore
from secretwarden.stores.spec import Access, StoreSpec


def store_path(spec: StoreSpec) -> Path:
    raw = spec.options.get("path") or f".warden/{spec.name}.db"
    path = Path(str(raw)).expanduser()
    return path if path.is_absolute() else spec.root / path


def open_store(
    spec: StoreSpec,
    *,
    access: Access,
    fingerprinter: Callable[[str], str] | None,
    clock: Callable[[], dt.datetime] | None,
) -> EmbeddedStore:
    unknown = set(spec.options) - {"path"}
    if unknown:
        from secretwarden.errors import ContractError

        raise ContractError(f"store `{spec.name}`: unknown embedded option(s): {', '.join(sorted(unknown))}")
    kwargs = {"clock": clock} if clock is not None else {}
    return EmbeddedStore(
        spec.name,
        store_path(spec),
        access=access,
        create=access == "secrets",
        fingerprinter=fingerprinter,
        forbidden_key_root=spec.root,
        **kwargs,
    )
