"""Loading warden.yaml: the example, and every kind of bad input gets a positioned error."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.contract.loader import load_contract, parse_contract
from secretwarden.contract.plan import requirements
from secretwarden.errors import ContractError
from tests.conftest import EXAMPLE, MINIMAL_CONTRACT


def problems_of(text: str | bytes) -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(ContractError) as err:
        parse_contract(raw, "warden.yaml")
    return [err.value.message, *err.value.problems]


def test_example_contract_loads() -> None:
    loaded = load_contract(EXAMPLE, use_cache=False)
    contract = loaded.contract
    assert contract.project == "commerce"
    for ns in ("artwork", "quote-page", "order-intake", "pricing", "suppliers", "shipping", "shared-infra",
               "auth", "payment", "order-lifecycle", "notification"):
        assert ns in contract.namespaces
    assert any(ns.deprecated for ns in contract.namespaces.values())
    assert set(contract.environments) >= {"dev", "staging", "prod"}
    auth = contract.services["auth"].secrets
    assert {"JWT_SECRET", "ADMIN_JWT_SECRET", "AUTH_ACCESS_TOKEN_TTL", "AUTH_REFRESH_TOKEN_TTL", "PIN_TOKEN_TTL"} <= set(auth)
    assert auth["AUTH_REFRESH_TOKEN_TTL"].required is False


def test_cache_gives_the_same_contract(project: Path) -> None:
    first = load_contract(project)
    second = load_contract(project)  # from the cache
    assert first.contract == second.contract
    assert first.digest == second.digest


def test_requirements_resolve_refs_and_instances(project: Path) -> None:
    contract = load_contract(project).contract
    reqs = requirements(contract, "dev")
    db = next(r for r in reqs if r.var == "DATABASE_URL" and r.service == "api")
    assert db.slot.namespace == "shared" and db.via_ref == "shared/DATABASE_URL" and db.fmt == "database-url"
    shop = [r for r in reqs if r.service == "shop"]
    assert {r.slot.instance for r in shop} == {"tenant-a", "tenant-b"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project: [unclosed", "malformed YAML"),
        ("project: x\nenvironments: {dev: {}}\nnamespaces: {}\nservices: {}\nsevices: {}\n", "did you mean `services`"),
        (MINIMAL_CONTRACT.replace("min_length: 16", "min_lenght: 16"), "did you mean `min_length`"),
        (MINIMAL_CONTRACT.replace("format: hex", "format: hexx"), "did you mean `hex`"),
        (MINIMAL_CONTRACT.replace("namespace: shop\n", "namespace: shoop\n"), "unknown namespace `shoop`; did you mean `shop`"),
        (MINIMAL_CONTRACT.replace("ref: shared/DATABASE_URL", "ref: shared/DATABASE_UR"), "did you mean `DATABASE_URL`"),
        (MINIMAL_CONTRACT.replace("min_length: 16", "min_length: sixteen"), "services.api.secrets.API_TOKEN.min_length"),
        (MINIMAL_CONTRACT + "  shop2:\n    namespace: shop\n    per_instance: true\n    secrets:\n      DB: {ref: shared/DATABASE_URL}\n",
         "never fall back to shared credentials"),
        (MINIMAL_CONTRACT.replace("project: demo\n", "project: demo\nproject: again\n"), "duplicate key `project`"),
        ("- a\n- b\n", "a YAML mapping"),
        (MINIMAL_CONTRACT.replace("generate: {kind: chars, length: 24}", "generate: {kind: literal, value: x}"),
         "only allowed for `sensitive: false`"),
        (MINIMAL_CONTRACT.replace("dev: {}", "dev: {rotate_every: soon}"), "not a duration"),
    ],
)
def test_bad_contracts_name_the_place(text: str, expected: str) -> None:
    found = "\n".join(problems_of(text))
    assert expected in found
    assert "Traceback" not in found


def test_positions_point_at_the_field() -> None:
    text = MINIMAL_CONTRACT.replace("min_length: 16", "min_lenght: 16")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "min_lenght" in ln)
    found = "\n".join(problems_of(text))
    assert f"warden.yaml:{line}:" in found


def test_invalid_utf8_is_a_clear_error() -> None:
    found = "\n".join(problems_of(b"project: caf\xe9\n"))
    assert "warden.yaml:1:" in found and "UTF-8" in found


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="not found"):
        load_contract(tmp_path / "nope.yaml")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_never_crashes(text: str) -> None:
    with contextlib.suppress(ContractError):
        parse_contract(text.encode("utf-8", "surrogatepass"), "warden.yaml")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(raw: bytes) -> None:
    with contextlib.suppress(ContractError):
        parse_contract(raw, "warden.yaml")
