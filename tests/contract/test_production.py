"""One definition of "production" (issue 17): the flag, or the name prod/production."""

from __future__ import annotations

from pathlib import Path

import yaml

from secretwarden.contract.model import Contract
from tests.conftest import MINIMAL_CONTRACT, run_warden


def _contract(text: str) -> Contract:
    return Contract.model_validate(yaml.safe_load(text))


def test_flag_or_name() -> None:
    c = _contract(MINIMAL_CONTRACT.replace("  dev: {}\n", "  dev: {}\n  production: {}\n  staging: {production: true}\n"))
    assert sorted(e for e in c.environments if c.is_production(e)) == ["prod", "production", "staging"]
    assert not c.is_production("dev")


def test_bootstrap_refuses_an_unflagged_prod(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("prod: {production: true}", "prod: {}"))
    proc = run_warden("--contract", contract, "bootstrap", "--env", "prod", "--dry-run")
    assert proc.returncode == 2 and "is production" in proc.stderr, proc.stderr
