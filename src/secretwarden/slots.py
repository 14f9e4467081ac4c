"""Slot addresses: where one secret lives, independent of any backend.

A slot is (environment, namespace, key) plus the tenant instance for
per-instance services. Stores, reports and the contract plan all speak in
slots; this module imports nothing so every layer can use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True, init=False)
class SlotRef:
    """Where one secret lives: environment, namespace, key and (per-instance services) instance."""

    env: str
    namespace: str
    key: str
    instance: str | None = None

    def __init__(self, env: str, namespace: str, key: str, instance: str | None = None) -> None:
        # Written out because the generated frozen __init__ sets each field through
        # object.__setattr__, three times slower; a report makes 100,000 slots. Still frozen:
        # assigning an attribute afterwards raises as before.
        fields = self.__dict__
        fields["env"] = env
        fields["namespace"] = namespace
        fields["key"] = key
        fields["instance"] = instance

    def label(self) -> str:
        inst = f"@{self.instance}" if self.instance else ""
        return f"{self.env}{inst}:{self.namespace}/{self.key}"

    def __str__(self) -> str:
        return self.label()


def parse_slot_name(text: str) -> tuple[str, str]:
    """`NAMESPACE/KEY` as written on the command line."""
    ns, sep, key = text.partition("/")
    if not sep or not ns or not key or "/" in key:
        from secretwarden.errors import UsageError

        raise UsageError(f"`{text}` is not NAMESPACE/KEY", hint="e.g. `warden get auth/JWT_SECRET --env dev`")
    return ns, key
