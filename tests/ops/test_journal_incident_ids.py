"""Incident ids across stores: each store takes its numbers by check-and-set in itself, so two
stores can hold one id. Through the real CLI: dev's store is the real OpenBao of the fixtures,
prod's an embedded file (or an OpenBao address where nothing listens)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from secretwarden.ops.journal import INCIDENTS, SharedLog
from secretwarden.ops.workspace import Workspace
from tests.conftest import Recorder, Result, make_canary, random_fingerprint_key, run_warden

pytestmark = pytest.mark.vault

CONTRACT = """\
version: 1
project: idsdemo
environments:
  dev: {store: bao}
  prod: {store: local}
stores:
  bao: {backend: vault, options: {path_prefix: PREFIX, layout: per-namespace, retry_deadline: 3, timeout: 2}}
  local: {backend: embedded, options: {path: .warden/prod.db}}
namespaces:
  api: {path: /services/api, owner: team-api}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}
"""
DEAD = "local: {backend: vault, options: {address: 'http://127.0.0.1:9', connect_timeout: 1, connect_retry_deadline: 1}}"


@pytest.fixture
def laptop(tmp_path: Path, vault_server: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "warden.yaml").write_text(CONTRACT.replace("PREFIX", "ids" + secrets.token_hex(5)))
    key = random_fingerprint_key()
    env = {**vault_server.env(), "WARDEN_FINGERPRINT_KEY": key}
    for name, value in env.items():  # the library calls below act as a second machine would
        monkeypatch.setenv(name, value)
    return repo, env


def take_one_id_in_both_stores(w: Recorder, repo: Path, canary: str) -> Result:
    """dev (OpenBao) and prod (embedded) each hold a value of api/API_TOKEN; dev opens INC-0001
    through the CLI, and another machine's INC-0001 for prod lands in prod's store at the same
    instant: it read dev's head before this one moved it, so it took number 1 too (what
    check-and-set within one store cannot prevent). Returns the `incident open` result."""
    for where in ("dev", "prod"):
        assert w("set", "api/API_TOKEN", "--env", where, input=canary + where).returncode == 0
    opened = w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "a")
    with Workspace.load(repo / "warden.yaml") as ws:  # (no compromise mark in prod: the register alone)
        entry: dict[str, Any] = {"event": "open", "id": "INC-0001", "time": ws.clock().isoformat(), "env": "prod",
                                 "namespace": "api", "key": "API_TOKEN", "instance": None, "store": "local",
                                 "reason": "b", "actor": "other"}
        SharedLog(ws, INCIDENTS).append_with("local", lambda _head: entry)
    return opened


def test_an_id_two_stores_took_at_once_is_told_apart_by_store(laptop: tuple[Path, dict[str, str]]) -> None:
    repo, env = laptop
    w = Recorder(cwd=repo, env=env)

    canary = make_canary()
    assert "INC-0001 opened" in take_one_id_in_both_stores(w, repo, canary).stdout
    listed = w("incident", "list", "--format", "json")
    assert listed.returncode == 0, listed.output
    assert sorted(i["id"] for i in json.loads(listed.stdout)) == ["bao/INC-0001", "local/INC-0001"]
    assert "bao/INC-0001" in w("incident", "list").stdout
    ambiguous = w("incident", "close", "INC-0001", "--root-cause", "x")
    assert ambiguous.returncode == 2 and "`bao/INC-0001`" in ambiguous.stderr and "`local/INC-0001`" in ambiguous.stderr
    assert w("rotate", "api/API_TOKEN", "--env", "prod", "--generate", "--yes").returncode == 0
    closed = w("incident", "close", "local/INC-0001", "--root-cause", "chat export")
    assert closed.returncode == 0 and "local/INC-0001 closed" in closed.stdout, closed.output
    states = {i["id"]: i["state"] for i in json.loads(w("incident", "list", "--format", "json").stdout)}
    assert states == {"bao/INC-0001": "open", "local/INC-0001": "closed"}
    # The next number is past both: ids stay unique from here.
    assert "INC-0002 opened" in w("incident", "open", "api/API_TOKEN", "--env", "prod", "--reason", "c").stdout
    assert w("audit", "verify").returncode == 0
    w.assert_never_shown(canary)


def test_an_id_taken_while_another_store_did_not_answer_names_its_store(laptop: tuple[Path, dict[str, str]]) -> None:
    repo, env = laptop
    contract = repo / "warden.yaml"
    contract.write_text(contract.read_text().replace("local: {backend: embedded, options: {path: .warden/prod.db}}", DEAD))
    assert run_warden("set", "api/API_TOKEN", "--env", "dev", cwd=repo, env=env, input=make_canary()).returncode == 0
    opened = run_warden("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "a", cwd=repo, env=env)
    assert opened.returncode == 0 and "bao/INC-0001 opened" in opened.stdout, opened.output
    assert "warden incident close bao/INC-0001" in opened.stdout
    listed = run_warden("incident", "list", "--env", "dev", "--format", "json", cwd=repo, env=env)
    assert [i["id"] for i in json.loads(listed.stdout)] == ["bao/INC-0001"]
    assert run_warden("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes", cwd=repo, env=env).returncode == 0
    closed = run_warden("incident", "close", "bao/INC-0001", "--root-cause", "x", cwd=repo, env=env)
    assert closed.returncode == 0, closed.output
