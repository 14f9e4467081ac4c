"""`warden run` never fails open (issue 21.1, 21.2, 21.8, 21.12), through the real command.

A second checkout of the same contract never runs with the first one's store
or writes to its audit log; a tampered plan cache is a miss; the child gets
neither warden's keys nor the stores' credentials unless asked; values that
could never be injected are refused at `set`, and `run` says why instead of
crashing; `get` prints the stored bytes exactly.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, Result, make_canary, run_warden

PRINT_TOKEN = "import os; print(os.environ['API_TOKEN'])"
PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"
PRINT_NAMES = "import json, os; print(json.dumps(sorted(os.environ)))"


def checkout(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    contract = root / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    return contract


def ready(contract: Path, env: dict[str, str] | None = None) -> None:
    assert run_warden("-c", contract, "bootstrap", "--env", "dev", env=env).returncode == 0
    db_url = "postgres://app:" + make_canary() + "@db/app"
    assert run_warden("-c", contract, "set", "shared/DATABASE_URL", "--env", "dev", input=db_url, env=env).returncode == 0


def run_in(folder: Path, *code: str, env: dict[str, str] | None = None, flags: tuple[str, ...] = ()) -> Result:
    return run_warden("run", "-s", "api", "-e", "dev", *flags, "--", sys.executable, "-c", *code, cwd=folder, env=env)


def audit_lines(folder: Path) -> list[dict[str, object]]:
    log = folder / ".warden" / "audit.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# --- 21.1: the plan cache never crosses checkouts -------------------------------------------


def test_a_copied_contract_without_a_store_refuses(tmp_path: Path) -> None:
    first = checkout(tmp_path / "first")
    ready(first)
    token = run_in(first.parent, PRINT_TOKEN)
    assert token.returncode == 0
    assert run_in(first.parent, PRINT_TOKEN).stdout == token.stdout  # second start: the fast path
    before = len(audit_lines(first.parent))
    second = tmp_path / "second"
    second.mkdir()
    shutil.copy(first, second / "warden.yaml")
    r = run_in(second, PRINT_TOKEN)
    assert r.returncode == 1 and "refusing to start" in r.stderr
    assert token.stdout.strip() not in r.output
    assert len(audit_lines(first.parent)) == before  # nothing written to the first checkout's log
    entries = audit_lines(second)
    assert entries and entries[-1]["command"] == "run" and entries[-1]["outcome"] == "refused"


def test_a_copied_contract_with_its_own_store_uses_it(tmp_path: Path) -> None:
    first = checkout(tmp_path / "first")
    ready(first)
    first_token = run_in(first.parent, PRINT_TOKEN).stdout.strip()
    second = tmp_path / "second"
    second.mkdir()
    shutil.copy(first, second / "warden.yaml")
    ready(second / "warden.yaml")
    own = run_warden("-c", second / "warden.yaml", "get", "api/API_TOKEN", "--env", "dev").stdout.strip()
    for _ in range(2):  # the full path, then the fast path
        r = run_in(second, PRINT_TOKEN)
        assert r.returncode == 0 and r.stdout.strip() == own != first_token
    assert [e["command"] for e in audit_lines(second)].count("run") == 2
    for folder in (first.parent, second):  # full and fast path entries keep each chain intact
        assert run_warden("-c", folder / "warden.yaml", "audit", "verify").returncode == 0


def test_a_tampered_plan_is_a_miss(tmp_path: Path, isolated_home: Path) -> None:
    first = checkout(tmp_path / "first")
    ready(first)
    assert run_in(first.parent, PRINT_TOKEN).returncode == 0
    stolen = tmp_path / "stolen.jsonl"
    plans = list((isolated_home / "cache" / "plans").glob("*.json"))
    assert plans
    for plan_file in plans:
        mac, body = plan_file.read_bytes().split(b"\n", 1)
        doc = json.loads(body)
        doc["audit_path"] = str(stolen)
        plan_file.write_bytes(mac + b"\n" + json.dumps(doc).encode())
    runs = [e for e in audit_lines(first.parent) if e["command"] == "run"]
    r = run_in(first.parent, PRINT_TOKEN)
    assert r.returncode == 0
    assert not stolen.exists()
    assert len([e for e in audit_lines(first.parent) if e["command"] == "run"]) == len(runs) + 1


# --- 21.2: the child's environment --------------------------------------------------------------


@pytest.fixture
def credentials() -> dict[str, str]:
    """Warden's keys and store credentials as a CI job would export them (fakes made now)."""
    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")

    return {
        "WARDEN_MASTER_KEY": key(),
        "WARDEN_FINGERPRINT_KEY": key(),
        "WARDEN_DASHBOARD_TOKEN": make_canary("dash"),
        "VAULT_TOKEN": make_canary("vt"),
        "BAO_TOKEN": make_canary("bt"),
        "VAULT_SECRET_ID": make_canary("sid"),
        "BAO_ROLE_ID": make_canary("rid"),
        "SOPS_AGE_KEY": make_canary("age"),
        "SOPS_AGE_KEY_FILE": "/nonexistent/keys.txt",
    }


KEPT = {"MY_APP_SETTING": "kept", "WARDEN_ENV": "dev", "LANG": "C.UTF-8", "VAULT_ADDR": "http://127.0.0.1:1"}


@pytest.mark.parametrize("fast", [False, True], ids=["full", "fast"])
def test_the_child_gets_no_credentials(tmp_path: Path, credentials: dict[str, str], fast: bool) -> None:
    env = {**credentials, **KEPT}
    contract = checkout(tmp_path / "app")
    ready(contract, env)
    if fast:
        assert run_in(contract.parent, PRINT_TOKEN, env=env).returncode == 0  # fills the plan cache
    else:
        env["WARDEN_NO_FAST_RUN"] = "1"
    r = run_in(contract.parent, PRINT_ENV, env=env)
    assert r.returncode == 0, r.stderr
    child = json.loads(r.stdout)
    assert not set(credentials) & set(child)
    assert "WARDEN_NO_FAST_RUN" not in child
    assert {k: child.get(k) for k in KEPT} == KEPT
    assert child["API_TOKEN"] and child["TOKEN_TTL"] == "15m"

    r = run_in(contract.parent, PRINT_ENV, env=env, flags=("--pass-env", "VAULT_TOKEN", "--pass-env", "SOPS_AGE_KEY"))
    child = json.loads(r.stdout)
    assert set(credentials) & set(child) == {"VAULT_TOKEN", "SOPS_AGE_KEY"}
    assert child["VAULT_TOKEN"] == credentials["VAULT_TOKEN"]

    r = run_in(contract.parent, PRINT_ENV, env=env, flags=("--clean-env",))
    child = json.loads(r.stdout)
    granted = {"API_TOKEN", "SIGNING_KEY", "TOKEN_TTL", "DATABASE_URL"}
    minimal = {k for k in ("PATH", "HOME", "LANG", "TZ", "TERM") if k in {**os.environ, **env}}
    assert set(child) == granted | minimal

    r = run_in(contract.parent, PRINT_ENV, env=env, flags=("--clean-env", "--pass-env", "MY_APP_SETTING"))
    assert set(json.loads(r.stdout)) == granted | minimal | {"MY_APP_SETTING"}


def test_the_redacted_child_gets_no_credentials(tmp_path: Path, credentials: dict[str, str]) -> None:
    env = {**credentials, **KEPT}
    contract = checkout(tmp_path / "app")
    ready(contract, env)
    r = run_in(contract.parent, PRINT_NAMES, env=env, flags=("--redact",))
    assert r.returncode == 0, r.stderr
    names = set(json.loads(r.stdout))
    assert not set(credentials) & names and "API_TOKEN" in names and "MY_APP_SETTING" in names
    r = run_in(contract.parent, PRINT_NAMES, env=env, flags=("--redact", "--clean-env"))
    assert "MY_APP_SETTING" not in set(json.loads(r.stdout))


def test_a_granted_key_reaches_the_child_whatever_its_name(tmp_path: Path) -> None:
    contract = checkout(tmp_path / "app")
    contract.write_text(MINIMAL_CONTRACT.replace("      OPTIONAL_HOOK:", "      VAULT_TOKEN: {required: false}\n      OPTIONAL_HOOK:"))
    ready(contract)
    granted = make_canary("granted") + "-for-the-service"
    assert run_warden("-c", contract, "set", "api/VAULT_TOKEN", "--env", "dev", input=granted).returncode == 0
    r = run_in(contract.parent, "import os; print(os.environ['VAULT_TOKEN'])", env={"VAULT_TOKEN": "from-the-parent"})
    assert r.returncode == 0 and r.stdout.strip() == granted


# --- 21.8: values `set` accepts never break `run` ------------------------------------------------


def test_set_refuses_what_no_environment_can_carry(project: Path) -> None:
    canary = make_canary()
    r = run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input=canary + "\0tail-of-it")
    assert r.returncode == 2 and "NUL" in r.stderr and canary not in r.output
    huge = canary + "x" * (200 * 1024)
    r = run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input=huge)
    assert r.returncode == 2 and "too large for an environment variable" in r.stderr and canary not in r.output
    assert "Traceback" not in r.stderr
    r = run_warden("-c", project, "ls", "--env", "dev")
    assert "API_TOKEN" not in r.stdout  # nothing was written


def test_run_explains_an_oversized_value_instead_of_crashing(tmp_path: Path) -> None:
    from secretwarden.ops.workspace import Workspace
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest

    contract = checkout(tmp_path / "app")
    ready(contract)
    canary = make_canary()
    with Workspace.load(contract, command="set") as ws:  # written before writes checked sizes: a forged request
        request = WriteRequest(SlotRef("dev", "api", "API_TOKEN"), SecretValue("placeholder-value"))
        request.__dict__["value"] = SecretValue(canary + "y" * (200 * 1024))
        ws.secrets("dev").write_many([request])
    for _ in range(2):
        r = run_in(contract.parent, PRINT_TOKEN)
        assert r.returncode == 2 and "API_TOKEN" in r.stderr and "Linux refuses" in r.stderr
        assert canary not in r.output and "Traceback" not in r.stderr
    assert audit_lines(contract.parent)[-1]["outcome"] == "error"


# --- 21.12: `get` prints the stored bytes ----------------------------------------------------------


def test_get_prints_the_stored_bytes_exactly(project: Path) -> None:
    value = "\x1b[31m" + make_canary() + "\x1b[0m\ttab"
    assert run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", input=value).returncode == 0
    r = run_warden("-c", project, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 0 and r.stdout == value + "\n"
