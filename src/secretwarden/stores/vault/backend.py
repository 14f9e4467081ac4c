"""Registry adapter for the Vault/OpenBao store.

Options (warden.yaml, `stores.<name>.options`):

    address: https://vault.example:8200   # default BAO_ADDR / VAULT_ADDR; a Raft cluster's nodes
                                          # may be listed comma-separated (warden follows the leader)
    mount: secret                          # KV v2 mount
    layout: per-namespace                  # or per-key (named path templates, see layout.py)
    path_prefix: commerce                  # paths under the mount start here (default: the project;
                                           # "" for the mount's root)
    path: "k3s/{namespace}"                # instead of layout + path_prefix: a path template
    field: "{key}"                         # the field template (default {key})
    namespace: team-a                      # Vault Enterprise / OpenBao namespace (VAULT_NAMESPACE)
    auth: {method: token|approle|kubernetes, ...}   # see auth.py
    kubernetes_auth: {roles: operator, ...}  # bootstrap configures the Kubernetes auth method (kubernetes_auth.py)
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
from typing import TYPE_CHECKING, Any

from secretwarden.errors import ContractError
from secretwarden.slots import SlotRef
from secretwarden.stores.spec import Access, StoreSpec
from secretwarden.stores.vault.layout import (
    LAYOUTS,
    TemplateError,
    VaultLayout,
    template_problems,
)

if TYPE_CHECKING:  # the store (and hvac) load when a store opens, not when a contract is checked
    from secretwarden.stores.vault.store import VaultStore

OPTIONS = {
    "address", "mount", "layout", "path_prefix", "path", "field", "namespace", "auth", "ca_cert",
    "skip_verify", "timeout", "connect_timeout", "retry_deadline", "connect_retry_deadline", "workers",
    "max_versions", "read_values_for_names", "kubernetes_auth",
}
TEMPLATE_HINT = (
    'e.g. `path: "k3s/{namespace}"` (one secret per namespace, a field per key) or '
    '`path: "{env}/{namespace}/{key}"` (one secret per key); see docs/vault.md#layouts'
)


def build_layout(name: str, options: dict[str, Any], project: str, **extra: Any) -> VaultLayout:
    """The store's layout from its options; ContractError with a hint when they are unsound."""
    unknown = set(options) - OPTIONS
    if unknown:
        raise ContractError(
            f"store `{name}`: unknown vault option(s): {', '.join(sorted(unknown))}",
            hint="options: " + ", ".join(sorted(OPTIONS)),
        )
    mount = str(options.get("mount", "secret")).strip("/")
    if not mount:
        raise ContractError(f"store `{name}`: `mount` cannot be empty")
    path = options.get("path")
    if path is not None:
        clash = [o for o in ("layout", "path_prefix") if o in options]
        if clash:
            raise ContractError(
                f"store `{name}`: `path` is a whole template; it replaces `{'` and `'.join(clash)}`",
                hint="write the prefix into the template, e.g. `path: \"commerce/{env}/{namespace}\"`",
            )
    layout = str(options.get("layout", "per-namespace"))
    if path is None and layout not in LAYOUTS:
        raise ContractError(
            f"store `{name}`: `layout` is one of {', '.join(LAYOUTS)}, not `{layout}`",
            hint="or declare your own: " + TEMPLATE_HINT,
        )
    try:
        return VaultLayout(
            mount=mount,
            prefix=str(options.get("path_prefix", project)).strip("/"),
            layout=layout if path is None else "template",
            path=None if path is None else str(path),
            field_name=str(options.get("field", "{key}")),
            **extra,
        )
    except TemplateError as exc:
        raise ContractError(f"store `{name}`: {exc}", hint=TEMPLATE_HINT) from None


def check_options(
    name: str, options: dict[str, Any], project: str, envs: list[str], instance_envs: list[str]
) -> list[str]:
    """Problems with a vault store's options, for the contract's own checks (offline, no hvac)."""
    try:
        layout = build_layout(name, options, project)
        if "kubernetes_auth" in options:  # imported only for the stores that set it
            from secretwarden.stores.vault.kubernetes_auth import settings_of

            settings_of(name, options)
    except ContractError as exc:
        return [exc.message]
    return [f"store `{name}`: {p}" for p in template_problems(layout.template, envs, instance_envs)]


def locator(spec: StoreSpec) -> Callable[[SlotRef], tuple[str, str, str]]:
    """slot -> (mount, path under it, field): where `vault kv get` and ESO find it; offline."""
    layout = layout_of(spec)

    def locate(slot: SlotRef) -> tuple[str, str, str]:
        loc = layout.locate(slot)
        return layout.mount, loc.path, loc.field

    return locate


def layout_of(spec: StoreSpec) -> VaultLayout:
    layout = build_layout(
        spec.name, spec.options, spec.project, overrides=dict(spec.path_overrides), envs=tuple(spec.envs)
    )
    problems = template_problems(layout.template, spec.envs, ())
    if problems:
        raise ContractError(f"store `{spec.name}`: {problems[0]}")
    return layout


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
    from secretwarden.stores.vault.auth import connection_from
    from secretwarden.stores.vault.errors import RetryPolicy
    from secretwarden.stores.vault.kubernetes_auth import settings_of
    from secretwarden.stores.vault.store import VaultStore

    layout = layout_of(spec)
    kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
    max_versions = _number(spec, "max_versions", None)
    store = VaultStore(
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
    store.kubernetes_auth = settings_of(spec.name, spec.options)  # see kubernetes_auth.py
    return store
