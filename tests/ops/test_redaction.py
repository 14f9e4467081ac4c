"""`values_to_redact`: the store's sensitive values, or the process environment's, by contract name."""

from __future__ import annotations

from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.redaction import values_to_redact
from secretwarden.ops.workspace import Workspace
from tests.conftest import make_canary


def test_from_the_store_only_sensitive_keys_present(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    pairs = dict(values_to_redact(ws, "dev", service="api"))
    assert set(pairs) == {"API_TOKEN", "SHORT_PIN"}  # TTL is configuration, MANUAL was never set
    assert all(pairs.values())


def test_from_an_environment_by_contract_name(ws: Workspace) -> None:
    token, stray = make_canary(), make_canary()
    environ = {"API_TOKEN": token, "TTL": "15m", "UNRELATED": stray, "MANUAL": ""}
    pairs = values_to_redact(ws, "dev", service="api", from_environ=True, environ=environ)
    assert pairs == [("API_TOKEN", token)]  # not configuration, not a name the contract lacks, not empty
