"""Where a slot lives in a KV v2 mount: the path (under the mount) and the field.

    <prefix>/<env>/<namespace>                 per-namespace: one secret, one field per key
    <prefix>/<env>/<namespace>/<KEY>           per-key: one secret per key (field named KEY)
    <prefix>/<env>/@<instance>/<namespace>...  the same for a tenant instance's own copy
    <prefix>/<env>/<override>[#FIELD]          a key's `path` override from the contract
    <prefix>/_warden/...                       warden's own metadata (denied fingerprints)

Contract names cannot start with `@` or `_`, so these never collide with a
namespace or environment. External Secrets reads `remoteRef.key` = the path
and `property` = the field. Pure functions: the renderers use them offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from secretwarden.slots import SlotRef

Layout = Literal["per-namespace", "per-key"]
LAYOUTS: tuple[str, ...] = ("per-namespace", "per-key")


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


@dataclass(frozen=True)
class Location:
    path: str  # under the mount, no leading slash
    field: str


@dataclass(frozen=True)
class VaultLayout:
    mount: str = "secret"
    prefix: str = ""
    layout: Layout = "per-namespace"
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    # Bulk operations (bootstrap, policies) locate each slot several times: remember the answers.
    _located: dict[SlotRef, Location] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def env_base(self, env: str, instance: str | None = None) -> str:
        return join(self.prefix, env, f"@{instance}" if instance else "")

    def namespace_path(self, env: str, namespace: str, instance: str | None = None) -> str:
        return join(self.env_base(env, instance), namespace)

    def locate(self, slot: SlotRef) -> Location:
        hit = self._located.get(slot)
        if hit is None:
            hit = self._located[slot] = self._locate(slot)
        return hit

    def _locate(self, slot: SlotRef) -> Location:
        override = self.overrides.get((slot.namespace, slot.key))
        if override:
            path, _, fld = override.partition("#")
            return Location(join(self.env_base(slot.env, slot.instance), path), fld or slot.key)
        ns_path = self.namespace_path(slot.env, slot.namespace, slot.instance)
        if self.layout == "per-key":
            return Location(join(ns_path, slot.key), slot.key)
        return Location(ns_path, slot.key)

    @property
    def warden_base(self) -> str:
        return join(self.prefix, "_warden")

    def api(self, kind: str, path: str) -> str:
        """`secret/data/dev/auth`: the API path an ACL policy names."""
        return join(self.mount, kind, path)

    def parse_foreign(self, env: str, path: str) -> SlotRef | None:
        """The slot of a per-key path warden did not write (no warden metadata), if it looks like one."""
        base = self.env_base(env)
        if not path.startswith(base + "/") or self.layout != "per-key":
            return None
        parts = path[len(base) + 1 :].split("/")
        instance = None
        if parts and parts[0].startswith("@"):
            instance, parts = parts[0][1:], parts[1:]
        if len(parts) != 2:
            return None
        return SlotRef(env, parts[0], parts[1], instance)

    def parse_namespace(self, env: str, path: str) -> tuple[str, str | None] | None:
        """(namespace, instance) of a per-namespace path, if it looks like one."""
        base = self.env_base(env)
        if not path.startswith(base + "/") or self.layout != "per-namespace":
            return None
        parts = path[len(base) + 1 :].split("/")
        instance = None
        if parts and parts[0].startswith("@"):
            instance, parts = parts[0][1:], parts[1:]
        return (parts[0], instance) if len(parts) == 1 else None

