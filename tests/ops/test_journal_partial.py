"""`incident list` and `rotation log` of every store, when one store does not answer: the
others are listed, the silent one is named as not checked, exit 3 — as `status` does.

dev lives on the real OpenBao of the fixtures; prod on an OpenBao address where nothing
listens (a laptop out of reach of prod's server). Asked for by name, prod's error stands,
and the gates (`check`, `run`) of prod stay closed."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Recorder, make_canary, random_fingerprint_key, run_warden

pytestmark = pytest.mark.vault

CONTRACT = """\
version: 1
project: partialdemo
environments:
  dev: {store: bao}
  prod: {store: far, production: true}
stores:
  bao: {backend: vault, options: {path_prefix: PREFIX, layout: per-namespace, retry_deadline: 3, timeout: 2}}
  far: {backend: vault, options: {address: 'http://127.0.0.1:9', connect_timeout: 1, connect_retry_deadline: 1}}
namespaces:
  api: {path: /services/api, owner: team-api}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}
"""


@pytest.fixture
def laptop(tmp_path: Path, vault_server: Any) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "warden.yaml").write_text(CONTRACT.replace("PREFIX", "part" + secrets.token_hex(5)))
    env = {**vault_server.env(), "WARDEN_FINGERPRINT_KEY": random_fingerprint_key()}
    return repo, env


def test_lists_of_every_store_name_the_store_that_does_not_answer(laptop: tuple[Path, dict[str, str]]) -> None:
    repo, env = laptop
    w = Recorder(cwd=repo, env=env)

    canary = make_canary()
    assert w("set", "api/API_TOKEN", "--env", "dev", input=canary).returncode == 0
    assert w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "pasted in chat").returncode == 0
    assert w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--reason", "after INC", "--yes").returncode == 0

    listed = w("incident", "list", "--format", "json")
    assert listed.returncode == 3, listed.output
    [inc] = json.loads(listed.stdout)  # dev's incident is listed, with its state from dev's store
    assert (inc["env"], inc["state"]) == ("dev", "rotated")
    assert "warden: error: not checked: prod; their store did not answer" in listed.stderr
    assert "hint: `warden incident list --env ENV`" in listed.stderr
    table = w("incident", "list")
    assert table.returncode == 3 and "Environment prod: not checked — store `far`" in table.stdout
    assert "127.0.0.1:9" in table.stdout and inc["id"] in table.stdout
    markdown = w("incident", "list", "--format", "markdown")
    assert markdown.returncode == 3 and "### Environment `prod`: not checked" in markdown.stdout

    log = w("rotation", "log", "--format", "json")
    assert log.returncode == 3 and [r["reason"] for r in json.loads(log.stdout)] == ["after INC"], log.output
    assert "not checked: prod; their store did not answer" in log.stderr
    md = w("rotation", "log")
    assert md.returncode == 3 and "### Environment `prod`: not checked" in md.stdout and "after INC" in md.stdout

    # Asked for by name: the reachable one answers in full, the silent one is the error itself.
    assert w("incident", "list", "--env", "dev").returncode == 0
    assert w("rotation", "log", "--env", "dev").returncode == 0
    for args in (("incident", "list", "--env", "prod"), ("rotation", "log", "--env", "prod")):
        named = w(*args)
        assert named.returncode == 3 and "127.0.0.1:9" in named.stderr and not named.stdout, named.output

    # The gates never open on a partial read: prod's store did not answer, so prod's check fails.
    assert w("check", "--service", "api", "--env", "prod").returncode == 3
    assert w("run", "--service", "api", "--env", "prod", "--", sys.executable, "-c", "pass").returncode == 3
    assert w("check", "--service", "api", "--env", "dev").returncode == 1  # the incident is not closed yet
    w.assert_never_shown(canary)


def test_no_store_answering_is_the_error_itself(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "warden.yaml").write_text(
        CONTRACT.replace("bao: {backend: vault, options: {path_prefix: PREFIX,", "bao: {backend: vault, options: {address: 'http://127.0.0.1:9', connect_timeout: 1, connect_retry_deadline: 1, path_prefix: x,")
    )
    env = {"VAULT_TOKEN": "not-used", "BAO_TOKEN": "not-used"}
    for args in (("incident", "list"), ("rotation", "log")):
        res = run_warden(*args, cwd=repo, env=env)
        assert res.returncode == 3 and "127.0.0.1:9" in res.stderr and "not checked" not in res.output, res.output
        assert "Traceback" not in res.output
