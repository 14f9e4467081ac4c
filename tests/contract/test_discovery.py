"""Discovery end to end on a real polyglot repository built in a tmp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secretwarden.contract.discovery import Inventory, discover, render_contract, write_contract
from secretwarden.contract.loader import load_contract
from secretwarden.errors import InputError, UsageError
from tests.conftest import make_canary
from tests.contract.discovery_repo import EXPECTED, KUBERNETES_SECRETS, NOT_EXPECTED, build_repo


@pytest.fixture(scope="module")
def canary() -> str:
    return make_canary("disc")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, canary: str) -> Path:
    return build_repo(tmp_path_factory.mktemp("disc"), canary)


@pytest.fixture(scope="module")
def inventory(repo: Path) -> Inventory:
    return discover(repo)


def _found(inventory: Inventory) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for service, names in inventory.by_service().items():
        for name in names:
            found.setdefault(name, set()).add(service)
    return found


def test_every_expected_name_is_found_in_its_service(inventory: Inventory) -> None:
    found = _found(inventory)
    for name, services in EXPECTED.items():
        assert found.get(name) == services, name


def test_noise_ignored_vendored_and_oversized_files_give_nothing(inventory: Inventory) -> None:
    found = _found(inventory)
    assert not NOT_EXPECTED & set(found)
    assert "REAL_DOTENV_SECRET" not in found  # a real .env is never read
    assert "COMMENTED_OUT_SECRET" not in found
    assert "MODE" not in found  # a Vite built-in


def test_kubernetes_secret_objects_are_listed(inventory: Inventory) -> None:
    secrets = {name for names in inventory.kubernetes_secrets().values() for name in names}
    assert secrets >= KUBERNETES_SECRETS


def test_places_name_file_and_line(inventory: Inventory) -> None:
    (place,) = inventory.by_service()["auth"]["AUTH_JWT_SECRET"]
    assert (place.path, place.line, place.source) == ("services/auth/app.py", 4, "python")
    (ref,) = inventory.by_service()["auth"]["K8S_DB_PASSWORD"]
    assert ref.detail == "secretKeyRef db-credentials/password"


def test_skipped_files_are_reported_not_fatal(inventory: Inventory) -> None:
    reasons = {s.path: s.reason for s in inventory.skipped}
    assert "not valid YAML" in reasons["broken/bad.yaml"]
    assert "larger than 2 MB" in reasons["services/auth/big.py"]
    assert reasons["services/auth/logo.py"] == "binary"


def test_rendered_contract_loads_and_marks_plain_config(inventory: Inventory, tmp_path: Path) -> None:
    target = tmp_path / "warden.yaml"
    write_contract(target, render_contract(inventory, "demo"), force=False)
    contract = load_contract(target, use_cache=False).contract
    assert set(contract.environments) == {"dev", "staging", "prod"}
    assert contract.environments["prod"].production
    assert [s.backend for s in contract.stores.values()] == ["embedded"]
    assert contract.namespaces["payment"].path == "/services/payment"
    payment = contract.services["payment"].secrets
    assert payment["STRIPE_SECRET_KEY"].sensitive
    assert not payment["CUSTOMER_APP_URL"].sensitive
    assert not contract.services["auth"].secrets["AUTH_TOKEN_TTL"].sensitive
    assert contract.services["payment"].source == "services/payment"
    # `process.env.STRIPE_SECRET_KEY ?? "..."`: every read has a default
    assert not payment["STRIPE_SECRET_KEY"].required
    assert payment["STRIPE_WEBHOOK_SECRET"].required
    text = target.read_text()
    assert "# found at services/payment/src/index.ts:1 (javascript)" in text
    assert sum(len(s.secrets) for s in contract.services.values()) == inventory.count


def test_empty_repository_renders_a_valid_contract(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    inventory = discover(tmp_path / "empty")
    assert inventory.count == 0
    target = tmp_path / "warden.yaml"
    write_contract(target, render_contract(inventory, "empty"), force=False)
    assert load_contract(target, use_cache=False).contract.services == {}


def test_awkward_names_are_quoted_and_still_load(tmp_path: Path) -> None:
    repo = tmp_path / "on"  # a YAML 1.1 boolean word as project and service name
    (repo / "yes").mkdir(parents=True)
    (repo / "yes" / "a.py").write_text('import os\nos.getenv("ON")\nos.getenv("null")\n')
    (repo / "values.yaml").write_text("existingSecretKey: tls.crt\n")
    target = tmp_path / "warden.yaml"
    write_contract(target, render_contract(discover(repo), "on"), force=False)
    contract = load_contract(target, use_cache=False).contract
    assert contract.project == "on"
    assert set(contract.services["yes"].secrets) == {"ON", "null"}
    assert "tls.crt" in contract.services["on"].secrets


def test_write_contract_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "warden.yaml"
    target.write_text("keep me\n")
    with pytest.raises(UsageError, match="already exists"):
        write_contract(target, "new\n", force=False)
    assert target.read_text() == "keep me\n"
    write_contract(target, "new\n", force=True)
    assert target.read_text() == "new\n"


def test_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write the contract"):
        write_contract(blocker / "warden.yaml", "version: 1\n", force=False)


def test_bad_project_name_and_missing_root_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        render_contract(discover(tmp_path), "///")
    with pytest.raises(InputError):
        discover(tmp_path / "missing")


def test_canary_values_appear_nowhere(inventory: Inventory, canary: str, tmp_path: Path) -> None:
    text = render_contract(inventory, "demo")
    assert canary not in text
    assert canary not in json.dumps(inventory.to_json())
    assert canary not in repr(inventory)


def test_gitignore_negation_and_nested_files(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    (repo / "svc" / "gen").mkdir(parents=True)
    (repo / ".gitignore").write_text("*.py\n!keep.py\n")
    (repo / "svc" / ".gitignore").write_text("gen/\n")
    (repo / "svc" / "drop.py").write_text('os.getenv("DROPPED_KEY")\n')
    (repo / "svc" / "keep.py").write_text('os.getenv("KEPT_KEY")\n')
    (repo / "svc" / "gen" / "x.js").write_text("process.env.GENERATED_KEY\n")
    (repo / "svc" / "y.js").write_text("process.env.VISIBLE_KEY\n")
    names = set(discover(repo).by_service()["svc"])
    assert names == {"KEPT_KEY", "VISIBLE_KEY"}


def test_shell_names_need_to_look_secret_or_be_found_elsewhere(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    (repo / "bin").mkdir(parents=True)
    (repo / "app.py").write_text('import os\nos.getenv("APP_MODE")\n')
    (repo / "bin" / "run").write_text("#!/usr/bin/env bash\necho $APP_MODE $BUILD_DIR $API_TOKEN $HOME\n")
    (repo / "bin" / "notes").write_text("$NOT_A_SCRIPT_TOKEN\n")
    found = _found(discover(repo))
    assert set(found) == {"APP_MODE", "API_TOKEN"}
    assert found["APP_MODE"] == {"r", "bin"}


def test_root_sightings_join_the_services_that_use_the_name(tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    (repo / "services" / "api").mkdir(parents=True)
    (repo / "services" / "web").mkdir(parents=True)
    (repo / ".env.example").write_text("API_TOKEN=\nSHARED_SECRET=\nROOT_ONLY_KEY=\n")
    (repo / "services" / "api" / "a.py").write_text('os.getenv("API_TOKEN")\nos.getenv("SHARED_SECRET")\n')
    (repo / "services" / "web" / "w.js").write_text("process.env.SHARED_SECRET\n")
    by_service = discover(repo).by_service()
    assert set(by_service["mono"]) == {"ROOT_ONLY_KEY"}
    assert [p.path for p in by_service["api"]["API_TOKEN"]] == [".env.example", "services/api/a.py"]
    assert ".env.example" in {p.path for p in by_service["web"]["SHARED_SECRET"]}
