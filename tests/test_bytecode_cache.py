"""Warden's sealed bytecode cache: used when Python writes no bytecode, never trusted unverified."""

from __future__ import annotations

import marshal
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "secretwarden"
NO_BYTECODE: dict[str, str] = {}


@pytest.fixture(autouse=True)
def package_without_bytecode(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A copy of the package with no .pyc anywhere (the tree may hold some), first on the path."""
    copy = tmp_path_factory.mktemp("pkg")
    shutil.copytree(PACKAGE, copy / "secretwarden", ignore=shutil.ignore_patterns("__pycache__"))
    NO_BYTECODE.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(copy))


def prepared(project: Path) -> None:
    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    url = "postgres://app:" + make_canary() + "@db/app"
    assert run_warden("-c", project, "set", "shared/DATABASE_URL", "--env", "dev", input=url).returncode == 0


def run(project: Path) -> str:
    r = run_warden("-c", project, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c",
                   "import os; print(os.environ['TOKEN_TTL'])", env=NO_BYTECODE)
    assert r.returncode == 0, r.stderr
    return r.output


def test_modules_are_kept_sealed_and_private(project: Path, isolated_home: Path) -> None:
    prepared(project)
    run(project)
    run(project)
    kept = sorted((isolated_home / "cache" / "code").glob("*.bin"))
    assert len(kept) > 10
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in kept)
    assert run(project).strip() == "15m"
    assert sorted((isolated_home / "cache" / "code").glob("*.bin")) == kept  # reused, not rewritten


def test_planted_code_is_never_run(project: Path, isolated_home: Path) -> None:
    prepared(project)
    run(project)
    run(project)
    planted = marshal.dumps(compile("print('PLANTED-CODE-RAN')", "planted", "exec"))
    for f in (isolated_home / "cache" / "code").glob("*.bin"):
        mac = f.read_bytes().split(b"\n", 1)[0]
        f.write_bytes(mac + b"\n" + planted)  # the old MAC does not cover the new body
    out = run(project)
    assert "PLANTED-CODE-RAN" not in out and out.strip() == "15m"
    # The modules this run imported were compiled again from their source and resealed.
    assert sum(b"PLANTED" not in f.read_bytes() for f in (isolated_home / "cache" / "code").glob("*.bin")) > 10


def status(project: Path) -> str:
    r = run_warden("-c", project, "status", "--env", "dev", env=NO_BYTECODE)
    assert r.returncode in (0, 1), r.stderr
    return r.output


def test_every_command_uses_the_sealed_cache(project: Path, isolated_home: Path) -> None:
    """Not only `run`: a report's modules (the CLI, the contract model, the report) are kept too."""
    prepared(project)  # the first command that loads the contract made the cache key
    code = isolated_home / "cache" / "code"
    before = set(code.glob("*.bin"))
    first = status(project)
    kept = set(code.glob("*.bin"))
    assert len(kept - before) > 20  # status's own modules, which `run` never imports
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in kept)
    assert status(project) == first
    assert set(code.glob("*.bin")) == kept  # reused, not rewritten


def test_no_cache_key_means_nothing_kept(tmp_path: Path, isolated_home: Path) -> None:
    """Without the cache key (nothing made it yet) a command compiles as Python would and keeps nothing."""
    r = run_warden("--help", env=NO_BYTECODE)
    assert r.returncode == 0, r.stderr
    assert not (isolated_home / "cache" / "code").exists()
    assert not (isolated_home / "config" / "keys").exists()  # `--help` makes no key
