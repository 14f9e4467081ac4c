"""Who may read and administer what, derived from the contract for one environment.

The result (`AccessRequest`, plain dataclasses from stores/base.py) is what a
store that can provision access (`AccessProvisioner`: Vault policies and
AppRoles) turns into its own objects; `warden bootstrap` applies it and
`warden render vault-policy` prints it. Nothing here knows a backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.contract.plan import requirements, service_instances
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    AccessRequest,
    CredentialIssuer,
    NamespaceAccess,
    SecretValue,
    ServiceAccess,
)

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract
    from secretwarden.ops.workspace import Workspace


def access_request(contract: Contract, env: str, *, approles: bool = False) -> AccessRequest:
    reqs = requirements(contract, env)
    by_service: dict[tuple[str, str | None], list[SlotRef]] = {}
    by_namespace: dict[str, list[SlotRef]] = {}
    for req in reqs:
        by_service.setdefault((req.service, req.slot.instance), []).append(req.slot)
        by_namespace.setdefault(req.slot.namespace, []).append(req.slot)
    instances: dict[str, set[str]] = {}
    for svc in contract.services.values():
        for inst in service_instances(contract, svc):
            if inst is not None:
                instances.setdefault(svc.namespace, set()).add(inst)
    return AccessRequest(
        project=contract.project,
        env=env,
        services=tuple(
            ServiceAccess(service, tuple(dict.fromkeys(slots)), instance)
            for (service, instance), slots in by_service.items()
        ),
        namespaces=tuple(
            NamespaceAccess(ns, tuple(dict.fromkeys(slots)), tuple(sorted(instances.get(ns, ()))))
            for ns, slots in sorted(by_namespace.items())
        ),
        approles=approles,
    )


def issue_credentials(ws: Workspace, env: str, roles: list[str]) -> dict[str, dict[str, SecretValue]]:
    """New credentials for each role (`bootstrap --approles --reveal`); audited, never logged."""
    from secretwarden.errors import UsageError

    store = ws.secrets(env)
    if not isinstance(store, CredentialIssuer):
        raise UsageError(f"store `{ws.contract.store_for(env)}` cannot issue machine credentials")
    out = {role: store.issue_credentials(role) for role in roles}
    ws.audit.append(command="bootstrap", env=env, outcome="ok", detail="credentials issued for " + ", ".join(roles))
    return out
