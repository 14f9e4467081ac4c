"""A copy of the commerce example with some history (staging and prod on the test OpenBao
server, as the example puts them on a vault store): dev bootstrapped, canary values
planted in staging (one of them in two slots, so isolation has a finding), one rotation,
one open incident, and scan/lint result files. Everything through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, Result, make_canary, run_warden
from tests.vault_server import shared_server

# The dashboard's clock in these tests: a fixed instant 40 days after today (the store
# stamps writes with the real time), so ages are positive and payment/auth keys (90d)
# fall due inside the 90-day calendar. Fixed for the whole run, so reports compare equal.
NOW = (dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
       + dt.timedelta(days=40)).isoformat()


@dataclass
class Project:
    contract: Path
    canaries: list[str]
    scan_results: Path
    lint_results: Path
    env: dict[str, str] = field(default_factory=dict)  # key and cache folders of this project

    @property
    def root(self) -> Path:
        return self.contract.parent

    def warden(self, *args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return run_warden("--contract", self.contract, *args, input=input, env={**self.env, **(env or {})})


def _ok(result: Result) -> None:
    assert result.returncode == 0, result.output


EXAMPLE_VAULT = "https://openbao.commerce.invalid:8200"


def build_project(base: Path, vault: dict[str, str]) -> Project:
    """`vault`: the environment of the test OpenBao server that serves the example's staging and prod."""
    repo = base / "repo"
    repo.mkdir()
    contract = repo / "warden.yaml"
    text = EXAMPLE.read_text()
    assert EXAMPLE_VAULT in text
    contract.write_text(text.replace(EXAMPLE_VAULT, vault["VAULT_ADDR"]))
    c = ["--contract", str(contract)]
    _ok(run_warden(*c, "bootstrap", "--env", "dev"))
    canaries = [make_canary("dashboardsigning"), make_canary("dashboardshared")]
    _ok(run_warden(*c, "set", "artwork/ARTWORK_SIGNING_KEY", "--env", "staging", input=canaries[0]))
    # The same value in two slots of staging: an isolation finding, by fingerprint only.
    _ok(run_warden(*c, "set", "shared-infra/S3_SECRET_ACCESS_KEY", "--env", "staging", input=canaries[1] * 2))
    _ok(run_warden(*c, "set", "shared-infra/S3_ACCESS_KEY_ID", "--env", "staging", input=canaries[1] * 2))
    _ok(run_warden(*c, "rotate", "artwork/ARTWORK_SIGNING_KEY", "--env", "dev", "--generate", "--yes",
                   "--reason", "quarterly rotation"))
    _ok(run_warden(*c, "incident", "open", "auth/JWT_SECRET", "--env", "dev", "--reason", "pasted in a chat"))
    # A scan report as `warden scan --format json --show-secrets` would write it: the
    # dashboard must show the preview only, never the `secret` field.
    leaked = canaries[0]
    scan = {"findings": [{
        "rule": "generic-api-key", "severity": "high", "path": "services/artwork/config.py", "line": 3,
        "preview": leaked[:4] + "*" * 8, "secret": leaked,
    }, {
        "rule": "generic-api-key", "severity": "high", "path": "tools/seed.sh", "line": 9,
        "preview": leaked,  # a hand-made file with a raw value in the preview
    }]}
    scan_results = base / "scan.json"
    scan_results.write_text(json.dumps(scan))
    lint = {"findings": [{
        "rule_id": "compose-inline-secret", "severity": "error", "file": "deploy/compose.yaml", "line": 12,
        "column": 5, "message": "PAYMENT key written inline in compose", "fix": "", "service": "payment",
        "allowed": None,
    }, {
        "rule_id": "compose-inline-secret", "severity": "error", "file": "deploy/other.yaml", "line": 2,
        "column": 1, "message": "silenced", "fix": "", "service": None, "allowed": "test fixture",
    }]}
    lint_results = base / "lint.json"
    lint_results.write_text(json.dumps(lint))
    return Project(contract, canaries, scan_results, lint_results)


@pytest.fixture(scope="session")
def commerce(tmp_path_factory: pytest.TempPathFactory) -> Project:
    # Built once per test process to keep the suite fast; the autouse isolation is per test, so this
    # fixture keeps its own key folders outside the repository.
    base = tmp_path_factory.mktemp("dash")
    mp = pytest.MonkeyPatch()
    home = base / "home"
    mp.setenv("WARDEN_CONFIG_DIR", str(home / "config"))
    mp.setenv("WARDEN_CACHE_DIR", str(home / "cache"))
    mp.setenv("WARDEN_NO_KEYRING", "1")
    vault = shared_server().env()  # staging and prod live on OpenBao in the example
    for k, v in vault.items():
        mp.setenv(k, v)
    try:
        project = build_project(base, vault)
    finally:
        mp.undo()
    project.env = {"WARDEN_CONFIG_DIR": str(home / "config"), "WARDEN_CACHE_DIR": str(home / "cache"), **vault}
    return project


@pytest.fixture
def commerce_env(commerce: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The module's project with this test's environment pointed at its key folders."""
    for k, v in commerce.env.items():
        monkeypatch.setenv(k, v)
    return commerce


def fixed_now() -> dt.datetime:
    return dt.datetime.fromisoformat(NOW)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]


def start_server(project: Project, *extra: str, env: dict[str, str] | None = None) -> Served:
    """A real `warden serve` subprocess on a free loopback port, waited on until it answers."""
    port = free_port()
    full_env = {**os.environ, **project.env, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretwarden", "--contract", str(project.contract), "serve",
         "--port", str(port), "--now", NOW, *extra],
        env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # readiness poll, not a timed assertion
        if proc.poll() is not None:
            raise AssertionError(f"warden serve exited: {proc.communicate()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Served(url, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("warden serve did not start listening")


def stop_server(served: Served) -> str:
    served.process.terminate()
    try:
        _, err = served.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        _, err = served.process.communicate()
    return err
