"""`status`'s isolation section compares every store, whatever `--env` asks for: a store that
does not answer is named as not checked (text, markdown, JSON, a warning), never dropped silently,
and a store the report already found down is not asked a second time (its first answer is
reported).

The down store is a Vault store on a closed loopback port (connection refused); the store that
answers is the real OpenBao test server (tests/vault_server.py).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden
from tests.ops.conftest import ROTATION_CONTRACT
from tests.vault_server import VaultServer, free_port

pytestmark = [pytest.mark.vault]

TOKENS = {"VAULT_TOKEN": "t", "BAO_TOKEN": "t"}


def contract_with_second(tmp_path: Path, options: str) -> Path:
    """ROTATION_CONTRACT (dev and staging in the embedded `local`, prod in `second`) with
    `second` a Vault store."""
    text = ROTATION_CONTRACT.replace(
        "second: {backend: embedded, options: {path: .warden/second.db}}",
        f"second: {{backend: vault, options: {{{options}}}}}",
    )
    assert "backend: vault" in text
    contract = tmp_path / "warden.yaml"
    contract.write_text(text)
    return contract


@pytest.fixture
def down(tmp_path: Path) -> Path:
    return contract_with_second(
        tmp_path, f"address: http://127.0.0.1:{free_port()}, connect_retry_deadline: 1, connect_timeout: 1"
    )


def test_status_of_one_env_names_the_store_isolation_could_not_compare(down: Path) -> None:
    r = run_warden("-c", down, "status", "--env", "dev", env=TOKENS)
    assert r.returncode == 1, r.output  # dev's own gaps decide; the isolation section never does
    assert "Isolation across store(s) local:" in r.stdout  # the stores that answered are compared
    assert "Isolation: not checked against store `second`:" in r.stdout and "connection refused" in r.stdout
    overall = r.stdout.splitlines()[-1]
    assert overall.startswith("Overall: ") and "isolation against store `second` not checked" in overall
    assert overall.startswith("Overall: BLOCKED")
    assert "warden: warning: isolation against store `second` not checked" in r.stderr
    assert "`warden isolation` is the gate" in r.stderr and "--env ENV" not in r.stderr
    assert "Traceback" not in r.output

    j = run_warden("-c", down, "status", "--env", "dev", "--format", "json", env=TOKENS)
    assert j.returncode == 1, j.output
    report = json.loads(j.stdout)
    assert report["ok"] is False and report["verdict"].startswith("BLOCKED")
    assert "isolation against store `second` not checked" in report["verdict"]
    assert list(report["isolation_unchecked"]) == ["second"]
    assert "connection refused" in report["isolation_unchecked"]["second"]
    assert report["isolation"]["stores"] == ["local"] and "unreachable" not in report
    assert [e["env"] for e in report["environments"]] == ["dev"]

    m = run_warden("-c", down, "status", "--env", "dev", "--format", "markdown", env=TOKENS)
    assert m.returncode == 1 and "Isolation: not checked against store `second`" in m.stdout, m.output

    gate = run_warden("-c", down, "isolation", env=TOKENS)  # the gate for isolation fails closed
    assert gate.returncode == 3 and "Traceback" not in gate.output, gate.output


def test_status_of_every_env_asks_a_down_store_once(down: Path) -> None:
    r = run_warden("-c", down, "status", "--format", "json", env=TOKENS)
    assert r.returncode == 3, r.output
    report = json.loads(r.stdout)
    assert list(report["unreachable"]) == ["prod"] and list(report["isolation_unchecked"]) == ["second"]
    # The isolation section reports the answer the incident register got (the same request named
    # in the same message) instead of a metadata listing of its own. (Asking again would not wait
    # a second budget here either: the Vault transport fails at once once it found its server
    # down; status does not rely on a backend remembering that.)
    assert report["isolation_unchecked"]["second"] == report["unreachable"]["prod"]
    assert "incidents" in report["unreachable"]["prod"] and "secret/metadata/rotdemo within" not in r.stdout
    assert "not checked: prod;" in r.stderr and "warning: isolation against store `second` not checked" in r.stderr
    assert "hint: `warden status --env ENV` reads one environment" in r.stderr


def test_status_with_every_store_answering_is_complete(
    tmp_path: Path, vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.ops.secrets import set_secret
    from secretwarden.ops.workspace import Workspace
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue

    prefix = "p" + secrets.token_hex(5)
    contract = contract_with_second(tmp_path, f"path_prefix: {prefix}, layout: per-namespace, retry_deadline: 3, timeout: 2")
    for name, value in vault_server.env().items():
        monkeypatch.setenv(name, value)
    same = SecretValue(make_canary("both") + "-long-enough")
    with Workspace.load(contract) as ws:  # one value in both stores: only a comparison of both finds it
        set_secret(ws, SlotRef("dev", "api", "API_TOKEN"), same)
        set_secret(ws, SlotRef("prod", "api", "API_TOKEN"), same)
    r = run_warden("-c", contract, "status", "--env", "dev", "--format", "json")
    assert r.returncode == 1, r.output  # dev's gaps block; nothing left unchecked
    report = json.loads(r.stdout)
    assert "isolation_unchecked" not in report and "unreachable" not in report
    assert report["isolation"]["stores"] == ["local", "second"]
    assert any("store" in pair["crosses"] for pair in report["isolation"]["shared"])
    t = run_warden("-c", contract, "status", "--env", "dev")
    assert t.returncode == 1 and "not checked" not in t.output, t.output
    assert same.reveal() not in r.output + t.output
