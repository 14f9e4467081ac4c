"""What `warden redact` hides: (key name, value) of an environment's sensitive keys.

The values come from the store (read and audited like any read) or, with
`from_environ`, from a process environment holding the contract's names, for a
log made where the store is not reachable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from secretwarden.ops.workspace import Workspace


def values_to_redact(
    ws: Workspace,
    env: str,
    *,
    service: str | None = None,
    instance: str | None = None,
    from_environ: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> list[tuple[str, str]]:
    if from_environ:
        from secretwarden.contract.plan import requirements, sensitive_only

        reqs = sensitive_only(requirements(ws.contract, env, service=service, instance=instance))
        return [(r.var, environ[r.var]) for r in reqs if environ.get(r.var)]
    from secretwarden.runtime.store_values import sensitive_store_values

    return sensitive_store_values(ws.contract, ws.secrets(env), ws.audit, env, service=service, instance=instance)
