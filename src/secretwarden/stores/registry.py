"""Backend registry: backend name -> a function that imports the backend's module.

Adding a backend is one folder under `stores/` whose `backend.py` has an
`open_store` function, and one entry in `BACKENDS`. Each entry returns the
module as a `BackendModule`, so mypy checks every backend's `open_store`
against the protocol; modules are imported only when a store of that backend
is opened. The backend names a contract may use (`BACKEND_NAMES`) come from
here: there is no second list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from secretwarden.errors import UsageError
from secretwarden.stores.spec import Access, BackendModule, OptionChecker, StoreSpec

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:  # the protocol module loads when a store opens, not with the contract model
    from typing import Any

    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import MetadataReader, SecretStore

__all__ = ["BACKENDS", "BACKEND_NAMES", "Access", "BackendModule", "StoreSpec", "backend_module",
           "open_secret_store", "open_store"]


def _embedded() -> BackendModule:
    from secretwarden.stores.embedded import backend

    return backend


def _sops() -> BackendModule:
    from secretwarden.stores.sops import backend

    return backend


def _vault() -> BackendModule:
    from secretwarden.stores.vault import backend

    return backend


BACKENDS: dict[str, Callable[[], BackendModule]] = {
    "embedded": _embedded,
    "sops": _sops,
    "vault": _vault,
}
BACKEND_NAMES: tuple[str, ...] = tuple(BACKENDS)


def _vault_options() -> OptionChecker:
    from secretwarden.stores.vault import backend

    return backend


# Backends whose options the contract's own checks validate offline (a light import each).
OPTION_CHECKS: dict[str, Callable[[], OptionChecker]] = {"vault": _vault_options}


def option_problems(
    backend: str, name: str, options: dict[str, Any], project: str, envs: list[str], instance_envs: list[str]
) -> list[str]:
    """Problems with a store's options given the environments (and per-instance ones) it serves."""
    loader = OPTION_CHECKS.get(backend)
    return loader().check_options(name, options, project, envs, instance_envs) if loader else []


def offline_locator(spec: StoreSpec) -> Callable[[SlotRef], tuple[str, str, str]] | None:
    """slot -> (mount, path, field) computed offline, for backends whose locations are computed
    (a Vault KV path and field); None for the others."""
    loader = OPTION_CHECKS.get(spec.backend)
    return loader().locator(spec) if loader else None

def backend_module(backend: str) -> BackendModule:
    loader = BACKENDS.get(backend)
    if loader is None:
        raise UsageError(
            f"backend `{backend}` is not available in this version",
            hint="available backends: " + ", ".join(sorted(BACKENDS)),
        )
    return loader()


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
    from secretwarden.stores.base import SecretStore

    store = open_store(spec, access="secrets", fingerprinter=fingerprinter, clock=clock)
    if not isinstance(store, SecretStore):
        raise UsageError(f"backend `{spec.backend}` cannot read or write values")
    return store
