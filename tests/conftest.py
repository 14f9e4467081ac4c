"""Shared fixtures: every test runs with its own key, cache and config folders.

`canary` values are unique per test run; the canary tests assert they never
show up in any output except `warden get` and the child of `warden run`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# CI must not turn red on a counterexample nobody has seen yet: there the property tests
# run a fixed, reproducible set of examples. Locally they explore (and the database
# remembers what they found).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "commerce" / "warden.yaml"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("WARDEN_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("WARDEN_NO_KEYRING", "1")
    monkeypatch.delenv("WARDEN_MASTER_KEY", raising=False)
    monkeypatch.delenv("WARDEN_FINGERPRINT_KEY", raising=False)
    monkeypatch.delenv("WARDEN_CONTRACT", raising=False)
    return home


def make_canary(label: str = "") -> str:
    """A unique value that looks like nothing else in any output."""
    return f"cnry{label}{secrets.token_hex(12)}Zq"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_warden(*args: str | Path, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    """Invoke the real `warden` command in a subprocess."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "secretwarden", *map(str, args)],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_warden_obeying_file_modes(*args: str | Path, cwd: Path | None = None, input: str | None = None) -> Result:
    """The real command with file modes enforced also when the tests run as root (CI containers
    do): root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH obeys them like anyone."""
    import shutil

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root ignores file permissions and setpriv is not installed")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
    proc = subprocess.run([*prefix, sys.executable, "-m", "secretwarden", *map(str, args)],
                          capture_output=True, text=True, input=input, cwd=cwd, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def warden() -> object:
    return run_warden


class Recorder:
    """The real command for one repository and environment, every output kept for the canary check."""

    def __init__(self, *prefix: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.prefix, self.cwd, self.env = prefix, cwd, env
        self.outputs: list[str] = []

    def __call__(self, *args: str | Path, input: str | None = None) -> Result:
        res = run_warden(*self.prefix, *args, cwd=self.cwd, env=self.env, input=input)
        assert "Traceback" not in res.output
        self.outputs.append(res.output)
        return res

    def assert_never_shown(self, value: str) -> None:
        for text in self.outputs:
            assert value not in text


def random_fingerprint_key() -> str:
    """A fresh project fingerprint key in the form `WARDEN_FINGERPRINT_KEY` takes."""
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


MINIMAL_CONTRACT = """\
version: 1
project: demo
environments:
  dev: {}
  prod: {production: true}
instances: [tenant-a, tenant-b]
namespaces:
  api: {path: /services/api, owner: team-api}
  shop: {path: /services/shop, owner: team-shop}
  shared: {path: /shared, owner: platform}
services:
  shared:
    namespace: shared
    secrets:
      DATABASE_URL: {format: database-url, generate: none}
  api:
    namespace: api
    owner: team-api
    secrets:
      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}
      SIGNING_KEY: {format: hex, generate: {kind: hex, length: 64}}
      TOKEN_TTL: {sensitive: false, format: duration, generate: {kind: literal, value: 15m}}
      OPTIONAL_HOOK: {required: false, format: http-url}
      DATABASE_URL: {ref: shared/DATABASE_URL}
  shop:
    namespace: shop
    per_instance: true
    secrets:
      SHOP_KEY: {generate: {kind: chars, length: 32}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A folder with a small contract; returns the contract path."""
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    yield contract


@pytest.fixture(scope="session")
def vault_server() -> Iterator[object]:
    """The OpenBao dev server of this pytest worker (tests/vault_server.py); stopped at the end."""
    from tests.vault_server import shared_server, stop_shared

    yield shared_server()
    stop_shared()
