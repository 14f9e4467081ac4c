"""The Kubernetes auth method of a Vault store: its settings, the roles they imply, and provisioning.

Opt-in per store, in warden.yaml (`stores.<name>.options.kubernetes_auth`):

    kubernetes_auth:
      mount: kubernetes                   # auth mount path; `{env}` is filled in (one mount per cluster)
      kubernetes_host: https://kubernetes.default.svc
      kubernetes_ca_cert: k8s-ca.pem      # PEM file, relative to warden.yaml; without it OpenBao
                                          # uses its own pod's CA (it must run in the cluster)
      roles: operator                     # or per-service
      operator: {role: ..., service_account: external-secrets, namespace: external-secrets}
      token_ttl: 1h
      token_max_ttl: 4h

`operator`: one role (default `<project>-<env>-external-secrets`) bound to
the External Secrets operator's service account; its policies are the read
policies of every External-Secrets service plus the bootstrap-credential
policies of the Direct-Vault services. `render external-secrets` renders the
`ClusterSecretStore` that logs in with it.

`per-service`: one role per service (instance), `<project>-<env>-<service>`,
bound to the service account named after the service in the service's
`k8s_namespace` (default namespace `default`), with that service's policy
only. `render external-secrets` then renders one `SecretStore` per service.

No token-reviewer JWT is stored (it would be a secret in the contract's
store settings): OpenBao reviews a login with its own pod's token when it
runs in the cluster, else with the logging-in client's token (grant the
service accounts `system:auth-delegator`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.errors import ContractError, StoreError, UsageError
from secretwarden.stores.base import AccessChange
from secretwarden.stores.machine_auth import MachineAuthReport, MachineAuthRequest, Workload
from secretwarden.stores.vault.access import _get, policy_name
from secretwarden.stores.vault.machine_names import (
    DURATION,
    credentials_policy_of,
    read_policy_of,
    seconds,
    service_role,
)

if TYPE_CHECKING:
    from secretwarden.stores.vault.access import VaultStore

SETTINGS = {"mount", "kubernetes_host", "kubernetes_ca_cert", "roles", "operator", "token_ttl", "token_max_ttl"}
OPERATOR = {"role", "service_account", "namespace"}


@dataclass(frozen=True)
class KubernetesAuthSettings:
    mount: str = "kubernetes"
    kubernetes_host: str = "https://kubernetes.default.svc"
    kubernetes_ca_cert: str | None = None
    roles: Literal["operator", "per-service"] = "operator"
    operator_role: str | None = None
    operator_service_account: str = "external-secrets"
    operator_namespace: str = "external-secrets"
    token_ttl: str = "1h"
    token_max_ttl: str = "4h"

    def mount_for(self, env: str) -> str:
        return self.mount.replace("{env}", env).strip("/")

    def operator_role_for(self, project: str, env: str) -> str:
        if self.operator_role:
            return self.operator_role.replace("{env}", env)
        return policy_name(project, env, "external-secrets")


def settings_of(store: str, options: dict[str, Any]) -> KubernetesAuthSettings | None:
    """The store's Kubernetes auth settings, None when it has none (bootstrap leaves the auth alone)."""
    raw = options.get("kubernetes_auth")
    if raw is None or raw is False:
        return None
    if raw is True:
        raw = {}
    where = f"store `{store}`: `kubernetes_auth`"
    if not isinstance(raw, dict):
        raise ContractError(f"{where} is a mapping (or `true` for the defaults)", hint="see docs/kubernetes.md")
    unknown = set(raw) - SETTINGS
    if unknown:
        raise ContractError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}",
                            hint="settings: " + ", ".join(sorted(SETTINGS)))
    operator = raw.get("operator") or {}
    if not isinstance(operator, dict) or set(operator) - OPERATOR:
        raise ContractError(f"{where}: `operator` takes {', '.join(sorted(OPERATOR))}")
    roles = str(raw.get("roles", "operator"))
    if roles not in ("operator", "per-service"):
        raise ContractError(f"{where}: `roles` is `operator` or `per-service`, not `{roles}`")
    out = KubernetesAuthSettings(
        mount=str(raw.get("mount", "kubernetes")),
        kubernetes_host=str(raw.get("kubernetes_host", "https://kubernetes.default.svc")),
        kubernetes_ca_cert=str(raw["kubernetes_ca_cert"]) if raw.get("kubernetes_ca_cert") else None,
        roles=roles,  # type: ignore[arg-type]
        operator_role=str(operator["role"]) if operator.get("role") else None,
        operator_service_account=str(operator.get("service_account", "external-secrets")),
        operator_namespace=str(operator.get("namespace", "external-secrets")),
        token_ttl=str(raw.get("token_ttl", "1h")),
        token_max_ttl=str(raw.get("token_max_ttl", "4h")),
    )
    for name in ("token_ttl", "token_max_ttl"):
        if not DURATION.match(getattr(out, name)):
            raise ContractError(f"{where}: `{name}` is a duration in s, m, h or d (e.g. 1h), not `{getattr(out, name)}`")
    if not out.mount_for("x"):
        raise ContractError(f"{where}: `mount` cannot be empty")
    return out


@dataclass(frozen=True)
class KubernetesRole:
    name: str
    service_accounts: tuple[str, ...]
    namespaces: tuple[str, ...]
    policies: tuple[str, ...]


def _policy_of(project: str, env: str, w: Workload) -> str:
    # A Direct-Vault service's pods read only their bootstrap credentials through the cluster.
    of = credentials_policy_of if w.direct else read_policy_of
    return of(project, env, w.service, w.instance)


def plan_roles(settings: KubernetesAuthSettings, project: str, env: str, workloads: tuple[Workload, ...]) -> list[KubernetesRole]:
    """The roles the settings imply: what bootstrap writes and the rendered stores log in with."""
    if settings.roles == "operator":
        policies = tuple(sorted({_policy_of(project, env, w) for w in workloads}))
        return [KubernetesRole(settings.operator_role_for(project, env), (settings.operator_service_account,),
                               (settings.operator_namespace,), policies)]
    return [
        KubernetesRole(service_role(project, env, w.service, w.instance), (w.service_account,),
                       (w.k8s_namespace or "default",), (_policy_of(project, env, w),))
        for w in workloads
    ]


def provision_kubernetes(
    store: VaultStore, settings: KubernetesAuthSettings, request: MachineAuthRequest, report: MachineAuthReport,
    *, apply: bool, root: Path | None,
) -> None:
    mount = settings.mount_for(request.env)
    created = _ensure_method(store, mount, apply)
    report.changes.append(created)
    fresh = created.action == "create" and not apply  # a dry run: nothing to read back under the new mount
    report.changes.append(_ensure_config(store, mount, settings, apply, root, fresh))
    for role in plan_roles(settings, request.project, request.env, request.workloads):
        report.changes.append(_ensure_role(store, mount, role, settings, apply, fresh))


def _ensure_method(store: VaultStore, mount: str, apply: bool) -> AccessChange:
    auths = store._call(lambda: store.client.adapter.get("/v1/sys/auth"), "sys/auth", "read")
    mounts = auths.get("data", auths) if isinstance(auths, dict) else {}
    have = mounts.get(mount + "/") if isinstance(mounts, dict) else None
    if isinstance(have, dict):
        if have.get("type") != "kubernetes":
            raise UsageError(f"auth mount `{mount}/` on {store.connection.address} is a {have.get('type')} method, "
                             "not kubernetes", hint="choose another `kubernetes_auth.mount` in warden.yaml")
        return AccessChange("auth", mount, "unchanged", "kubernetes")
    if apply:
        store._call(lambda: store.client.adapter.post(f"/v1/sys/auth/{mount}", json={"type": "kubernetes"}),
                    f"sys/auth/{mount}", "create, update (sudo)", idempotent=False)
    return AccessChange("auth", mount, "create", "kubernetes")


def _ca_cert(settings: KubernetesAuthSettings, root: Path | None) -> str | None:
    if settings.kubernetes_ca_cert is None:
        return None
    path = Path(settings.kubernetes_ca_cert)
    if not path.is_absolute() and root is not None:
        path = root / path
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"`kubernetes_auth.kubernetes_ca_cert`: cannot read {path}",
                         hint="a PEM file with the cluster's CA certificate, relative to warden.yaml") from None
    if "BEGIN CERTIFICATE" not in text:
        raise UsageError(f"`kubernetes_auth.kubernetes_ca_cert`: {path} holds no PEM certificate")
    return text


def _ensure_config(store: VaultStore, mount: str, settings: KubernetesAuthSettings, apply: bool, root: Path | None,
                   fresh: bool) -> AccessChange:
    want: dict[str, Any] = {"kubernetes_host": settings.kubernetes_host}
    ca = _ca_cert(settings, root)
    if ca is not None:
        want["kubernetes_ca_cert"] = ca
    have = None if fresh else _get(store, f"/v1/auth/{mount}/config", f"auth/{mount}/config")
    detail = settings.kubernetes_host
    if have is not None and all(str(have.get(k, "")).strip() == str(v).strip() for k, v in want.items()):
        return AccessChange("kubernetes-config", mount, "unchanged", detail)
    if apply:
        try:
            store._call(lambda: store.client.adapter.post(f"/v1/auth/{mount}/config", json=want),
                        f"auth/{mount}/config", "create, update")
        except StoreError as exc:
            if ca is None and "ca.crt" in str(exc):
                # Without a CA, OpenBao reads the service account's own: there is none outside a cluster.
                raise UsageError(
                    f"`kubernetes_auth` (auth/{mount}/config): the server has no cluster CA certificate of its"
                    " own (it does not run in the cluster)",
                    hint="set `kubernetes_auth.kubernetes_ca_cert` to a PEM file with the cluster's CA certificate",
                ) from None
            raise
    return AccessChange("kubernetes-config", mount, "create" if have is None else "update", detail)


def _ensure_role(store: VaultStore, mount: str, role: KubernetesRole, settings: KubernetesAuthSettings, apply: bool,
                 fresh: bool) -> AccessChange:
    url = f"/v1/auth/{mount}/role/{role.name}"
    want: dict[str, Any] = {
        "bound_service_account_names": list(role.service_accounts),
        "bound_service_account_namespaces": list(role.namespaces),
        "token_policies": list(role.policies),
        "token_ttl": settings.token_ttl,
        "token_max_ttl": settings.token_max_ttl,
    }
    have = None if fresh else _get(store, url, f"auth/{mount}/role/{role.name}")
    detail = f"{','.join(role.namespaces)}/{','.join(role.service_accounts)} -> {', '.join(role.policies) or '-'}"
    if have is not None and _same(have, want):
        return AccessChange("kubernetes-role", role.name, "unchanged", detail)
    if apply:
        store._call(lambda: store.client.adapter.post(url, json=want), f"auth/{mount}/role/{role.name}", "create, update")
    return AccessChange("kubernetes-role", role.name, "create" if have is None else "update", detail)


def _same(have: dict[str, Any], want: dict[str, Any]) -> bool:
    for key in ("bound_service_account_names", "bound_service_account_namespaces", "token_policies"):
        if sorted(have.get(key) or []) != sorted(want[key]):
            return False
    return have.get("token_ttl") == seconds(want["token_ttl"]) and have.get("token_max_ttl") == seconds(
        want["token_max_ttl"]
    )
