"""A Vault that is down fails `status` and `ci` within the configured budget, and every HTTP error is named.

No assertion is about time: the budget the message reports comes from the options (and the
defaults), and the number of requests the server saw is counted from its audit log.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.vault_server import VaultServer, free_port

pytestmark = [pytest.mark.vault]


def contract_with(options: str) -> str:
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{{options}}}\n"
    return MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1)


@pytest.mark.parametrize("command", [["status", "--env", "dev"], ["ci", "--env", "dev"]])
def test_a_closed_port_fails_with_the_default_connect_budget(tmp_path: Path, command: list[str]) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(contract_with(f"address: http://127.0.0.1:{free_port()}, path_prefix: down"))
    r = run_warden("--contract", contract, *command, env={"VAULT_TOKEN": "t", "BAO_TOKEN": "t"})
    assert r.returncode == 3, r.output
    # The short budget for "nothing accepts a connection", not the 30 s retry deadline.
    assert "did not answer" in r.output and "within 5s" in r.output and "connection refused" in r.output
    assert "Traceback" not in r.output


def test_the_connect_budget_is_configurable(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    options = f"address: http://127.0.0.1:{free_port()}, connect_retry_deadline: 1, connect_timeout: 1"
    contract.write_text(contract_with(options))
    r = run_warden("--contract", contract, "status", "--env", "dev", env={"VAULT_TOKEN": "t", "BAO_TOKEN": "t"})
    assert r.returncode == 3 and "within 1s" in r.stderr, r.output


def test_a_kubernetes_login_answered_with_500_is_reported_as_a_server_error(
    tmp_path: Path, vault_server: VaultServer
) -> None:
    # A Kubernetes auth mount that was never configured: OpenBao answers every login with HTTP 500.
    mount = "k8s" + secrets.token_hex(4)
    admin = vault_server.client()
    admin.sys.enable_auth_method("kubernetes", path=mount)
    admin.adapter.post(
        f"/v1/auth/{mount}/role/app",
        json={"bound_service_account_names": ["app"], "bound_service_account_namespaces": ["default"]},
    )
    jwt_file = tmp_path / "sa-token"
    jwt_file.write_text("header." + secrets.token_hex(16) + ".signature")
    contract = tmp_path / "warden.yaml"
    contract.write_text(
        contract_with(f"address: {vault_server.address}, auth: {{method: kubernetes, role: app, mount: {mount}, jwt_file: {jwt_file}}}")
    )
    r = run_warden("--contract", contract, "status", "--env", "dev", env={"VAULT_TOKEN": "", "BAO_TOKEN": ""})
    assert r.returncode == 3, r.output
    assert "HTTP 500" in r.stderr and "could not load backend configuration" in r.stderr, r.stderr
    assert "did not answer" not in r.stderr and "login" in r.stderr
    assert jwt_file.read_text() not in r.output


def test_a_host_name_that_does_not_resolve_is_said_so(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    options = "address: http://openbao.warden-test.invalid:8200, connect_retry_deadline: 1, connect_timeout: 1"
    contract.write_text(contract_with(options))
    r = run_warden("--contract", contract, "status", "--env", "dev", env={"VAULT_TOKEN": "t", "BAO_TOKEN": "t"})
    assert r.returncode == 3 and "does not resolve" in r.stderr and "host name" in r.stderr, r.output
    assert "Traceback" not in r.output
