"""`warden render external-secrets`: one ExternalSecret per service, plus its container `env`.

For each service that reads its secrets through External Secrets (`access:
external-secrets`, the default) in one environment:

* an `ExternalSecret` (`external-secrets.io/v1` by default: since ESO 0.17 the
  CRD serves only v1; `v1beta1` on request) with the target Secret name,
  `refreshInterval`, `creationPolicy: Owner`, an explicit `secretStoreRef`
  (the CRD does not require it, ESO fails without it) and one `data` entry
  per key whose `remoteRef.key`/`property` come from the store's layout;
* a container `env` snippet with one `secretKeyRef` per key.

Optional keys get an ExternalSecret each, filling a Secret of their own
(`<secret>-<key>`): ESO fails a whole ExternalSecret when one listed property
is missing, so an absent optional key must not hold back the required ones.
Their `secretKeyRef` points at that Secret with `optional: true`, so the pod
starts without them and gets them once they exist. (`include_optional` lists
them in the main ExternalSecret instead, as before.) `metadata.namespace`
comes from `--k8s-namespace`, else the service's `k8s_namespace`.
A Direct-Vault service (`access: direct-vault`) reads its values itself: it
gets one ExternalSecret, `<service>-bootstrap`, syncing the AppRole role id
and secret id that `warden bootstrap` keeps in the store (contract/
direct_vault.py) into the Secret `<service>-bootstrap` (`VAULT_ROLE_ID`,
`VAULT_SECRET_ID`). With a SecretStore per service (`kubernetes_auth.roles:
per-service`), each ExternalSecret names its service's own store.
The store only supplies remote references (`RemoteReferences`); nothing is
read from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secretwarden.contract.direct_vault import CREDENTIAL_FIELDS, credential_slots
from secretwarden.contract.kubernetes import (
    bootstrap_secret_name,
    k8s_name,
    namespace_of,
    object_name,
    optional_secret_name,
    secret_name,
)
from secretwarden.contract.plan import Requirement, requirements
from secretwarden.errors import UsageError
from secretwarden.stores.base import RemoteReferences

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.vault.kubernetes_auth import KubernetesAuthSettings

API_VERSIONS = ("v1", "v1beta1")
STORE_KINDS = ("ClusterSecretStore", "SecretStore")


def kubernetes_settings(contract: Contract, env: str) -> KubernetesAuthSettings:
    """The store's `kubernetes_auth` settings (their defaults when it has none): the roles bootstrap
    writes are the roles the rendered stores log in with."""
    from secretwarden.stores.vault.kubernetes_auth import KubernetesAuthSettings, settings_of

    name = contract.store_for(env)
    return settings_of(name, contract.stores[name].options) or KubernetesAuthSettings()


def default_store_kind(contract: Contract, env: str) -> str:
    """A role per service reads through a namespaced SecretStore per service; one operator role
    through a ClusterSecretStore."""
    return "SecretStore" if kubernetes_settings(contract, env).roles == "per-service" else "ClusterSecretStore"


@dataclass(frozen=True)
class ServiceManifests:
    service: str
    instance: str | None
    name: str  # metadata.name of the ExternalSecret
    external_secret: dict[str, Any]
    env: list[dict[str, Any]]  # container env entries
    optional_secrets: tuple[dict[str, Any], ...] = ()  # one ExternalSecret per optional key

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [self.external_secret, *self.optional_secrets]


def external_secrets(
    ws: Workspace,
    env: str,
    *,
    store_ref: str | None = None,
    store_kind: str | None = None,
    api_version: str = "v1",
    refresh_interval: str = "1h",
    k8s_namespace: str | None = None,
    include_optional: bool = False,
    services: tuple[str, ...] = (),
) -> list[ServiceManifests]:
    if api_version not in API_VERSIONS:
        raise UsageError(f"--api-version is one of {', '.join(API_VERSIONS)}")
    contract = ws.contract
    store = ws.metadata(env)
    kind = store_kind or default_store_kind(contract, env)
    if not isinstance(store, RemoteReferences):
        raise UsageError(
            f"environment `{env}` uses store `{contract.store_for(env)}` (backend `{store.backend}`), "
            "which External Secrets cannot read",
            hint="ExternalSecrets are rendered for Vault/OpenBao stores",
        )
    ref_name = k8s_name(store_ref or contract.store_for(env))
    grouped: dict[tuple[str, str | None], list[Requirement]] = {}
    for req in requirements(contract, env):
        if services and req.service not in services:
            continue
        if contract.services[req.service].access not in ("external-secrets", "direct-vault"):
            continue
        grouped.setdefault((req.service, req.slot.instance), []).append(req)
    out = []
    for (service, instance), reqs in grouped.items():
        svc = contract.services[service]
        base = object_name(service, instance)
        target = secret_name(service, svc, instance)
        namespace = k8s_namespace or namespace_of(svc, env, instance)
        labels = {
            "app.kubernetes.io/managed-by": "secret-warden",
            "secretwarden.io/service": k8s_name(service),
            "secretwarden.io/environment": k8s_name(env),
        }
        if instance:
            labels["secretwarden.io/instance"] = k8s_name(instance)
        # A SecretStore per service (instance), each logging in with that service's own role, unless
        # --store-ref names the one store the namespace already has.
        per_service = kind == "SecretStore" and not store_ref
        ref = (k8s_name(f"{ref_name}-{base}"), kind) if per_service else (ref_name, kind)
        frame = _Frame(labels, namespace, api_version, refresh_interval, ref)
        if svc.access == "direct-vault":
            out.append(_direct_vault(store, frame, env, service, instance))
            continue

        separate = [r for r in reqs if not r.required and not include_optional]
        together = [r for r in reqs if r not in separate]
        holder = {r.var: optional_secret_name(service, svc, instance, r.var) for r in separate}
        optional_docs = tuple(
            frame.document(holder[r.var], holder[r.var], [_entry(store, r)]) for r in separate
        )
        env_entries = [
            {
                "name": req.var,
                "valueFrom": {
                    "secretKeyRef": {
                        "name": holder.get(req.var, target),
                        "key": req.var,
                        **({} if req.required else {"optional": True}),
                    }
                },
            }
            for req in reqs
        ]
        main = frame.document(base, target, [_entry(store, r) for r in together])
        out.append(ServiceManifests(service, instance, base, main, env_entries, optional_docs))
    return out


def _direct_vault(store: RemoteReferences, frame: _Frame, env: str, service: str, instance: str | None) -> ServiceManifests:
    """A Direct-Vault service reads its values itself: the cluster gets only its AppRole
    bootstrap credentials, which `warden bootstrap` keeps in the store."""
    name = bootstrap_secret_name(service, instance)
    data = []
    for fld, slot in credential_slots(env, service, instance).items():
        key, prop = store.remote_ref(slot)
        data.append({"secretKey": CREDENTIAL_FIELDS[fld], "remoteRef": {"key": key, "property": prop}})
    env_entries = [{"name": var, "valueFrom": {"secretKeyRef": {"name": name, "key": var}}}
                   for var in CREDENTIAL_FIELDS.values()]
    return ServiceManifests(service, instance, name, frame.document(name, name, data), env_entries)


def _entry(store: RemoteReferences, req: Requirement) -> dict[str, Any]:
    key, prop = store.remote_ref(req.slot)
    return {"secretKey": req.var, "remoteRef": {"key": key, "property": prop}}


@dataclass(frozen=True)
class _Frame:
    """What every ExternalSecret of one service (instance) shares."""

    labels: dict[str, str]
    namespace: str | None
    api_version: str
    refresh_interval: str
    store: tuple[str, str]  # (name, kind) of the (Cluster)SecretStore

    def document(self, name: str, secret: str, data: list[dict[str, Any]]) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": name, "labels": self.labels}
        if self.namespace:
            metadata["namespace"] = self.namespace
        return {
            "apiVersion": f"external-secrets.io/{self.api_version}",
            "kind": "ExternalSecret",
            "metadata": metadata,
            "spec": {
                "refreshInterval": self.refresh_interval,
                "secretStoreRef": {"name": self.store[0], "kind": self.store[1]},
                "target": {"name": secret, "creationPolicy": "Owner"},
                "data": data,
            },
        }


def to_yaml(docs: list[Any]) -> str:
    import yaml

    return "".join("---\n" + yaml.safe_dump(d, sort_keys=False, default_flow_style=False) for d in docs)


def secret_stores(
    ws: Workspace,
    env: str,
    rendered: list[ServiceManifests],
    *,
    store_ref: str | None = None,
    store_kind: str | None = None,
    api_version: str = "v1",
    operator_role: str | None = None,
) -> list[dict[str, Any]]:
    """The stores the ExternalSecrets name: Vault/OpenBao KV v2 with Kubernetes auth.

    Role names, service accounts and the auth mount come from the store's
    `kubernetes_auth` settings (stores/vault/kubernetes_auth.py), the same
    that `warden bootstrap` writes into OpenBao. A `ClusterSecretStore` logs in
    as the operator's service account with the operator role. With a role per
    service, each service (instance) gets a `SecretStore` in its namespace
    that logs in as the service's account with the service's role, so it
    reads only its own paths.
    """
    from secretwarden.stores.vault.machine_names import service_role

    contract = ws.contract
    settings = kubernetes_settings(contract, env)
    kind = store_kind or default_store_kind(contract, env)
    name = contract.store_for(env)
    options = contract.stores[name].options
    server = str(options.get("address") or "https://OPENBAO_ADDRESS")  # the contract names no address: fill it in
    base = {"server": server.split(",")[0].strip(), "path": str(options.get("mount", "secret")), "version": "v2"}
    if options.get("namespace"):
        base["namespace"] = str(options["namespace"])
    ref_name = k8s_name(store_ref or name)
    api = f"external-secrets.io/{api_version}"
    mount = settings.mount_for(env)
    if kind == "ClusterSecretStore":
        auth = {"mountPath": mount, "role": operator_role or settings.operator_role_for(contract.project, env),
                "serviceAccountRef": {"name": settings.operator_service_account,
                                      "namespace": settings.operator_namespace}}
        return [{"apiVersion": api, "kind": "ClusterSecretStore", "metadata": {"name": ref_name},
                 "spec": {"provider": {"vault": {**base, "auth": {"kubernetes": auth}}}}}]
    out: list[dict[str, Any]] = []
    seen: set[tuple[str | None, str]] = set()
    for m in rendered:
        metadata: dict[str, Any] = {"name": m.external_secret["spec"]["secretStoreRef"]["name"]}
        namespace = m.external_secret["metadata"].get("namespace")
        if (namespace, metadata["name"]) in seen:
            continue  # one store named by --store-ref, shared by the namespace's services
        seen.add((namespace, metadata["name"]))
        if namespace:
            metadata["namespace"] = namespace
        auth = {"mountPath": mount, "role": service_role(contract.project, env, m.service, m.instance),
                "serviceAccountRef": {"name": k8s_name(m.service)}}
        out.append({"apiVersion": api, "kind": "SecretStore", "metadata": metadata,
                    "spec": {"provider": {"vault": {**base, "auth": {"kubernetes": auth}}}}})
    return out


def env_snippet(manifests: ServiceManifests) -> str:
    """The service's container `env` entries as YAML to paste under a container spec."""
    return to_yaml([{"env": manifests.env}])[4:]


def service_files(rendered: list[ServiceManifests]) -> dict[str, str]:
    """`--out`: `<name>.externalsecret.yaml` and `<name>.env.yaml` per service (instance)."""
    files: dict[str, str] = {}
    for m in rendered:
        files[f"{m.name}.externalsecret.yaml"] = to_yaml(m.documents)
        files[f"{m.name}.env.yaml"] = f"# container env of `{m.name}`: paste under the container spec\n" + env_snippet(m)
    return files


def store_files(stores: list[dict[str, Any]]) -> dict[str, str]:
    """`--out --with-store`: every rendered store in one file named after their kind."""
    stem = "clustersecretstore" if stores[0]["kind"] == "ClusterSecretStore" else "secretstores"
    return {f"{stem}.yaml": to_yaml(stores)}
