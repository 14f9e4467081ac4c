"""`warden migrate`, run as the real CLI: embedded → embedded and embedded → a real OpenBao, history,
dates and compromise marks carried, resumable after SIGKILL, verified by fingerprint, never a value."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from tests.conftest import Result, make_canary, run_warden

CONTRACT = """\
version: 1
project: migdemo
environments: {{dev: {{store: local}}, prod: {{store: local, production: true}}}}
instances: [a, b]
stores:
  local: {{backend: embedded, options: {{path: .warden/local.db}}}}
  second: {{backend: embedded, options: {{path: .warden/second.db}}}}
{extra}namespaces:
  api: {{path: /services/api}}
  shop: {{path: /services/shop}}
  bulk: {{path: /services/bulk}}
services:
  api:
    namespace: api
    secrets: {{TOKEN: {{min_length: 8}}, OTHER: {{min_length: 8}}, GONE: {{min_length: 8, required: false}}}}
  shop:
    namespace: shop
    per_instance: true
    secrets: {{SHOP_KEY: {{min_length: 8}}}}
  bulk:
    namespace: bulk
    secrets: {{{bulk}}}
"""


def contract_text(extra: str = "", bulk: int = 0) -> str:
    keys = ", ".join(f"K{i:03d}: {{min_length: 8, required: false}}" for i in range(bulk)) or "K000: {required: false}"
    return CONTRACT.format(extra=extra, bulk=keys)


def w(contract: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return run_warden("-c", contract, *args, input=input, env=env, timeout=300)


def seed(contract: Path, env: dict[str, str] | None = None) -> list[str]:
    values = [make_canary(f"v{i}") for i in range(6)]
    assert w(contract, "set", "api/TOKEN", "--env", "dev", input=values[0], env=env).returncode == 0
    assert w(contract, "set", "api/TOKEN", "--env", "dev", input=values[1], env=env).returncode == 0
    assert w(contract, "set", "api/OTHER", "--env", "dev", input=values[2], env=env).returncode == 0
    assert w(contract, "incident", "open", "api/OTHER", "--env", "dev", "--reason", "drill", env=env).returncode == 0
    assert w(contract, "set", "api/OTHER", "--env", "dev", input=values[3], env=env).returncode == 0  # rotated, open
    assert w(contract, "set", "shop/SHOP_KEY", "--env", "dev", "--instance", "a", input=values[4],
             env=env).returncode == 0
    assert w(contract, "set", "api/GONE", "--env", "dev", input=values[5], env=env).returncode == 0
    assert w(contract, "destroy", "api/GONE", "--env", "dev", env=env).returncode == 0
    return values


# Per slot: each live version's (fingerprint, time, source), and the compromise mark.
History = tuple[list[tuple[str | None, dt.datetime, str]], bool]


def histories(contract: Path, store: str, env_vars: dict[str, str] | None = None) -> dict[SlotRef, History]:
    old = dict(os.environ)
    os.environ.update(env_vars or {})
    try:
        with Workspace.load(contract) as ws:
            reader = ws.secrets_store(store)
            return {m.slot: ([(v.fingerprint, v.created_at, v.source) for v in m.versions if v.live],
                             m.compromised) for m in reader.list_meta("dev")}
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_embedded_to_embedded_carries_history_dates_and_marks(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(contract_text())
    values = seed(contract)
    plan = w(contract, "migrate", "--from", "local", "--to", "second", "--dry-run", "--format", "json")
    assert plan.returncode == 0 and sum(s["copied"] for s in json.loads(plan.stdout)["slots"]) == 5, plan.output
    done = w(contract, "migrate", "--from", "local", "--to", "second", "--format", "json")
    assert done.returncode == 0, done.output
    report = json.loads(done.stdout)
    assert report["ok"] and {s["slot"]: s["copied"] for s in report["slots"]}["dev:api/TOKEN"] == 2
    assert {s["slot"]: s["not_carried"] for s in report["slots"]}["dev:api/GONE"] == 1
    source, target = histories(contract, "local"), histories(contract, "second")
    for slot, (versions, compromised) in source.items():
        assert target.get(slot, ([], False)) == (versions, compromised) or not versions, slot
    again = w(contract, "migrate", "--from", "local", "--to", "second", "--format", "json")
    assert sum(s["copied"] for s in json.loads(again.stdout)["slots"]) == 0
    contract.write_text(contract.read_text().replace("dev: {store: local}", "dev: {store: second}"))
    for old in values[:3]:  # earlier versions and the compromised value never come back in the new store
        key = "api/TOKEN" if old in values[:2] else "api/OTHER"
        assert w(contract, "set", key, "--env", "dev", input=old).returncode != 0
    rotation = w(contract, "rotation", "status", "--env", "dev", "--format", "json")
    token = next(k for k in json.loads(rotation.stdout)["keys"] if k["key"] == "TOKEN")
    assert token["last_rotated"][:10] == dt.datetime.now(dt.UTC).date().isoformat()
    for result in (plan, done, again, rotation):
        assert not any(v in result.output for v in values)


@pytest.mark.vault
def test_embedded_to_openbao_survives_sigkill_and_resumes(tmp_path: Path, vault_server) -> None:  # type: ignore[no-untyped-def]
    prefix = "m" + secrets.token_hex(4)
    vault = f"  vault: {{backend: vault, options: {{path_prefix: {prefix}, retry_deadline: 5, timeout: 5}}}}\n"
    contract = tmp_path / "warden.yaml"
    contract.write_text(contract_text(extra="", bulk=40).replace("namespaces:\n", vault + "namespaces:\n", 1))
    env = vault_server.env()
    values = seed(contract, env)
    bulk = "".join(f"bulk/K{i:03d}\n" for i in range(40))
    with Workspace.load(contract) as ws:  # 40 more keys of two versions each, written directly
        from secretwarden.stores.base import SecretValue, WriteRequest

        store = ws.secrets("dev")
        for version in range(2):
            store.write_many([WriteRequest(SlotRef("dev", "bulk", f"K{i:03d}"), SecretValue(make_canary(f"b{version}")))
                              for i in range(40)])
    assert bulk
    cmd = [sys.executable, "-m", "secretwarden", "-c", str(contract), "migrate", "--from", "local", "--to", "vault",
           "--env", "dev", "--format", "json"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    audit = tmp_path / ".warden" / "audit.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if audit.exists() and audit.read_text().count('"command":"migrate"') >= 10:
            break
        time.sleep(0.05)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    resumed = w(contract, "migrate", "--from", "local", "--to", "vault", "--env", "dev", "--format", "json", env=env)
    assert resumed.returncode == 0, resumed.output
    report = json.loads(resumed.stdout)
    assert report["ok"]
    if killed:
        assert any(s["already_there"] for s in report["slots"]), "the second run continued, not restarted"
    source, target = histories(contract, "local"), histories(contract, "vault", env)
    retimed = 0
    for slot, (versions, compromised) in source.items():
        if not versions:
            continue
        got_versions, got_compromised = target[slot]
        assert [v[0] for v in got_versions] == [v[0] for v in versions], slot  # same values, same order
        assert got_compromised == compromised
        # The one write a SIGKILL caught between its KV write and its metadata is adopted by the
        # store with the time it learned of it; every other version keeps its original time.
        retimed += got_versions != versions
    assert retimed <= 1
    assert sum(s["retimed"] for s in report["slots"]) == retimed  # said, not silent
    assert not any(v in resumed.output for v in values)
