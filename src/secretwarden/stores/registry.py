"""Backend registry: backend name -> module that provides `open_store(...)`.

Adding a backend is one module with an `open_store` function and one entry
here. Modules are imported only when a store of that backend is opened.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from secretwarden.errors import UsageError
from secretwarden.stores.base import MetadataReader, SecretStore

BACKENDS: dict[str, str] = {
    "embedded": "secretwarden.stores.embedded.backend",
    "sops": "secretwarden.stores.sops.backend",
    "vault": "secretwarden.stores.vault.backend",
}

Access = Literal["metadata", "secrets"]


@dataclass(frozen=True)
class StoreSpec:
    """Everything a backend needs to open one named store of the contract."""

    name: str
    backend: str
    options: dict[str, Any]
    root: Path  # folder of the contract; relative paths in options are taken from here
    project: str
    path_overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    # Requests from the command line that a backend may honour or ignore,
    # e.g. "read-values-for-names" (`warden status --read-values-for-names`).
    flags: frozenset[str] = frozenset()


class BackendModule(Protocol):
    def open_store(
        self,
        spec: StoreSpec,
        *,
        access: Access,
        fingerprinter: Callable[[str], str] | None,
        clock: Callable[[], dt.datetime] | None,
    ) -> MetadataReader: ...


def backend_module(backend: str) -> BackendModule:
    target = BACKENDS.get(backend)
    if target is None:
        raise UsageError(
            f"backend `{backend}` is not available in this version",
            hint="available backends: " + ", ".join(sorted(BACKENDS)),
        )
    module: BackendModule = importlib.import_module(target)
    return module


def open_store(
    spec: StoreSpec,
    *,
    access: Access,
    fingerprinter: Callable[[str], str] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> MetadataReader:
    return backend_module(spec.backend).open_store(
        spec, access=access, fingerprinter=fingerprinter, clock=clock
    )


def open_secret_store(
    spec: StoreSpec,
    *,
    fingerprinter: Callable[[str], str] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> SecretStore:
    """Open a store with access to values (every backend's store is a SecretStore then)."""
    store = open_store(spec, access="secrets", fingerprinter=fingerprinter, clock=clock)
    if not isinstance(store, SecretStore):
        raise UsageError(f"backend `{spec.backend}` cannot read or write values")
    return store
