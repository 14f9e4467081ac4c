"""`warden render external-secrets`: one ExternalSecret per service, plus its container `env`.

For each service that reads its secrets through External Secrets (`access:
external-secrets`, the default) in one environment:

* an `ExternalSecret` (`external-secrets.io/v1` by default: since ESO 0.17 the
  CRD serves only v1; `v1beta1` on request) with the target Secret name,
  `refreshInterval`, `creationPolicy: Owner`, an explicit `secretStoreRef`
  (the CRD does not require it, ESO fails without it) and one `data` entry
  per key whose `remoteRef.key`/`property` come from the store's layout;
* a container `env` snippet with one `secretKeyRef` per key.

Optional keys are left out of `data` unless asked for (`include_optional`):
ESO fails the whole sync when a listed property is missing. Their
`secretKeyRef` is marked `optional: true`, so the pod starts without them.
The store only supplies remote references (`RemoteReferences`); nothing is
read from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secretwarden.contract.plan import Requirement, requirements
from secretwarden.errors import UsageError
from secretwarden.stores.base import RemoteReferences

if TYPE_CHECKING:
    from secretwarden.ops.workspace import Workspace

API_VERSIONS = ("v1", "v1beta1")


def k8s_name(text: str) -> str:
    """A DNS-1123 subdomain made from a contract name."""
    name = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    return name[:253] or "secrets"


@dataclass(frozen=True)
class ServiceManifests:
    service: str
    instance: str | None
    name: str  # metadata.name of the ExternalSecret
    external_secret: dict[str, Any]
    env: list[dict[str, Any]]  # container env entries


def external_secrets(
    ws: Workspace,
    env: str,
    *,
    store_ref: str | None = None,
    store_kind: str = "ClusterSecretStore",
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
        if contract.services[req.service].access != "external-secrets":
            continue
        grouped.setdefault((req.service, req.slot.instance), []).append(req)
    out = []
    for (service, instance), reqs in grouped.items():
        svc = contract.services[service]
        base = k8s_name(f"{service}-{instance}" if instance else service)
        target = k8s_name(svc.secret_name or f"{base}-secrets")
        if svc.secret_name and instance:
            target = k8s_name(f"{svc.secret_name}-{instance}")
        data = []
        for req in reqs:
            if not req.required and not include_optional:
                continue
            key, prop = store.remote_ref(req.slot)
            data.append({"secretKey": req.var, "remoteRef": {"key": key, "property": prop}})
        labels = {
            "app.kubernetes.io/managed-by": "secret-warden",
            "secretwarden.io/service": k8s_name(service),
            "secretwarden.io/environment": k8s_name(env),
        }
        if instance:
            labels["secretwarden.io/instance"] = k8s_name(instance)
        metadata: dict[str, Any] = {"name": base, "labels": labels}
        if k8s_namespace:
            metadata["namespace"] = k8s_namespace
        doc = {
            "apiVersion": f"external-secrets.io/{api_version}",
            "kind": "ExternalSecret",
            "metadata": metadata,
            "spec": {
                "refreshInterval": refresh_interval,
                "secretStoreRef": {"name": ref_name, "kind": store_kind},
                "target": {"name": target, "creationPolicy": "Owner"},
                "data": data,
            },
        }
        env_entries = [
            {
                "name": req.var,
                "valueFrom": {
                    "secretKeyRef": {
                        "name": target,
                        "key": req.var,
                        **({} if req.required else {"optional": True}),
                    }
                },
            }
            for req in reqs
        ]
        out.append(ServiceManifests(service, instance, base, doc, env_entries))
    return out


def to_yaml(docs: list[Any]) -> str:
    import yaml

    return "".join("---\n" + yaml.safe_dump(d, sort_keys=False, default_flow_style=False) for d in docs)
