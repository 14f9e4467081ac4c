"""`warden isolation` says, as `status` does, when a store holds data written outside
warden: values it has no fingerprint (or even no key name) for cannot be compared."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden


@pytest.mark.vault
def test_a_path_written_outside_warden_is_noted(tmp_path: Path, vault_server: Any) -> None:
    prefix = "iso" + secrets.token_hex(4)
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: {prefix}}}\n"
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1).replace("project: demo", f"project: {prefix}"))
    env = vault_server.env()
    assert run_warden("-c", contract, "bootstrap", "--env", "dev", env=env).returncode == 0
    vault_server.client().secrets.kv.v2.create_or_update_secret(
        path=f"{prefix}/dev/elsewhere", secret={"OTHER_TOKEN": secrets.token_hex(12)}, mount_point="secret")
    result = run_warden("-c", contract, "isolation", env=env)
    assert result.returncode == 0, result.output
    assert f"warden: note: secret/data/{prefix}/dev/elsewhere was written outside warden" in result.stderr
