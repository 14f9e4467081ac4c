"""Least privilege, measured on a real OpenBao: with the per-key layout, a service's bootstrapped
policy reads exactly the slots its contract reads — every other slot of the environment is denied.
With the per-namespace layout the policy cannot be narrower than a whole namespace path: `warden
lint` says so (`vault-overgrant`) for every service that reads only part of a namespace."""

from __future__ import annotations

import secrets
from pathlib import Path

import hvac
import pytest

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

CONTRACT = MINIMAL_CONTRACT.replace(
    "      DATABASE_URL: {format: database-url, generate: none}\n",
    "      DATABASE_URL: {format: database-url, generate: none}\n"
    "      ADMIN_DSN: {generate: {kind: chars, length: 24}}\n",  # shared, but nobody else reads it
)


def _contract(tmp_path: Path, layout: str) -> Path:
    prefix = "lp" + secrets.token_hex(4)
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: {prefix}, layout: {layout}}}\n"
    path = tmp_path / layout / "warden.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    return path


def test_per_key_policies_grant_exactly_the_declared_slots(tmp_path: Path, vault_server: VaultServer) -> None:
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.vault.access import policy_name

    contract = _contract(tmp_path, "per-key")
    env = vault_server.env()
    assert run_warden("-c", contract, "set", "shared/DATABASE_URL", "--env", "dev",
                      input="postgres://u:" + make_canary() + "@db/app", env=env).returncode == 0
    boot = run_warden("-c", contract, "bootstrap", "--env", "dev", env=env, timeout=120)
    assert boot.returncode in (0, 1), boot.output
    admin = vault_server.client()
    with Workspace.load(contract) as ws:
        from secretwarden.contract.plan import requirements

        reqs = requirements(ws.contract, "dev")
        store = ws.metadata("dev")
        every = {r.slot for r in reqs}
        located = {slot: store.remote_ref(slot) for slot in every}  # type: ignore[attr-defined]
    mount = "secret"
    checked = 0
    for service in ("api", "shared"):
        policy = policy_name("demo", "dev", service, "", "read")
        token = admin.auth.token.create(policies=[policy], ttl="5m")["auth"]["client_token"]
        client = hvac.Client(url=vault_server.address, token=token)
        mine = {r.slot for r in reqs if r.service == service}
        for slot in every:
            path, _field = located[slot]
            try:
                client.secrets.kv.v2.read_secret_version(path=path, mount_point=mount, raise_on_deleted_version=False)
                allowed = True
            except hvac.exceptions.Forbidden:
                allowed = False
            except hvac.exceptions.InvalidPath:
                allowed = True  # no value there, but the policy let the request through
            assert allowed == (slot in mine), (service, slot, allowed)
            checked += 1
    assert checked >= 2 * len(every)


def test_lint_names_the_over_grant_of_a_per_namespace_layout(tmp_path: Path) -> None:
    import json

    contract = _contract(tmp_path, "per-namespace")
    result = run_warden("lint", "--rule", "vault-overgrant", "--format", "json", cwd=contract.parent)
    assert result.returncode == 0, result.output  # a warning: it does not fail the build
    found = json.loads(result.stdout)["findings"]
    assert {(f["service"], f["message"].split("`")[1]) for f in found} == {("api", "dev"), ("api", "prod")}
    assert all("ADMIN_DSN" in f["message"] for f in found)
    per_key = _contract(tmp_path, "per-key")
    clean = run_warden("lint", "--rule", "vault-overgrant", "--format", "json", cwd=per_key.parent)
    assert json.loads(clean.stdout)["findings"] == []
