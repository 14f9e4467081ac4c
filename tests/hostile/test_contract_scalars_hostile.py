"""Contract scalars that Python refuses to convert: an integer of thousands of digits.

Python's int() refuses a text of more than 4300 digits (ValueError). The
line reader of contracts (contract/plain_yaml.py) called it directly, so a
`version: 1000…0` made every command that reads the contract exit 4.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.hostile.support import assert_clear_error

HUGE = "1" + "0" * 5000

COMMANDS = [
    ["validate"],
    ["status", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["get", "api/API_TOKEN", "--env", "dev"],
    ["render", "env-example"],
]


@pytest.mark.parametrize("where", ["version: 1", "length: 24", "min_length: 16"])
def test_an_integer_of_thousands_of_digits_is_a_contract_error(tmp_path: Path, where: str) -> None:
    contract = tmp_path / "warden.yaml"
    field = where.split(":")[0]
    contract.write_text(MINIMAL_CONTRACT.replace(where, f"{field}: {HUGE}"))
    for command in COMMANDS:
        first = assert_clear_error(run_warden("-c", contract, *command), 2)
        assert str(contract) in first and HUGE not in first


def test_a_long_but_convertible_integer_is_still_validated(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("length: 24", "length: " + "9" * 900))
    r = run_warden("-c", contract, "validate")
    assert r.returncode == 2 and "less than or equal to 4096" in r.stderr, r.output


@pytest.mark.parametrize(("written", "expected"), [("ON", "ON"), ("NO", "NO"), ("yes", "yes")])
def test_a_key_spelled_like_a_boolean_keeps_the_name_that_was_written(tmp_path: Path, written: str, expected: str) -> None:
    # YAML 1.1 reads `ON:` as the boolean true; the name used to become "True" (env var True=...).
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("SHOP_KEY:", f"{written}:"))
    r = run_warden("-c", contract, "render", "env-example", "--service", "shop")
    assert r.returncode == 0, r.output
    assert f"\n{expected}=" in r.stdout and "True=" not in r.stdout and "False=" not in r.stdout


def test_a_null_key_is_refused_not_renamed(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("SHOP_KEY:", "~:"))
    r = run_warden("-c", contract, "validate")
    assert r.returncode == 2 and "services.shop.secrets.~" in r.stderr and "None" not in r.stderr, r.output
