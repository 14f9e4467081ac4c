"""The backend registry is the one list of backends (issue 17)."""

from __future__ import annotations

from pathlib import Path

from secretwarden.contract.model import Store
from secretwarden.stores.registry import BACKEND_NAMES, BACKENDS, backend_module
from tests.conftest import MINIMAL_CONTRACT, run_warden


def test_every_entry_loads_a_module_with_open_store() -> None:
    for name in BACKENDS:
        assert callable(backend_module(name).open_store)


def test_the_contract_accepts_exactly_the_registered_backends() -> None:
    assert Store.model_json_schema()["properties"]["backend"]["enum"] == list(BACKEND_NAMES)


def test_an_unregistered_backend_is_a_contract_error(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT + "stores:\n  local: {backend: dotenv}\n")
    proc = run_warden("--contract", contract, "validate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "embedded" in proc.stderr and "vault" in proc.stderr, proc.stderr
