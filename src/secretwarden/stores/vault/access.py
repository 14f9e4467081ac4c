"""Access for a Vault store: the KV mount, ACL policies and AppRoles warden provisions.

Policies, per environment (names are lower-case, as Vault stores them):

* `<project>-<env>-<service>-read` (one per instance for per-instance
  services): `read` on `data/<path>` of exactly the KV secrets holding the
  slots the service reads (External Secrets needs only these), plus the same
  on `metadata/` so `warden run` can check versions and compromise marks.
  Where such a secret also holds keys the service does not read (keys as
  fields of one secret), the policy says so in an `OVER-GRANT` comment.
* `<project>-<env>-<namespace>-admin`: write access to the namespace's paths
  (data, metadata, delete, undelete, destroy) and to warden's denied list.
* `<project>-<env>-status`: `list` and `read` on `metadata/` only. A token
  holding just this policy runs `warden status`; it cannot read a value.

Re-running compares each policy and role with what the server holds and
writes only what differs, so a bootstrap with nothing to do only reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from secretwarden.errors import PermissionDenied, StoreUnavailable
from secretwarden.slots import SlotRef
from secretwarden.stores.base import AccessChange, AccessReport, AccessRequest
from secretwarden.stores.vault.errors import NotFound
from secretwarden.stores.vault.layout import VaultLayout, join

if TYPE_CHECKING:
    from secretwarden.stores.vault.auth import Connection

T = TypeVar("T")


class VaultStore(Protocol):
    """What provisioning uses of a `store.VaultStore` (typed here so this module
    and the store, which calls it, do not import each other)."""

    layout: VaultLayout
    connection: Connection
    assume_empty: bool

    @property
    def client(self) -> Any: ...

    def _call(self, fn: Callable[[], T], what: str, capability: str, *, idempotent: bool = True) -> T: ...

    def _send(self, method: str, url: str, body: Any, slow: Callable[[], Any]) -> Any: ...

    def _fan_out(self, fn: Callable[[Any], T], items: list[Any]) -> list[tuple[T | None, BaseException | None]]: ...

READ = '["read"]'
WRITE_DATA = '["create", "read", "update", "patch", "delete"]'
WRITE_META = '["create", "read", "update", "patch", "delete", "list"]'


def policy_name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", "-".join(p for p in parts if p).lower())


def role_name(request: AccessRequest, service: str, instance: str | None) -> str:
    return policy_name(request.project, request.env, service, instance or "")


def _rule(path: str, caps: str) -> str:
    return f'path "{path}" {{\n  capabilities = {caps}\n}}\n'


def overgrants(layout: VaultLayout, request: AccessRequest) -> dict[tuple[str, str | None], dict[str, list[SlotRef]]]:
    """(service, instance) -> path -> the slots at that path the service does not read.

    A KV policy grants whole secrets: where the layout puts several keys in the
    fields of one secret, reading one of them grants them all.
    """
    held: dict[str, set[SlotRef]] = {}
    every = [s for ns in request.namespaces for s in ns.slots] + [s for svc in request.services for s in svc.slots]
    for slot in every:
        held.setdefault(layout.locate(slot).path, set()).add(slot)
    out: dict[tuple[str, str | None], dict[str, list[SlotRef]]] = {}
    for svc in request.services:
        mine: dict[str, set[SlotRef]] = {}
        for slot in svc.slots:
            mine.setdefault(layout.locate(slot).path, set()).add(slot)
        for path, reads in mine.items():
            if len(reads) < len(held[path]):  # sizes first: most services read whole secrets
                out.setdefault((svc.service, svc.instance), {})[path] = sorted(held[path] - reads)
    return {k: dict(sorted(v.items())) for k, v in out.items()}


def _listing_rules(layout: VaultLayout, env: str, caps: str) -> list[str]:
    """`list` (and `caps`) where a listing of `env` goes: its root folder and everything below."""
    root = layout.list_root(env)
    top = layout.api("metadata", root) if root else f"{layout.mount}/metadata/"
    below = layout.api("metadata", root) + "/*" if root else f"{layout.mount}/metadata/*"
    return [_rule(top, caps), _rule(below, caps)]


def _groups(layout: VaultLayout, paths: Iterable[str]) -> list[str]:
    """The group documents (path_writes.py, meta.py) holding the records of these one-key paths."""
    found = {join(layout.warden_base, "keys", g[0]) for p in paths if (g := layout.key_group(p))}
    return sorted(found)


def render_policies(layout: VaultLayout, request: AccessRequest) -> dict[str, str]:
    """Policy name -> HCL text, in a stable order.

    A read policy names exactly the KV secrets of the slots the service reads (no
    globs); where one of them also holds keys the service does not read, the policy
    says so in a comment (`warden lint` reports it as `vault-overgrant`).
    """
    out: dict[str, str] = {}
    wider = overgrants(layout, request)
    for svc in request.services:
        paths = sorted({layout.locate(slot).path for slot in svc.slots})
        who = f"{svc.service}@{svc.instance}" if svc.instance else svc.service
        body = [f"# warden: what `{who}` reads in `{request.env}` ({request.project})\n"]
        for path, others in wider.get((svc.service, svc.instance), {}).items():
            names = ", ".join(f"{s.namespace}/{s.key}" for s in others)
            body.append(
                f"# warden: OVER-GRANT: `{path}` also holds {names}, which `{who}` does not read; the layout "
                f"({layout.describe()}) keeps them in one KV secret. A per-key layout ({{key}} in the path) "
                "removes this.\n"
            )
        for p in paths:
            for kind in ("data", "metadata"):
                body.append(_rule(layout.api(kind, p), READ))
            body.append(_rule(layout.api("metadata", join(layout.warden_base, "history", p)) + "/*", READ))
        # One-key paths keep their records in their namespace's group document (names, versions
        # and keyed fingerprints of the namespace's keys: metadata, never a value).
        for g in _groups(layout, paths):
            body.append(_rule(layout.api("metadata", g), READ))
        # `warden run` reads the open incidents from the register's head (stores/vault/journal.py).
        body.append(_rule(layout.api("metadata", join(layout.warden_base, "journal", "incidents", "head")), READ))
        # Past ~300 open incidents the head's index is in parts beside it (stores/vault/journal.py).
        body.append(_rule(layout.api("metadata", join(layout.warden_base, "journal", "incidents", "index")) + "/*", READ))
        out[policy_name(request.project, request.env, svc.service, svc.instance or "", "read")] = "\n".join(body)
    for ns in request.namespaces:
        owned = {layout.namespace_path(request.env, ns.namespace)}
        owned |= {layout.namespace_path(request.env, ns.namespace, i) for i in ns.instances}
        owned |= {layout.locate(slot).path for slot in ns.slots}
        body = [f"# warden: administer namespace `{ns.namespace}` in `{request.env}` ({request.project})\n"]
        for g in _groups(layout, owned):
            body.append(_rule(layout.api("metadata", g), WRITE_META))
        for p in sorted(owned):
            body.append(_rule(layout.api("metadata", join(layout.warden_base, "history", p)) + "/*", WRITE_META))
            for suffix in ("", "/*"):
                body.append(_rule(layout.api("data", p) + suffix, WRITE_DATA))
                body.append(_rule(layout.api("metadata", p) + suffix, WRITE_META))
                for kind in ("delete", "undelete", "destroy"):
                    body.append(_rule(layout.api(kind, p) + suffix, '["update"]'))
        root = layout.list_root(request.env)
        body.append(_rule(layout.api("metadata", root) if root else f"{layout.mount}/metadata/", '["list"]'))
        body.append(_rule(layout.api("metadata", join(layout.warden_base, "denied")), '["create", "read", "update"]'))
        body.append(_rule(layout.api("metadata", join(layout.warden_base, "fingerprint-key")), '["create", "read"]'))
        # The shared journals (docs/team.md): an entry may be created, never changed or deleted;
        # only the head moves (check-and-set).
        journal = layout.api("metadata", join(layout.warden_base, "journal"))
        body.append(_rule(journal + "/+/e/*", '["create", "read", "list"]'))
        body.append(_rule(journal + "/+/e", '["list"]'))
        body.append(_rule(journal + "/+/head", '["create", "read", "update"]'))
        body.append(_rule(journal + "/+/index/*", '["create", "read"]'))  # the head's index in parts: created once
        out[policy_name(request.project, request.env, ns.namespace, "admin")] = "\n".join(body)
    listing = layout.env_listing()
    envs_rule = []
    if listing is not None and listing != layout.list_root(request.env):
        envs_rule = [_rule(layout.api("metadata", listing) if listing else f"{layout.mount}/metadata/", '["list"]')]
    out[policy_name(request.project, request.env, "status")] = "\n".join(
        [
            f"# warden: reports on `{request.env}` ({request.project}) from metadata; no value can be read\n",
            *envs_rule,
            *_listing_rules(layout, request.env, '["list", "read"]'),
            _rule(layout.api("metadata", layout.warden_base) + "/*", '["list", "read"]'),
        ]
    )
    return out


def _get(store: VaultStore, url: str, what: str) -> dict[str, Any] | None:
    try:
        # Through the lean transport (fast_http.py) like KV requests: a bootstrap compares every
        # policy it renders, and hvac's CPU per request is taken from the server on a small host.
        resp = store._call(lambda: store._send("GET", url, None, lambda: store.client.adapter.get(url)), what, "read")
    except NotFound:
        return None
    except StoreUnavailable as exc:
        if "No secret engine mount" in exc.message or "no handler" in exc.message:
            return None
        raise
    data = resp.get("data") if isinstance(resp, dict) else None
    return data if isinstance(data, dict) else None


def _ensure_mount(store: VaultStore, apply: bool) -> AccessChange:
    mount = store.layout.mount
    info = _get(store, f"/v1/sys/mounts/{mount}", f"sys/mounts/{mount}")
    if info is not None:
        if info.get("type") != "kv" or str((info.get("options") or {}).get("version")) != "2":
            raise StoreUnavailable(
                f"`{mount}/` on {store.connection.address} is a {info.get('type')} mount, not KV version 2",
                hint="choose another `mount` in warden.yaml, or upgrade it: `bao kv enable-versioning`",
            )
        return AccessChange("mount", mount, "unchanged", "KV v2")
    if apply:
        store._call(
            lambda: store.client.adapter.post(
                f"/v1/sys/mounts/{mount}", json={"type": "kv", "options": {"version": "2"}}
            ),
            f"sys/mounts/{mount}",
            "create, update (sudo)",
            idempotent=False,
        )
    else:
        store.assume_empty = True  # the dry-run plan reads an absent mount as empty
    return AccessChange("mount", mount, "create", "KV v2")


def _policy_names(store: VaultStore) -> set[str] | None:
    """Names of the server's ACL policies (one LIST), or None when the token may not list them."""
    try:
        url = "/v1/sys/policies/acl"
        resp = store._call(
            lambda: store._send("LIST", url, None, lambda: store.client.adapter.request("LIST", url)),
            "sys/policies/acl",
            "list",
        )
    except (NotFound, PermissionDenied):
        return None
    keys = (resp.get("data") or {}).get("keys") if isinstance(resp, dict) else None
    return {str(k) for k in keys} if isinstance(keys, list) else None


def _ensure_policy(store: VaultStore, name: str, text: str, apply: bool, existing: set[str] | None) -> AccessChange:
    url = f"/v1/sys/policies/acl/{name}"
    # A policy the listing does not hold is new: nothing to read back and compare.
    have = None if existing is not None and name not in existing else _get(store, url, f"sys/policies/acl/{name}")
    if have is not None and str(have.get("policy", "")).strip() == text.strip():
        return AccessChange("policy", name, "unchanged")
    if apply:
        body = {"policy": text}
        store._call(
            lambda: store._send("PUT", url, body, lambda: store.client.adapter.put(url, json=body)),
            f"sys/policies/acl/{name}",
            "create, update",
        )
    return AccessChange("policy", name, "create" if have is None else "update")


def _ensure_approle_auth(store: VaultStore, apply: bool) -> AccessChange:
    auths = store._call(lambda: store.client.adapter.get("/v1/sys/auth"), "sys/auth", "read")
    mounts = auths.get("data", auths) if isinstance(auths, dict) else {}
    if "approle/" in mounts:
        return AccessChange("auth", "approle", "unchanged")
    if apply:
        store._call(
            lambda: store.client.adapter.post("/v1/sys/auth/approle", json={"type": "approle"}),
            "sys/auth/approle",
            "create, update (sudo)",
            idempotent=False,
        )
    return AccessChange("auth", "approle", "create")


def _ensure_role(store: VaultStore, name: str, policy: str, apply: bool) -> AccessChange:
    url = f"/v1/auth/approle/role/{name}"
    have = _get(store, url, f"auth/approle/role/{name}")
    where = f"role id: `bao read auth/approle/role/{name}/role-id`"
    if have is not None and list(have.get("token_policies") or []) == [policy]:
        return AccessChange("role", name, "unchanged", where)
    if apply:
        store._call(
            lambda: store.client.adapter.post(url, json={"token_policies": [policy], "token_ttl": "1h", "token_max_ttl": "4h"}),
            f"auth/approle/role/{name}",
            "create, update",
        )
    return AccessChange("role", name, "create" if have is None else "update", where)


def provision(store: VaultStore, request: AccessRequest, *, apply: bool) -> AccessReport:
    report = AccessReport(applied=apply)
    report.changes.append(_ensure_mount(store, apply))
    policies = render_policies(store.layout, request)
    existing = _policy_names(store) if len(policies) > 1 else None
    for res, err in store._fan_out(
        lambda item: _ensure_policy(store, item[0], item[1], apply, existing), list(policies.items())
    ):
        if err is not None:
            raise err
        assert res is not None
        report.changes.append(res)
    if request.approles:
        if report.changes[0].action == "create" and not apply:
            report.changes.append(AccessChange("auth", "approle", "create"))
        else:
            report.changes.append(_ensure_approle_auth(store, apply))
        roles = [
            (role_name(request, s.service, s.instance), policy_name(request.project, request.env, s.service, s.instance or "", "read"))
            for s in request.services
        ]
        for res, err in store._fan_out(lambda r: _ensure_role(store, r[0], r[1], apply), roles):
            if err is not None:
                raise err
            assert res is not None
            report.changes.append(res)
    return report
