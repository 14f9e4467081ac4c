"""Warden's sealed bytecode cache: used when Python writes no bytecode, never trusted unverified."""

from __future__ import annotations

import compileall
import marshal
import os
import shutil
import subprocess
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


# --- `warden run`'s bundle: the fast path's modules in one sealed file, with or without Python's bytecode ---

_SERVED = """
import sys
from secretwarden.bytecode_cache import install
install(run_bundle=True)
import secretwarden.ops.fastrun, secretwarden.verdict
for name in ("secretwarden.ops.fastrun", "secretwarden.verdict"):
    loader = sys.modules[name].__spec__.loader
    print(name, getattr(loader, "_code", None) is not None, hasattr(sys.modules[name], "BUNDLE_PROBE"))
"""


def served_from_bundle(env: dict[str, str]) -> dict[str, tuple[bool, bool]]:
    """module -> (its code came from the run bundle, it has the edit a test makes)."""
    proc = subprocess.run([sys.executable, "-c", _SERVED], capture_output=True, text=True, env={**os.environ, **env},
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    return {name: (served == "True", probe == "True") for name, served, probe in rows}


def bundle_file(isolated_home: Path) -> Path:
    """The run bundle: the one code file holding many modules."""
    return max((isolated_home / "cache" / "code").glob("*.bin"), key=lambda f: f.stat().st_size)


@pytest.mark.parametrize("compiled", [False, True], ids=["no-bytecode", "compiled-bytecode"])
def test_run_serves_its_modules_from_one_sealed_bundle(project: Path, isolated_home: Path, compiled: bool) -> None:
    env = dict(NO_BYTECODE)
    if compiled:  # an installation that ships Python's own bytecode: the bundle serves run as well
        compileall.compile_dir(env["PYTHONPATH"], quiet=1)
    prepared(project)
    run(project)  # the full path: it keeps the plan
    assert run(project).strip() == "15m"  # the fast path: modules from source (or .pyc), then it keeps the bundle
    assert served_from_bundle(env) == {"secretwarden.ops.fastrun": (True, False), "secretwarden.verdict": (True, False)}
    bundle = bundle_file(isolated_home)
    assert bundle.stat().st_mode & 0o777 == 0o600
    kept = bundle.read_bytes()
    assert run(project).strip() == "15m"
    assert bundle.read_bytes() == kept  # it served every module: not written again


def test_a_module_edited_since_is_loaded_from_its_source(project: Path, isolated_home: Path) -> None:
    prepared(project)
    run(project)
    run(project)
    verdict = Path(NO_BYTECODE["PYTHONPATH"]) / "secretwarden" / "verdict.py"
    verdict.write_text(verdict.read_text() + "\nBUNDLE_PROBE = 1\n")
    # The bundle still serves the other modules; the edited one comes from its source.
    assert served_from_bundle(NO_BYTECODE) == {
        "secretwarden.ops.fastrun": (True, False), "secretwarden.verdict": (False, True),
    }
    assert run(project).strip() == "15m"  # and this run writes the bundle again, with the edit
    assert served_from_bundle(NO_BYTECODE)["secretwarden.verdict"] == (True, True)


def test_a_planted_bundle_never_runs(project: Path, isolated_home: Path) -> None:
    prepared(project)
    run(project)
    run(project)
    bundle = bundle_file(isolated_home)
    mac, _, body = bundle.read_bytes().partition(b"\n")
    entries = marshal.loads(body)
    planted = marshal.dumps(compile("print('PLANTED-CODE-RAN')", "planted", "exec"))
    forged = [(name, origin, package, mtime, size, planted) for name, origin, package, mtime, size, _ in entries]
    bundle.write_bytes(mac + b"\n" + marshal.dumps(forged))  # the old MAC does not cover the new body
    out = run(project)
    assert "PLANTED-CODE-RAN" not in out and out.strip() == "15m"
    assert b"PLANTED" not in bundle.read_bytes()  # the run sealed its own modules again
