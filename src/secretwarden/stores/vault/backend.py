"""Registry adapter for the Vault/OpenBao store.

Options (warden.yaml, `stores.<name>.options`):

    address: https://vault.example:8200   # default BAO_ADDR / VAULT_ADDR; a Raft cluster's nodes
                                          # may be listed comma-separated (warden follows the leader)
    mount: secret                          # KV v2 mount
    layout: per-namespace                  # or per-key
    path_prefix: commerce                  # paths under the mount start here (default: the project;
                                           # "" for the mount's root)
    namespace: team-a                      # Vault Enterprise / OpenBao namespace (VAULT_NAMESPACE)
    auth: {method: token|approle|kubernetes, ...}   # see auth.py
    ca_cert: path, skip_verify: false
    timeout: 10                            # seconds for an answer once connected
    connect_timeout: 3                     # seconds for the server to accept a connection
    retry_deadline: 30                     # seconds an idempotent request may keep retrying
                                           # (5xx, 429, an election in a cluster)
    connect_retry_deadline: 5              # seconds to keep retrying a single server that
                                           # accepts no connection: `status`/`ci` fail fast
    workers: 16                            # concurrent requests for bulk reads and writes (a dev
                                           # server on 2 cores keeps up with 16, like `bao` load tests)
    max_versions: 50                       # KV versions kept per path (default: the mount's)
    read_values_for_names: false           # reports may read values of paths written outside
                                           # warden to learn their field names (counted, reported);
                                           # `warden status --read-values-for-names` asks for it
                                           # through StoreSpec.flags
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from secretwarden.errors import ContractError
from secretwarden.stores.spec import Access, StoreSpec
from secretwarden.stores.vault.auth import connection_from
from secretwarden.stores.vault.errors import RetryPolicy
from secretwarden.stores.vault.layout import LAYOUTS, VaultLayout
from secretwarden.stores.vault.store import VaultStore

OPTIONS = {
    "address", "mount", "layout", "path_prefix", "namespace", "auth", "ca_cert", "skip_verify",
    "timeout", "connect_timeout", "retry_deadline", "connect_retry_deadline", "workers", "max_versions",
    "read_values_for_names",
}


def layout_of(spec: StoreSpec) -> VaultLayout:
    opts = spec.options
    unknown = set(opts) - OPTIONS
    if unknown:
        raise ContractError(
            f"store `{spec.name}`: unknown vault option(s): {', '.join(sorted(unknown))}",
            hint="options: " + ", ".join(sorted(OPTIONS)),
        )
    layout = str(opts.get("layout", "per-namespace"))
    if layout not in LAYOUTS:
        raise ContractError(f"store `{spec.name}`: `layout` is one of {', '.join(LAYOUTS)}, not `{layout}`")
    mount = str(opts.get("mount", "secret")).strip("/")
    if not mount:
        raise ContractError(f"store `{spec.name}`: `mount` cannot be empty")
    return VaultLayout(
        mount=mount,
        prefix=str(opts.get("path_prefix", spec.project)).strip("/"),
        layout=layout,  # type: ignore[arg-type]
        overrides=dict(spec.path_overrides),
    )


def _number(spec: StoreSpec, name: str, default: Any) -> Any:
    value = spec.options.get(name, default)
    if value is not None and not isinstance(value, int | float):
        raise ContractError(f"store `{spec.name}`: `{name}` must be a number")
    return value


def open_store(
    spec: StoreSpec,
    *,
    access: Access,
    fingerprinter: Callable[[str], str] | None,
    clock: Callable[[], dt.datetime] | None,
) -> VaultStore:
    layout = layout_of(spec)
    kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
    max_versions = _number(spec, "max_versions", None)
    return VaultStore(
        spec.name,
        layout,
        connection_from(spec.options, spec.root, spec.name),
        access=access,
        root=spec.root,
        fingerprinter=fingerprinter,
        retry=RetryPolicy(
            deadline=float(_number(spec, "retry_deadline", 30.0)),
            connect_deadline=float(_number(spec, "connect_retry_deadline", 5.0)),
        ),
        workers=int(_number(spec, "workers", 16)),
        max_versions=int(max_versions) if max_versions is not None else None,
        read_values_for_names=bool(spec.options.get("read_values_for_names"))
        or "read-values-for-names" in spec.flags,
        **kwargs,
    )
