"""How machines log in to a store: the optional protocol behind `warden bootstrap`'s auth step.

Two kinds of machine identity, both derived from the contract by
ops/bootstrap_auth.py and turned into backend objects by the store:

* a Direct-Vault service (`access: direct-vault`) gets a machine role of its
  own whose grant is exactly its slots, and bootstrap credentials for it
  written into the store at `credentials` (slots the layout places);
* the cluster's identities: each `Workload` (a service's account in its
  Kubernetes namespace) may log in and read what the service reads, or the
  External Secrets operator reads every service; which of the two is the
  store's own setting (Vault: `kubernetes_auth.roles`).

Backends that can do this (Vault/OpenBao: AppRole and the Kubernetes auth
method) implement `MachineAuthProvisioner`; ops checks `isinstance` and never
names a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from secretwarden.slots import SlotRef
from secretwarden.stores.base import AccessChange


@dataclass(frozen=True)
class DirectService:
    service: str
    instance: str | None
    slots: tuple[SlotRef, ...]  # what its role may read, nothing else
    credentials: dict[str, SlotRef]  # credential field (role_id, secret_id) -> where it is kept


@dataclass(frozen=True)
class Workload:
    """Where a service (instance) runs in the cluster: what a Kubernetes auth role binds."""

    service: str
    instance: str | None
    k8s_namespace: str | None  # None: the contract names none (the store's settings decide)
    service_account: str
    direct: bool = False  # a Direct-Vault service: its bootstrap credentials are synced too


@dataclass(frozen=True)
class MachineAuthRequest:
    project: str
    env: str
    direct: tuple[DirectService, ...] = ()
    workloads: tuple[Workload, ...] = ()


@dataclass
class MachineAuthReport:
    applied: bool
    changes: list[AccessChange] = field(default_factory=list)
    credentials_written: list[str] = field(default_factory=list)  # labels of services, never values


@runtime_checkable
class MachineAuthProvisioner(Protocol):
    def provision_machine_auth(self, request: MachineAuthRequest, *, apply: bool) -> MachineAuthReport:
        """Create or update roles and write missing bootstrap credentials (`apply=False`: plan only)."""
        ...
