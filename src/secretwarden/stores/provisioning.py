"""Optional store capabilities for access provisioning: policies, machine roles, remote references.

Part of the store protocol (stores/base.py re-exports every name here). They
live in their own module because building their dataclasses costs about 3 ms,
and a process that only reads values (`warden run`) never needs them: base.py
loads this module the first time one of these names is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from secretwarden.slots import SlotRef


@dataclass(frozen=True)
class ServiceAccess:
    """One service (or one instance of a per-instance service) and the slots it reads."""

    service: str
    slots: tuple[SlotRef, ...]
    instance: str | None = None


@dataclass(frozen=True)
class NamespaceAccess:
    """One namespace of an environment and the slots it holds (for its admin policy)."""

    namespace: str
    slots: tuple[SlotRef, ...]
    instances: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessRequest:
    """What `warden bootstrap` asks a store to provision for one environment."""

    project: str
    env: str
    services: tuple[ServiceAccess, ...]
    namespaces: tuple[NamespaceAccess, ...]
    approles: bool = False


@dataclass(frozen=True)
class AccessChange:
    """One change (or no-change) an access bootstrap made or would make."""

    kind: str  # mount | auth | policy | role
    name: str
    action: str  # create | update | unchanged
    detail: str = ""


@dataclass
class AccessReport:
    """Every access change of one bootstrap, applied or planned."""

    applied: bool
    changes: list[AccessChange] = field(default_factory=list)

    @property
    def changed(self) -> list[AccessChange]:
        return [c for c in self.changes if c.action != "unchanged"]


@runtime_checkable
class AccessProvisioner(Protocol):
    """Optional: backends that can create access policies and machine roles (Vault).

    `warden bootstrap` and `warden render vault-policy` check
    `isinstance(store, AccessProvisioner)`, so ops never name a backend.
    `provision_access(apply=False)` reports what would change and writes nothing.
    """

    def render_access(self, request: AccessRequest) -> dict[str, str]: ...

    def provision_access(self, request: AccessRequest, *, apply: bool) -> AccessReport: ...


@runtime_checkable
class RemoteReferences(Protocol):
    """Optional: backends that Kubernetes' External Secrets Operator can read directly."""

    def remote_ref(self, slot: SlotRef) -> tuple[str, str]:
        """(remoteRef.key, remoteRef.property) of a slot."""
        ...


@runtime_checkable
class StoreNotices(Protocol):
    """Optional: things a report on this store should mention (e.g. data written outside warden)."""

    def notices(self) -> list[str]: ...
