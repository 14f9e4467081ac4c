"""Direct-Vault services: one AppRole each, and its bootstrap credentials kept in the store.

For every service declared `access: direct-vault`:

* an AppRole `<project>-<env>-<service>[-<instance>]` whose only policy is the
  service's read policy (access.py: exactly the KV secrets of its slots);
* a policy `<project>-<env>-<service>[-<instance>]-bootstrap-read` granting
  read on the secret(s) holding the credentials, for whoever syncs them into
  the cluster (the External Secrets operator, or the service's own
  Kubernetes auth role);
* the credentials themselves (`role_id` and one `secret_id`) written through
  the store's own write path (warden metadata, keyed fingerprints) to the
  slots of the pseudo-namespace `<service>-bootstrap`, placed by the layout.

Credentials already stored are kept while the server still accepts them (the
stored role id is the role's, the stored secret id looks up); otherwise a new
secret id is issued and written. Values only ever travel between the server
and the store: they are not returned, logged or put into an exception.
"""

from __future__ import annotations

from typing import Any, Protocol

from secretwarden.stores.base import AccessChange, SecretValue, WriteRequest, WriteResult
from secretwarden.stores.machine_auth import DirectService, MachineAuthReport, MachineAuthRequest
from secretwarden.stores.vault.access import (
    READ,
    VaultStore,
    _ensure_approle_auth,
    _ensure_policy,
    _get,
    _rule,
)
from secretwarden.stores.vault.machine_names import (
    credentials_policy_of,
    read_policy_of,
    seconds,
    service_role,
)


class CredentialWriter(VaultStore, Protocol):
    """The store, as this step uses it: provisioning calls plus its own write path."""

    def write_many(self, requests: list[WriteRequest]) -> list[WriteResult]: ...


TOKEN_TTL = "1h"
TOKEN_MAX_TTL = "4h"


def credentials_policy(store: VaultStore, request: MachineAuthRequest, svc: DirectService) -> str:
    who = f"{svc.service}@{svc.instance}" if svc.instance else svc.service
    paths = sorted({store.layout.locate(slot).path for slot in svc.credentials.values()})
    body = [f"# warden: read the AppRole bootstrap credentials of `{who}` in `{request.env}` ({request.project})\n"]
    body += [_rule(store.layout.api("data", p), READ) for p in paths]
    return "\n".join(body)


def provision_direct(store: CredentialWriter, request: MachineAuthRequest, report: MachineAuthReport, *, apply: bool) -> None:
    if not request.direct:
        return
    method = _ensure_approle_auth(store, apply)
    report.changes.append(method)
    # A dry run against a server without AppRole: there is no role to read, every one is new.
    fresh = method.action == "create" and not apply
    for svc in request.direct:
        project, env = request.project, request.env
        policy = credentials_policy_of(project, env, svc.service, svc.instance)
        report.changes.append(_ensure_policy(store, policy, credentials_policy(store, request, svc), apply, None))
        role = service_role(project, env, svc.service, svc.instance)
        read_policy = read_policy_of(project, env, svc.service, svc.instance)
        change = (AccessChange("approle", role, "create", f"policy {read_policy}") if fresh
                  else _ensure_role(store, role, read_policy, apply))
        report.changes.append(change)
        label = f"{svc.service}@{svc.instance}" if svc.instance else svc.service
        if change.action == "create" and not apply:
            report.changes.append(AccessChange("credentials", label, "create", "AppRole role_id + secret_id"))
            continue
        action = _ensure_credentials(store, role, svc, apply)
        report.changes.append(AccessChange("credentials", label, action, _where(store, svc)))
        if apply and action != "unchanged":
            report.credentials_written.append(label)


def _where(store: VaultStore, svc: DirectService) -> str:
    paths = sorted({store.layout.locate(slot).path for slot in svc.credentials.values()})
    return "at " + ", ".join(f"{store.layout.mount}/{p}" for p in paths)


def _ensure_role(store: VaultStore, name: str, policy: str, apply: bool) -> AccessChange:
    url = f"/v1/auth/approle/role/{name}"
    have = _get(store, url, f"auth/approle/role/{name}")
    want: dict[str, Any] = {"token_policies": [policy], "token_ttl": TOKEN_TTL, "token_max_ttl": TOKEN_MAX_TTL,
                            # The stored secret id is the service's long-lived bootstrap: it must not expire
                            # or run out of uses while the Secret in the cluster still carries it.
                            "secret_id_ttl": 0, "secret_id_num_uses": 0}
    if have is not None and _same_role(have, want):
        return AccessChange("approle", name, "unchanged", f"policy {policy}")
    if apply:
        store._call(lambda: store.client.adapter.post(url, json=want), f"auth/approle/role/{name}", "create, update")
    return AccessChange("approle", name, "create" if have is None else "update", f"policy {policy}")


def _same_role(have: dict[str, Any], want: dict[str, Any]) -> bool:
    return (
        list(have.get("token_policies") or []) == want["token_policies"]
        and have.get("token_ttl") == seconds(want["token_ttl"])
        and have.get("token_max_ttl") == seconds(want["token_max_ttl"])
        and not have.get("secret_id_ttl")
        and not have.get("secret_id_num_uses")
    )


def _read_stored(store: VaultStore, svc: DirectService) -> dict[str, str]:
    """Credential field -> stored value (only to compare with the server; never returned further)."""
    out: dict[str, str] = {}
    for fld, slot in svc.credentials.items():
        loc = store.layout.locate(slot)
        data = _get(store, "/v1/" + store.layout.api("data", loc.path), store.layout.api("data", loc.path))
        fields = (data or {}).get("data") or {}
        value = fields.get(loc.field) if isinstance(fields, dict) else None
        if isinstance(value, str) and value:
            out[fld] = value
    return out


def _ensure_credentials(store: CredentialWriter, role: str, svc: DirectService, apply: bool) -> str:
    base = f"auth/approle/role/{role}"
    resp = store._call(lambda: store.client.adapter.get(f"/v1/{base}/role-id"), f"{base}/role-id", "read")
    role_id = str(((resp or {}).get("data") or {}).get("role_id", ""))
    stored = _read_stored(store, svc)
    if stored.get("role_id") == role_id and stored.get("secret_id") and _secret_id_valid(store, base, stored["secret_id"]):
        return "unchanged"
    action = "update" if stored else "create"
    role_id_stale = stored.get("role_id") != role_id
    del stored  # nothing of it is needed any more
    if not apply:
        return action
    issued = store._call(
        lambda: store.client.adapter.post(f"/v1/{base}/secret-id", json={"metadata": '{"issued_by": "warden bootstrap"}'}),
        f"{base}/secret-id",
        "update",
        idempotent=False,
    )
    values = {"role_id": role_id, "secret_id": str(((issued or {}).get("data") or {}).get("secret_id", ""))}
    # Through the store's own write path: the credentials get warden's metadata (versions, keyed
    # fingerprints) like any slot. An unchanged role id is not written again (that would be a reuse).
    store.write_many([
        WriteRequest(slot, SecretValue(values[fld]), source="bootstrap")
        for fld, slot in svc.credentials.items()
        if fld != "role_id" or role_id_stale
    ])
    return action


def _secret_id_valid(store: VaultStore, base: str, secret_id: str) -> bool:
    body = {"secret_id": secret_id}
    resp = store._call(
        lambda: store.client.adapter.post(f"/v1/{base}/secret-id/lookup", json=body), f"{base}/secret-id/lookup", "update"
    )
    # An unknown secret id answers 204 (no body); a known one returns its metadata.
    return isinstance(resp, dict) and bool(resp.get("data"))
