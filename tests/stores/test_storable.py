"""One check for every value that enters a store (stores/storable.py), and every write path uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secretwarden.errors import InputError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from secretwarden.stores.storable import MAX_ONE_VARIABLE, unstorable_reason
from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

SLOT = SlotRef("dev", "api", "API_TOKEN")


def test_the_rule() -> None:
    assert unstorable_reason("K", "fine value") is None
    assert "NUL" in str(unstorable_reason("K", "a\0b"))
    assert "too large" in str(unstorable_reason("K", "x" * MAX_ONE_VARIABLE))
    assert unstorable_reason("K", "x" * (MAX_ONE_VARIABLE - 4)) is None  # "K=" + value + NUL fits exactly
    assert unstorable_reason("K", "é" * (MAX_ONE_VARIABLE // 2)) is not None  # counted in bytes, not characters


@pytest.mark.parametrize("tail", ["\0rest", "y" * (200 * 1024)])
def test_no_write_request_carries_an_unstorable_value(tail: str) -> None:
    canary = make_canary()
    with pytest.raises(InputError) as info:
        WriteRequest(SLOT, SecretValue(canary + tail))
    assert "dev:api/API_TOKEN" in str(info.value) and canary not in str(info.value)


def _project(tmp_path: Path) -> Path:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    return contract


def test_rotate_stdin_refuses_a_nul_byte(tmp_path: Path) -> None:
    contract = _project(tmp_path)
    first = make_canary("first")
    assert run_warden("-c", contract, "set", "api/API_TOKEN", "--env", "dev", input=first).returncode == 0
    canary = make_canary()
    r = run_warden("-c", contract, "rotate", "api/API_TOKEN", "--env", "dev", "--stdin", "--yes",
                   "--reason", "drill", input=canary + "\0tail")
    assert r.returncode == 2 and "NUL" in r.stderr and "Traceback" not in r.output, r.output
    assert canary not in r.output
    ls = run_warden("-c", contract, "ls", "--env", "dev", "--format", "json")
    token = next(row for row in json.loads(ls.stdout) if row["key"] == "API_TOKEN")
    assert token["versions"] == 1  # nothing was written


def _older_write(contract: Path, store: str, slot: SlotRef, value: str) -> None:
    """A value stored by a warden from before this check (or by another tool): the request is forged."""
    from secretwarden.ops.workspace import Workspace

    with Workspace.load(contract) as ws:
        request = WriteRequest(slot, SecretValue("placeholder-value"))
        request.__dict__["value"] = SecretValue(value)
        ws.secrets_store(store).write_many([request])


def test_migrate_does_not_carry_an_unstorable_value(tmp_path: Path) -> None:
    contract = _project(tmp_path)
    contract.write_text(MINIMAL_CONTRACT.replace(
        "namespaces:",
        "stores:\n  local: {backend: embedded, options: {path: .warden/local.db}}\n"
        "  second: {backend: embedded, options: {path: .warden/second.db}}\n"
        "namespaces:",
    ).replace("  dev: {}", "  dev: {store: local}").replace("prod: {production: true}", "prod: {store: local, production: true}"))
    canary = make_canary()
    good = make_canary("good")
    assert run_warden("-c", contract, "set", "shared/DATABASE_URL", "--env", "dev", "--allow-invalid", input=good).returncode == 0
    _older_write(contract, "local", SLOT, canary + "\0tail")
    r = run_warden("-c", contract, "migrate", "--from", "local", "--to", "second", "--format", "json")
    assert canary not in r.output and "Traceback" not in r.output
    assert r.returncode not in (0, 4), r.output
    rows = {row["slot"]: row for row in json.loads(r.stdout)["slots"]}
    assert "NUL" in rows["dev:api/API_TOKEN"]["problem"] and rows["dev:api/API_TOKEN"]["copied"] == 0
    assert rows["dev:shared/DATABASE_URL"]["copied"] == 1  # the others are carried


def test_bootstrap_refuses_a_generated_value_no_environment_can_carry(tmp_path: Path) -> None:
    contract = _project(tmp_path)
    contract.write_text(MINIMAL_CONTRACT.replace("{kind: literal, value: 15m}", '{kind: literal, value: "15\\0m"}'))
    r = run_warden("-c", contract, "bootstrap", "--env", "dev")
    assert r.returncode == 2 and "dev:api/TOKEN_TTL contains a NUL byte" in r.stderr, r.output
    assert "Traceback" not in r.output
