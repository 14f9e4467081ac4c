"""Write values into a contract's store for test set-up."""

from __future__ import annotations

from pathlib import Path


def write_values(contract: Path, env: str, values: dict[str, str]) -> None:
    """Fixture set-up through the library (the commands under test run as real subprocesses)."""
    from secretwarden.ops.secrets import resolve_slot, set_secret
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.base import SecretValue

    with Workspace.load(contract, command="set") as ws:
        for name, value in values.items():
            slot_name, _, instance = name.partition("@")
            namespace, key = slot_name.split("/")
            slot = resolve_slot(ws, env, namespace, key, instance or None)
            set_secret(ws, slot, SecretValue(value))
