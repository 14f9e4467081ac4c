"""`warden render vault-policy`: the access policies bootstrap would apply, as text.

The store renders them (`AccessProvisioner.render_access`), from the same
`AccessRequest` bootstrap uses, so what is printed is exactly what would be
written. Works offline: nothing is read from the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secretwarden.errors import UsageError
from secretwarden.ops.access import access_request
from secretwarden.stores.base import AccessProvisioner

if TYPE_CHECKING:
    from secretwarden.ops.workspace import Workspace


def vault_policies(ws: Workspace, env: str) -> dict[str, str]:
    """Policy name -> policy text for one environment."""
    store = ws.metadata(env)
    if not isinstance(store, AccessProvisioner):
        raise UsageError(
            f"environment `{env}` uses store `{ws.contract.store_for(env)}` (backend `{store.backend}`), "
            "which has no access policies to render",
            hint="policies exist for Vault/OpenBao stores",
        )
    return store.render_access(access_request(ws.contract, env))


def policies_text(policies: dict[str, str]) -> str:
    parts = []
    for name, text in policies.items():
        parts.append(f"# ---- policy: {name}  (bao policy write {name} {name}.hcl)\n{text.rstrip()}\n")
    return "\n".join(parts)
