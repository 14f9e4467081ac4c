"""`warden init` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden
from tests.contract.discovery_repo import EXPECTED, build_repo


@pytest.fixture
def canary() -> str:
    return make_canary("init")


@pytest.fixture
def repo(tmp_path: Path, canary: str) -> Path:
    return build_repo(tmp_path, canary)


def test_init_writes_a_contract_that_validates(repo: Path, canary: str) -> None:
    result = run_warden("init", repo)
    assert result.returncode == 0, result.stderr
    assert "STRIPE_SECRET_KEY" in result.stdout
    assert "services/payment/src/index.ts:1" in result.stdout
    assert "wrote" in result.stderr and "skipped broken/bad.yaml" in result.stderr
    contract = repo / "warden.yaml"
    checked = run_warden("--contract", contract, "validate")
    assert checked.returncode == 0, checked.stderr
    for text in (result.stdout, result.stderr, contract.read_text(), checked.output):
        assert canary not in text


def test_init_refuses_to_overwrite_then_force_replaces(repo: Path) -> None:
    contract = repo / "warden.yaml"
    contract.write_text("# hand written\n")
    refused = run_warden("init", repo)
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert contract.read_text() == "# hand written\n"
    forced = run_warden("init", "--force", repo)
    assert forced.returncode == 0, forced.stderr
    assert "STRIPE_SECRET_KEY" in contract.read_text()


def test_dry_run_writes_nothing(repo: Path) -> None:
    result = run_warden("init", "--dry-run", repo)
    assert result.returncode == 0, result.stderr
    assert "GATEWAY_TOKEN" in result.stdout
    assert "not written" in result.stderr
    assert not (repo / "warden.yaml").exists()


def test_json_format_lists_names_and_places(repo: Path, canary: str) -> None:
    result = run_warden("init", "--format", "json", "--dry-run", repo)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    places = data["services"]["payment"]["names"]["STRIPE_SECRET_KEY"]
    assert places == [
        {"path": "services/payment/src/index.ts", "line": 1, "source": "javascript", "has_default": True}
    ]
    assert "auth-env" in data["services"]["auth"]["kubernetes_secrets"]
    assert data["count"] >= len(EXPECTED)
    assert canary not in result.output


def test_project_name_and_cwd_default(repo: Path) -> None:
    result = run_warden("init", "--project", "shop", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "project: shop" in (repo / "warden.yaml").read_text()


def test_bad_input_is_a_one_line_error(tmp_path: Path) -> None:
    missing = run_warden("init", tmp_path / "nope")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    bad_project = run_warden("init", "--project", "///", tmp_path)
    assert bad_project.returncode == 2 and "project name" in bad_project.stderr
    assert not (tmp_path / "warden.yaml").exists()


CANARY_INVOCATIONS: list[tuple[str, ...]] = [
    ("init",),
    ("init", "--dry-run"),
    ("init", "--format", "json"),
    ("init", "--force", "--project", "canary-check"),
    ("--debug", "init", "--project", "///"),  # a failing run, with traceback frames
]


@pytest.mark.parametrize("args", CANARY_INVOCATIONS, ids=lambda a: " ".join(a))
def test_canary_in_no_output_and_no_file(
    repo: Path, canary: str, args: tuple[str, ...], isolated_home: Path
) -> None:
    before = {p for p in repo.rglob("*") if p.is_file()}
    result = run_warden(*args, repo)
    assert "Traceback" not in result.stderr or args[0] == "--debug"
    assert canary not in result.output
    written = [p for p in repo.rglob("*") if p.is_file() and p not in before]
    written += [p for p in isolated_home.rglob("*") if p.is_file()]
    assert {p.name for p in written if p.is_relative_to(repo)} <= {"warden.yaml"}
    for path in written:
        assert canary.encode() not in path.read_bytes(), f"value leaked into {path}"
