"""An unknown namespace or a key the store lacks: one line, and a hint naming what exists."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MINIMAL_CONTRACT, run_warden


def test_unknown_namespace_and_missing_key_name_what_exists(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    rotated = run_warden("-c", contract, "rotate", "x/y", "--env", "dev", "--generate")
    assert rotated.returncode == 2
    assert "unknown namespace `x`" in rotated.stderr and "hint: the contract's namespaces: api, shared, shop" in rotated.stderr
    missing = run_warden("-c", contract, "history", "api/NOPE", "--env", "dev")
    assert missing.returncode == 1 and "no such key" in missing.stderr
    assert "hint: `warden ls --env dev`" in missing.stderr
