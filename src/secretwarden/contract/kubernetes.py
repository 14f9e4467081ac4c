"""How contract names become Kubernetes names: one home for the renderers and the linter.

`warden render external-secrets` names the Secrets it makes with these
functions and `warden lint` recognises them with the same functions, so a
rendered manifest is, by construction, one the linter knows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract, Service


def k8s_name(text: str) -> str:
    """A DNS-1123 subdomain made from a contract name."""
    name = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    return name[:253] or "secrets"


def object_name(service: str, instance: str | None) -> str:
    """metadata.name of what is rendered for one service (instance)."""
    return k8s_name(f"{service}-{instance}" if instance else service)


def secret_name(service: str, svc: Service, instance: str | None = None) -> str:
    """The Kubernetes Secret a service (instance) reads: `secret_name`, default `<service>-secrets`."""
    if svc.secret_name:
        return k8s_name(f"{svc.secret_name}-{instance}" if instance else svc.secret_name)
    return k8s_name(f"{object_name(service, instance)}-secrets")


def optional_secret_name(service: str, svc: Service, instance: str | None, var: str) -> str:
    """The Secret of one optional key: ESO fails a whole ExternalSecret when a key is missing,
    so each optional key is synced on its own."""
    return k8s_name(f"{secret_name(service, svc, instance)}-{var}")


def main_secret_names(contract: Contract, service: str) -> list[str]:
    """The Secrets that carry the service's required keys: one, or one per instance."""
    from secretwarden.contract.plan import service_instances

    svc = contract.services[service]
    return [secret_name(service, svc, inst) for inst in service_instances(contract, svc)]


def secret_names(contract: Contract, service: str) -> list[str]:
    """Every Secret name the service's pods may read: one per instance for per-instance services,
    one per optional key, and a Direct-Vault service's bootstrap credentials."""
    from secretwarden.contract.plan import service_instances

    svc = contract.services[service]
    optional = [var for var, spec in svc.secrets.items() if not spec.required]
    out: list[str] = []
    for inst in service_instances(contract, svc):
        out.append(secret_name(service, svc, inst))
        out.extend(optional_secret_name(service, svc, inst, var) for var in optional)
        if svc.access == "direct-vault":  # the AppRole credentials `warden bootstrap` keeps
            out.append(bootstrap_secret_name(service, inst))
    return out


# Chart values keys whose value names one Secret the chart mounts instead of making its own, at
# any depth (`auth.existingSecret`, `postgresql.auth.existingSecret`): what `render helm-values`
# may write and what lint reads, from this one list.
EXISTING_SECRET_KEYS = ("existingSecret", "existingSecretName")

BOOTSTRAP_SUFFIX = "-bootstrap"


def bootstrap_secret_name(service: str, instance: str | None) -> str:
    """The Secret carrying a Direct-Vault service's AppRole credentials: `<service>[-<instance>]-bootstrap`."""
    return k8s_name(object_name(service, instance) + BOOTSTRAP_SUFFIX)


def namespace_of(svc: Service, env: str, instance: str | None) -> str | None:
    """The service's Kubernetes namespace in `env` (its `k8s_namespace`, placeholders filled)."""
    if not svc.k8s_namespace:
        return None
    text = svc.k8s_namespace.replace("{env}", env).replace("{instance}", instance or "")
    return k8s_name(text.replace("--", "-"))[:63]
