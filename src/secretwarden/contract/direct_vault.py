"""Names of a Direct-Vault service's bootstrap credentials: one home for bootstrap, render and lint.

A service declared `access: direct-vault` logs in to Vault/OpenBao itself with
an AppRole. Its bootstrap credentials (the role id and one secret id) live in
the store like any slot, under the pseudo-namespace `<service>-bootstrap`, so
the store's layout places them (`<prefix>/<env>/<service>-bootstrap` with one
field per credential in the per-namespace layout); an ExternalSecret syncs
them into the Secret `<service>-bootstrap` of the cluster (its name:
`kubernetes.bootstrap_secret_name`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.contract.kubernetes import BOOTSTRAP_SUFFIX
from secretwarden.slots import SlotRef

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract

# Field in the store -> key of the Kubernetes Secret (what the pod's env var is called).
CREDENTIAL_FIELDS = {"role_id": "VAULT_ROLE_ID", "secret_id": "VAULT_SECRET_ID"}


def credentials_namespace(service: str) -> str:
    return f"{service}{BOOTSTRAP_SUFFIX}"


def credential_slots(env: str, service: str, instance: str | None) -> dict[str, SlotRef]:
    """Field name -> the slot the store keeps it in."""
    ns = credentials_namespace(service)
    return {fld: SlotRef(env, ns, fld, instance) for fld in CREDENTIAL_FIELDS}



def credential_namespaces(contract: Contract) -> frozenset[str]:
    """The pseudo-namespaces holding Direct-Vault credentials: in a store, they are not orphans."""
    return frozenset(credentials_namespace(name) for name, svc in contract.services.items()
                     if svc.access == "direct-vault")
