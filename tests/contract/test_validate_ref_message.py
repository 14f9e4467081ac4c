"""`warden validate` on a `ref` to a key nobody declares: the message names the
key first, then its namespace, and suggests the closest declared key."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MINIMAL_CONTRACT, run_warden


def test_undeclared_ref_names_key_then_namespace(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("ref: shared/DATABASE_URL", "ref: shared/DATABASE_UR"))
    result = run_warden("-c", contract, "validate")
    assert result.returncode == 2
    assert (
        "services.api.secrets.DATABASE_URL.ref: unknown key `DATABASE_UR` in namespace `shared`;"
        " did you mean `DATABASE_URL`?" in result.stderr
    )
    assert "hint: " in result.stderr and "Traceback" not in result.output
