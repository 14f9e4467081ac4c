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
from secretwarden.bundle_finder import install_bundle
install_bundle()
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


_FIRST_STEP = """
import sys
from secretwarden.bundle_finder import BundleLoader, install_bundle
install_bundle()
from secretwarden.bytecode_cache import install
install()
import secretwarden.ops.fastrun, secretwarden.contract.sealed_cache, secretwarden.crypto.derive, secretwarden.dirs
for name in sorted(n for n in sys.modules if n.split(".")[0] == "secretwarden"):
    if not isinstance(sys.modules[name].__spec__.loader, BundleLoader):
        print(name)
"""


def test_only_the_first_step_is_compiled_once_the_bundle_exists(project: Path, isolated_home: Path) -> None:
    """Without Python's bytecode, bundle_finder.py is the one module of warden (with the package) a run
    compiles: the full sealed cache, the MAC code and the folders come from the verified bundle."""
    prepared(project)
    run(project)
    run(project)  # the first fast run writes the bundle
    proc = subprocess.run([sys.executable, "-c", _FIRST_STEP], capture_output=True, text=True,
                          env={**os.environ, **NO_BYTECODE}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["secretwarden", "secretwarden.bundle_finder"]


def test_a_bundle_sealed_under_another_key_is_ignored(project: Path, isolated_home: Path) -> None:
    prepared(project)
    run(project)
    run(project)
    key = isolated_home / "config" / "keys" / "cache.key"
    key.write_bytes(bytes(32))  # another key: every sealed file, the bundle first, stops verifying
    assert served_from_bundle(NO_BYTECODE) == {"secretwarden.ops.fastrun": (False, False),
                                              "secretwarden.verdict": (False, False)}


def test_run_works_when_the_cache_folder_cannot_be_written(project: Path, isolated_home: Path) -> None:
    """A fresh install whose cache folder is unusable (here a file): nothing is kept, the run still runs."""
    prepared(project)
    blocked = isolated_home / "not-a-folder"
    blocked.write_text("")
    env = {**NO_BYTECODE, "WARDEN_CACHE_DIR": str(blocked)}
    for _ in range(3):
        r = run_warden("-c", project, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c",
                       "import os; print(os.environ['TOKEN_TTL'])", env=env)
        assert r.returncode == 0, r.stderr
        assert r.output.strip() == "15m"
    assert blocked.read_text() == ""


def test_the_first_step_finds_the_folders_dirs_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secretwarden import bundle_finder, dirs

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for var in ("WARDEN_CONFIG_DIR", "WARDEN_CACHE_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert dirs.config_dir() == tmp_path / "home" / ".config" / "secretwarden"
    assert dirs.cache_dir() == tmp_path / "home" / ".cache" / "secretwarden"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty counts as unset, as before
    assert dirs.config_dir() == tmp_path / "xdg" / "secretwarden"
    assert dirs.cache_dir() == tmp_path / "home" / ".cache" / "secretwarden"
    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("WARDEN_CACHE_DIR", str(tmp_path / "k"))
    assert (dirs.config_dir(), dirs.cache_dir()) == (tmp_path / "c", tmp_path / "k")
    assert bundle_finder.config_folder() == str(tmp_path / "c")


def test_the_first_step_trusts_only_a_private_key_outside_the_package(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from secretwarden.bundle_finder import existing_key

    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(tmp_path / "config"))
    key = tmp_path / "config" / "keys" / "cache.key"
    key.parent.mkdir(parents=True)
    assert existing_key(str(tmp_path / "pkg")) is None  # none yet, and none is made
    assert not key.exists()
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    assert existing_key(str(tmp_path / "pkg")) == key.read_bytes()
    assert existing_key(str(tmp_path)) is None  # a key inside the package's folder is no key
    key.chmod(0o640)
    assert existing_key(str(tmp_path / "pkg")) is None  # others may read it
    key.chmod(0o600)
    key.write_bytes(os.urandom(31))
    assert existing_key(str(tmp_path / "pkg")) is None  # not a key
    real = tmp_path / "elsewhere.key"
    real.write_bytes(os.urandom(32))
    real.chmod(0o600)
    key.unlink()
    key.symlink_to(real)
    assert existing_key(str(tmp_path / "pkg")) is None  # never through a link


def test_the_full_path_after_the_bundle_keeps_its_own_modules_sealed(project: Path, isolated_home: Path) -> None:
    """When run's full path takes over after the bundle was put in place, the per-module cache serves
    what the bundle lacks (the CLI, the contract model), and the run behaves the same."""
    prepared(project)
    run(project)
    run(project)  # the bundle exists now
    code = isolated_home / "cache" / "code"
    bundle = bundle_file(isolated_home)
    for f in code.glob("*.bin"):
        if f != bundle:
            f.unlink()  # only the bundle is left
    full = {**NO_BYTECODE, "WARDEN_NO_FAST_RUN": "1"}
    kept: list[set[Path]] = []
    for _ in range(2):
        r = run_warden("-c", project, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c",
                       "import os; print(os.environ['TOKEN_TTL'])", env=full)
        assert r.returncode == 0, r.stderr
        assert r.output.strip() == "15m"
        kept.append(set(code.glob("*.bin")))
    assert len(kept[0]) > 10  # the full path's own modules, kept beside the bundle
    assert kept[1] == kept[0]  # and reused
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in kept[0])
