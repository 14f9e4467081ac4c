"""`warden bootstrap`'s machine-auth step: Direct-Vault AppRoles and the cluster's logins.

From the contract, for one environment:

* every `access: direct-vault` service (instance) with the slots it reads and
  where its bootstrap credentials are kept (contract/direct_vault.py);
* every service (instance) that runs in the cluster (`Workload`): its
  Kubernetes namespace (`k8s_namespace`) and service account (named after the
  service), and whether it is a Direct-Vault one.

A store that can provision machine logins (`MachineAuthProvisioner`, Vault)
turns that into roles; whether Kubernetes auth is configured, and with one
operator role or a role per service, is the store's own setting. Credentials
are written into the store, never returned; the audit log says for whom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.contract.direct_vault import credential_slots
from secretwarden.contract.kubernetes import k8s_name, namespace_of
from secretwarden.contract.plan import requirements
from secretwarden.slots import SlotRef
from secretwarden.stores.machine_auth import (
    DirectService,
    MachineAuthProvisioner,
    MachineAuthRequest,
    Workload,
)

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.base import AccessReport

CLUSTER_ACCESS = ("external-secrets", "direct-vault")  # `env` services get their values another way


def machine_auth_request(contract: Contract, env: str) -> MachineAuthRequest:
    slots: dict[tuple[str, str | None], list[SlotRef]] = {}
    for req in requirements(contract, env):
        if contract.services[req.service].access in CLUSTER_ACCESS:
            slots.setdefault((req.service, req.slot.instance), []).append(req.slot)
    direct = []
    workloads = []
    for (service, instance), held in slots.items():
        svc = contract.services[service]
        is_direct = svc.access == "direct-vault"
        if is_direct:
            direct.append(DirectService(service, instance, tuple(dict.fromkeys(held)),
                                        credential_slots(env, service, instance)))
        workloads.append(Workload(service, instance, namespace_of(svc, env, instance), k8s_name(service), is_direct))
    return MachineAuthRequest(contract.project, env, tuple(direct), tuple(workloads))


def provision_machine_auth(ws: Workspace, env: str, store: object, report: AccessReport, *, apply: bool) -> None:
    """Add the machine-auth changes to bootstrap's access report (nothing for stores that cannot)."""
    if not isinstance(store, MachineAuthProvisioner):
        return
    result = store.provision_machine_auth(machine_auth_request(ws.contract, env), apply=apply)
    report.changes.extend(result.changes)
    if result.credentials_written:
        ws.audit.append(
            command="bootstrap",
            env=env,
            store=ws.contract.store_for(env),
            outcome="ok",
            detail="AppRole bootstrap credentials written to the store for " + ", ".join(result.credentials_written),
        )
