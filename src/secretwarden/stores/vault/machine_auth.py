"""`MachineAuthProvisioner` for Vault/OpenBao: Direct-Vault AppRoles first, then Kubernetes auth.

The order matters: the Kubernetes roles name the bootstrap-credential
policies the AppRole step writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from secretwarden.stores.machine_auth import MachineAuthReport, MachineAuthRequest

if TYPE_CHECKING:
    from secretwarden.stores.vault.approle import CredentialWriter
    from secretwarden.stores.vault.kubernetes_auth import KubernetesAuthSettings


def provision_machine_auth(
    store: CredentialWriter, request: MachineAuthRequest, *, apply: bool, settings: KubernetesAuthSettings | None,
    root: Path | None,
) -> MachineAuthReport:
    from secretwarden.stores.vault.approle import provision_direct
    from secretwarden.stores.vault.kubernetes_auth import provision_kubernetes

    report = MachineAuthReport(applied=apply)
    provision_direct(store, request, report, apply=apply)
    if settings is not None:
        provision_kubernetes(store, settings, request, report, apply=apply, root=root)
    return report
