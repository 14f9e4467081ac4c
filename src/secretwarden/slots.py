"""Slot addresses: where one secret lives, independent of any backend.

A slot is (environment, namespace, key) plus the tenant instance for
per-instance services. Stores, reports and the contract plan all speak in
slots; this module imports nothing heavy so every layer can use it.
"""

from __future__ import annotations

from secretwarden.value_class import FrozenValue


class SlotRef(FrozenValue):
    """Where one secret lives: environment, namespace, key and (per-instance services) instance.

    Immutable, compared, hashed and ordered by its four fields (env, namespace, key,
    instance). Written out rather than a dataclass (value_class.py says why); equality,
    hashing and ordering are spelled out too, since reports key dictionaries by slots.
    """

    _fields = ("env", "namespace", "key", "instance")
    env: str
    namespace: str
    key: str
    instance: str | None

    def __init__(self, env: str, namespace: str, key: str, instance: str | None = None) -> None:
        # Sets the instance dictionary directly: three times faster than a frozen dataclass's
        # object.__setattr__ per field, and a report makes 100,000 slots.
        fields = self.__dict__
        fields["env"] = env
        fields["namespace"] = namespace
        fields["key"] = key
        fields["instance"] = instance

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not SlotRef:
            return NotImplemented
        return (self.env, self.namespace, self.key, self.instance) == (
            other.env, other.namespace, other.key, other.instance
        )

    def __hash__(self) -> int:
        return hash((self.env, self.namespace, self.key, self.instance))

    def __lt__(self, other: SlotRef) -> bool:
        if other.__class__ is not SlotRef:
            return NotImplemented
        return (self.env, self.namespace, self.key, self.instance) < (
            other.env, other.namespace, other.key, other.instance
        )

    def __le__(self, other: SlotRef) -> bool:
        if other.__class__ is not SlotRef:
            return NotImplemented
        return (self.env, self.namespace, self.key, self.instance) <= (
            other.env, other.namespace, other.key, other.instance
        )

    def __gt__(self, other: SlotRef) -> bool:
        if other.__class__ is not SlotRef:
            return NotImplemented
        return (self.env, self.namespace, self.key, self.instance) > (
            other.env, other.namespace, other.key, other.instance
        )

    def __ge__(self, other: SlotRef) -> bool:
        if other.__class__ is not SlotRef:
            return NotImplemented
        return (self.env, self.namespace, self.key, self.instance) >= (
            other.env, other.namespace, other.key, other.instance
        )

    def label(self) -> str:
        inst = f"@{self.instance}" if self.instance else ""
        text = f"{self.env}{inst}:{self.namespace}/{self.key}"
        return text if text.isprintable() else printable(text)

    def __str__(self) -> str:
        return self.label()


def printable(text: str) -> str:
    """`text` with every character a terminal would act on (controls, escape sequences) written
    as a Python escape (`\\x1b`). Names a store lists may have been written by someone else (an
    edited SQLite file, a Vault path): they are shown, never obeyed. Printable names are unchanged."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def parse_slot_name(text: str) -> tuple[str, str]:
    """`NAMESPACE/KEY` as written on the command line."""
    ns, sep, key = text.partition("/")
    if not sep or not ns or not key or "/" in key:
        from secretwarden.errors import UsageError

        raise UsageError(f"`{text}` is not NAMESPACE/KEY", hint="e.g. `warden get auth/JWT_SECRET --env dev`")
    return ns, key
