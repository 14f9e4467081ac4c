"""The sealed plan cache: a plan is used only for the inputs it was compiled from, and only intact."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from secretwarden.contract import plan_cache
from secretwarden.contract.loader import load_contract
from secretwarden.contract.plan import ServicePlan, service_plan
from tests.conftest import MINIMAL_CONTRACT

REQUEST = ("api", "dev", None, False)


def compiled(contract: Path) -> ServicePlan:
    plan = service_plan(load_contract(contract), "api", "dev", None)
    plan_cache.save(plan, contract.resolve(), REQUEST, os.environ)
    return plan


def lookup(contract: Path, environ: dict[str, str] | None = None) -> ServicePlan | None:
    loaded = load_contract(contract)
    return plan_cache.load(contract.resolve(), loaded.digest, REQUEST, dict(os.environ) if environ is None else environ)


def plan_files(home: Path) -> list[Path]:
    return sorted((home / "cache" / "plans").glob("*.json"))


def test_a_saved_plan_comes_back_whole(project: Path) -> None:
    plan = compiled(project)
    assert lookup(project) == plan
    assert {e.var for e in plan.entries} >= {"API_TOKEN", "TOKEN_TTL", "DATABASE_URL"}
    assert plan.sensitive_values({"API_TOKEN": "a", "TOKEN_TTL": "15m"}) == {"API_TOKEN": "a"}


def test_the_cache_files_are_private(project: Path, isolated_home: Path) -> None:
    compiled(project)
    (plan_file,) = plan_files(isolated_home)
    assert plan_file.stat().st_mode & 0o777 == 0o600
    assert (isolated_home / "config" / "keys" / "cache.key").stat().st_mode & 0o777 == 0o600


def test_a_copied_contract_is_another_plan(project: Path, tmp_path: Path) -> None:
    compiled(project)
    other = tmp_path / "second-checkout"
    other.mkdir()
    shutil.copy(project, other / "warden.yaml")
    assert lookup(other / "warden.yaml") is None


def test_the_same_bytes_in_a_new_file_are_a_miss(project: Path) -> None:
    compiled(project)
    fresh = project.with_name("fresh.yaml")
    fresh.write_text(MINIMAL_CONTRACT)  # same bytes, another inode (both exist at once)
    os.replace(fresh, project)
    assert lookup(project) is None


def test_an_edited_contract_is_a_miss(project: Path) -> None:
    compiled(project)
    project.write_text(MINIMAL_CONTRACT.replace("team-api", "team-apis"))
    assert lookup(project) is None


@pytest.mark.parametrize("name", ["VAULT_ADDR", "WARDEN_MASTER_KEY", "SOPS_AGE_KEY_FILE", "XDG_CONFIG_HOME", "BAO_TOKEN"])
def test_a_variable_that_selects_stores_or_keys_is_part_of_the_key(project: Path, name: str) -> None:
    compiled(project)
    environ = dict(os.environ)
    environ[name] = environ.get(name, "") + "-changed"
    assert lookup(project, environ) is None
    assert lookup(project) is not None


def test_a_tampered_body_is_a_miss(project: Path, isolated_home: Path, tmp_path: Path) -> None:
    compiled(project)
    (plan_file,) = plan_files(isolated_home)
    mac, body = plan_file.read_bytes().split(b"\n", 1)
    doc = json.loads(body)
    doc["audit_path"] = str(tmp_path / "elsewhere.jsonl")
    plan_file.write_bytes(mac + b"\n" + json.dumps(doc, separators=(",", ":")).encode())
    assert lookup(project) is None


def test_a_forged_mac_is_a_miss(project: Path, isolated_home: Path) -> None:
    compiled(project)
    (plan_file,) = plan_files(isolated_home)
    _, body = plan_file.read_bytes().split(b"\n", 1)
    plan_file.write_bytes(b"0" * 64 + b"\n" + body)
    assert lookup(project) is None


def test_garbage_is_a_miss(project: Path, isolated_home: Path) -> None:
    compiled(project)
    (plan_file,) = plan_files(isolated_home)
    for junk in (b"", b"\n", b"\xff\xfe", b"x" * 100):
        plan_file.write_bytes(junk)
        plan_file.chmod(0o600)
        assert lookup(project) is None


def test_a_key_others_can_read_is_no_key(project: Path, isolated_home: Path) -> None:
    compiled(project)
    key = isolated_home / "config" / "keys" / "cache.key"
    key.chmod(0o644)
    assert lookup(project) is None


def test_a_symlinked_plan_is_a_miss(project: Path, isolated_home: Path, tmp_path: Path) -> None:
    compiled(project)
    (plan_file,) = plan_files(isolated_home)
    real = tmp_path / "real.json"
    real.write_bytes(plan_file.read_bytes())
    real.chmod(0o600)
    plan_file.unlink()
    plan_file.symlink_to(real)
    assert lookup(project) is None


def test_no_key_inside_the_project(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(tmp_path / "config-in-repo"))
    compiled(project)
    assert not (tmp_path / "config-in-repo").exists()
    assert lookup(project) is None


def test_a_tampered_contract_cache_is_a_miss(project: Path, isolated_home: Path) -> None:
    from secretwarden.contract import loader

    loader.load_contract(project)
    (cached,) = (isolated_home / "cache" / "contracts").glob("*.json")
    assert cached.stat().st_mode & 0o777 == 0o600
    mac, body = cached.read_bytes().split(b"\n", 1)
    cached.write_bytes(mac + b"\n" + body.replace(b"team-api", b"team-evil"))
    loader._LAST_LOADED.clear()  # what a new process starts with
    again = loader.load_contract(project)
    assert again.contract.namespaces["api"].owner == "team-api"
    assert b"team-evil" not in cached.read_bytes()  # rewritten from the contract
