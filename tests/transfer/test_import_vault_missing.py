"""`warden import vault:MOUNT/PATH` where no secret is: a usage error naming the
path (like a file that is not there), never an internal error."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden


@pytest.mark.vault
def test_a_vault_path_with_no_secret_is_exit_2(tmp_path: Path, vault_server) -> None:  # type: ignore[no-untyped-def]
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    path = "nothing" + secrets.token_hex(4) + "/app"
    result = run_warden("-c", contract, "import", f"vault:secret/{path}", "--env", "dev", env=vault_server.env())
    assert result.returncode == 2, result.output
    assert f"no secret at secret/data/{path}" in result.stderr
    assert "hint: " in result.stderr and "internal error" not in result.output
