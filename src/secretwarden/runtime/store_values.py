"""Sensitive values of an environment (or one service) read from its store, for redaction.

Keys that are missing, deleted or invalid are simply not redacted: cleaning a
log must not fail because the store has gaps. Reading is audited like any
other value access, with the key names read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secretwarden.ops.workspace import Workspace


def sensitive_store_values(
    ws: Workspace, env: str, *, service: str | None = None, instance: str | None = None, command: str = "redact"
) -> list[tuple[str, str]]:
    """(key name, value) pairs; a key may appear once per instance with different values."""
    from secretwarden.contract.plan import requirements
    from secretwarden.errors import SecretNotFound
    from secretwarden.ops.secrets import audited

    reqs = [r for r in requirements(ws.contract, env, service=service, instance=instance) if r.sensitive]
    slots = {r.slot: r.var for r in reqs}  # a shared key read by several services is one slot
    store = ws.secrets(env)
    pairs: list[tuple[str, str]] = []
    with audited(ws, command=command, service=service, env=env, instance=instance) as extra:
        read: list[str] = []
        for slot, var in slots.items():
            meta = store.key_meta(slot)
            if meta is None or meta.current is None:
                continue
            try:
                value = store.read(slot).reveal()
            except SecretNotFound:
                continue
            read.append(slot.label())
            pairs.append((var, value))
        extra["keys"] = read
    return pairs
