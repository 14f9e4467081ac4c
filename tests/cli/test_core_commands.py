"""The core commands through the real `warden` executable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, Result, make_canary, run_warden


def w(contract: Path, *args: str, **kw: Any) -> Result:
    return run_warden("-c", contract, *args, **kw)


def test_set_get_history_rm_undelete_destroy(project: Path) -> None:
    v1, v2 = make_canary("one") + "x" * 8, make_canary("two") + "y" * 8
    r = w(project, "set", "api/API_TOKEN", "--env", "dev", input=v1 + "\n")
    assert r.returncode == 0 and "version 1" in r.stdout and v1 not in r.output
    r = w(project, "set", "api/API_TOKEN", "--env", "dev", input=v2)
    assert "version 2" in r.stdout
    assert w(project, "get", "api/API_TOKEN", "--env", "dev").stdout == v2 + "\n"
    assert w(project, "get", "api/API_TOKEN", "--env", "dev", "--version", "1").stdout == v1 + "\n"
    hist = w(project, "history", "api/API_TOKEN", "--env", "dev", "--format", "json")
    assert [h["version"] for h in json.loads(hist.stdout)] == [1, 2]
    assert "deleted (soft) v2" in w(project, "rm", "api/API_TOKEN", "--env", "dev").stdout
    assert w(project, "get", "api/API_TOKEN", "--env", "dev").stdout == v1 + "\n"
    assert "restored v2" in w(project, "undelete", "api/API_TOKEN", "--env", "dev").stdout
    assert "destroyed v1" in w(project, "destroy", "api/API_TOKEN", "--env", "dev", "--versions", "1").stdout
    r = w(project, "get", "api/API_TOKEN", "--env", "dev", "--version", "1")
    assert r.returncode == 1 and "no live value" in r.stderr
    # A destroyed value can still never come back.
    r = w(project, "set", "api/API_TOKEN", "--env", "dev", input=v1)
    assert r.returncode == 1 and "already used" in r.stderr and v1 not in r.output


def test_set_validates_against_the_contract(project: Path) -> None:
    r = w(project, "set", "api/SIGNING_KEY", "--env", "dev", input="not-hex!")
    assert r.returncode == 1 and "does not match format `hex`" in r.stderr and "not-hex!" not in r.stderr
    r = w(project, "set", "api/SIGNING_KEY", "--env", "dev", "--allow-invalid", input="not-hex!")
    assert r.returncode == 0
    status = json.loads(w(project, "status", "--env", "dev", "--format", "json").stdout)
    key = next(k for s in status["environments"][0]["services"] if s["service"] == "api" for k in s["keys"] if k["name"] == "SIGNING_KEY")
    assert key["state"] == "invalid"


def test_value_on_command_line_warns(project: Path) -> None:
    r = w(project, "set", "api/API_TOKEN", "--env", "dev", "--value", make_canary() + "abcdefgh")
    assert r.returncode == 0 and "leak" in r.stderr


def test_unknown_names_get_suggestions(project: Path) -> None:
    r = w(project, "get", "api/API_TOKEN", "--env", "dve")
    assert r.returncode == 2 and "did you mean `dev`" in r.stderr
    r = w(project, "set", "api/API_TOKN", "--env", "dev", input="x" * 20)
    assert r.returncode == 2 and "did you mean `API_TOKEN`" in r.stderr
    r = w(project, "set", "shop/SHOP_KEY", "--env", "dev", input="x" * 20)
    assert r.returncode == 2 and "--instance" in r.stderr


def test_bootstrap_status_check_run(project: Path, tmp_path: Path) -> None:
    plan = json.loads(w(project, "bootstrap", "--env", "dev", "--dry-run", "--format", "json").stdout)
    assert "dev:api/API_TOKEN" in plan["keys_to_generate"] and plan["keys_generated"] == []
    assert not (tmp_path / ".warden" / "local.db").exists()  # a dry run writes nothing
    r = w(project, "bootstrap", "--env", "dev")
    assert r.returncode == 0 and "5 key(s) generated" in r.stdout and "warden set shared/DATABASE_URL" in r.stdout
    again = w(project, "bootstrap", "--env", "dev")
    assert "0 key(s) generated" in again.stdout  # idempotent
    r = w(project, "status", "--env", "dev")
    assert r.returncode == 1 and "BLOCKED: 1 required key missing" in r.stdout
    assert "namespaces 3 found / 3 expected" in r.stdout
    r = w(project, "check", "--service", "api", "--env", "dev")
    assert r.returncode == 1 and "DATABASE_URL: missing" in r.stderr
    r = w(project, "run", "--service", "api", "--env", "dev", "--", "true")
    assert r.returncode == 1 and "refusing to start" in r.stderr
    w(project, "set", "shared/DATABASE_URL", "--env", "dev", input="postgres://app:" + make_canary() + "@db/app")
    assert w(project, "status", "--env", "dev").returncode == 0
    assert w(project, "check", "-s", "api", "-e", "dev").returncode == 0
    r = w(project, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c",
          "import os,sys; print(os.environ['TOKEN_TTL'], len(os.environ['API_TOKEN'])); sys.exit(7)")
    assert r.returncode == 7 and r.stdout.split() == ["15m", "24"]
    r = w(project, "check", "-s", "shop", "-e", "dev", "--instance", "tenant-a", "--verify-values")
    assert r.returncode == 0


def test_markdown_status_is_a_table(project: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    md = w(project, "status", "--env", "dev", "--format", "markdown").stdout
    assert "| Service | Present | Missing |" in md and "BLOCKED" in md


def test_bootstrap_refuses_production(project: Path) -> None:
    r = w(project, "bootstrap", "--env", "prod")
    assert r.returncode == 2 and "production" in r.stderr and "--allow-production" in r.stderr
    assert w(project, "bootstrap", "--env", "prod", "--allow-production").returncode == 0


def test_run_passes_signals_and_exit_codes(project: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    w(project, "set", "shared/DATABASE_URL", "--env", "dev", input="postgres://a:b@c/d")
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretwarden", "-c", str(project), "run", "-s", "api", "-e", "dev", "--",
         sys.executable, "-c", "import time,sys; print('up', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
    proc.terminate()
    assert proc.wait(timeout=30) == -15  # the child itself got SIGTERM: warden exec'd into it


def test_fast_path_is_used_after_a_first_run(project: Path, isolated_home: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    w(project, "set", "shared/DATABASE_URL", "--env", "dev", input="postgres://a:b@c/d")
    assert w(project, "run", "-s", "api", "-e", "dev", "--", "true").returncode == 0
    plans = list((isolated_home / "cache" / "plans").rglob("*.json"))
    assert plans
    probe = "import sys; print('click' in sys.modules)"
    r = w(project, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c", probe)
    assert r.returncode == 0
    # The child is a new interpreter; check warden's own imports instead via -X importtime.
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "secretwarden", "-c", str(project), "run", "-s", "api", "-e", "dev", "--", "true"],
        capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 0
    assert " click" not in proc.stderr and "pydantic" not in proc.stderr and " yaml" not in proc.stderr


def test_errors_are_one_line_with_hint(tmp_path: Path) -> None:
    bad = tmp_path / "warden.yaml"
    bad.write_text("project: x\nenvironments: [\n")
    r = run_warden("-c", bad, "status")
    assert r.returncode == 2 and r.stderr.startswith("warden: error:") and "Traceback" not in r.stderr
    r = run_warden("status", cwd=tmp_path.parent if False else Path("/"))
    assert r.returncode == 2 and "no warden.yaml" in r.stderr and "hint:" in r.stderr
    r = run_warden("-c", bad, "--debug", "status")
    assert "Traceback" in r.stderr and "warden: error:" in r.stderr


def test_unreadable_store_is_exit_3(project: Path, tmp_path: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    db = tmp_path / ".warden" / "local.db"
    db.write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    r = w(project, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3 and "warden: error:" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied_store(project: Path, tmp_path: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    db = tmp_path / ".warden" / "local.db"
    db.chmod(0)
    r = w(project, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3


def test_example_contract_demo(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(EXAMPLE.read_text())
    r = w(contract, "bootstrap", "--env", "dev")
    assert r.returncode == 0
    r = w(contract, "status", "--env", "dev")
    assert "namespaces 13 found / 13 expected" in r.stdout and "auth" in r.stdout


def test_audit_verify_and_log(project: Path, tmp_path: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    w(project, "get", "api/API_TOKEN", "--env", "dev")
    assert w(project, "audit", "verify").returncode == 0
    rows = json.loads(w(project, "audit", "log", "--key", "API_TOKEN", "--format", "json").stdout)
    assert any(r["command"] == "get" for r in rows)
    log = tmp_path / ".warden" / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[1:]) + "\n")
    r = w(project, "audit", "verify")
    assert r.returncode == 1 and "TAMPERED" in r.stdout


def test_store_verify(project: Path, tmp_path: Path) -> None:
    w(project, "bootstrap", "--env", "dev")
    r = w(project, "store", "verify", "--deep")
    assert r.returncode == 0 and "local (embedded): ok" in r.stdout
