"""Rotation, incidents and isolation with one embedded store and one real OpenBao store.

prod lives in a Vault store on the OpenBao test server (tests/vault_server.py),
dev and staging in the embedded store. The server's own audit log proves that
the reports read no `data/` path, i.e. no value.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from secretwarden.errors import ReuseRefused
from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.incidents import close_incident, list_incidents, open_incident
from secretwarden.ops.isolation import isolation_report
from secretwarden.ops.rotation import rotate, rotation_status
from secretwarden.ops.secrets import set_secret
from secretwarden.ops.status import gap_report
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue
from tests.conftest import make_canary, run_warden
from tests.ops.conftest import ROTATION_CONTRACT, Clock, values_read

pytestmark = pytest.mark.vault

PROD_TOKEN = SlotRef("prod", "api", "API_TOKEN")


@pytest.fixture
def mixed(tmp_path: Path, vault_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    server = vault_server
    prefix = "r" + secrets.token_hex(5)
    text = ROTATION_CONTRACT.replace(
        "second: {backend: embedded, options: {path: .warden/second.db}}",
        f"second: {{backend: vault, options: {{path_prefix: {prefix}, layout: per-namespace, retry_deadline: 3, timeout: 2}}}}",
    )
    assert "backend: vault" in text
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(text)
    for name, value in server.env().items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    yield contract, prefix


def value_reads(server: object, mark: int, prefix: str) -> list[tuple[str, str]]:
    return [(op, p) for op, p in server.requests_since(mark) if p.startswith(f"secret/data/{prefix}")]  # type: ignore[attr-defined]


def test_isolation_across_embedded_and_vault(mixed: tuple[Path, str], vault_server: object) -> None:
    contract, prefix = mixed
    same = SecretValue(make_canary("both") + "-long-enough")
    with Workspace.load(contract, clock=Clock()) as ws:
        set_secret(ws, SlotRef("dev", "api", "API_TOKEN"), same)
        set_secret(ws, PROD_TOKEN, same)
        set_secret(ws, SlotRef("prod", "api", "MANUAL"), SecretValue(make_canary("own") + "-long-enough"))
    mark = vault_server.audit_mark()  # type: ignore[attr-defined]
    with Workspace.load(contract, clock=Clock()) as ws:
        report = isolation_report(ws)
        assert values_read(ws) == 0 and not ws._secrets
    assert value_reads(vault_server, mark, prefix) == []  # the server saw no value read
    [pair] = report.shared
    assert {pair.a.store, pair.b.store} == {"local", "second"}
    assert pair.crosses == ["store", "environment"] and pair.kind == "current"
    res = run_warden("-c", contract, "isolation", "--format", "json")
    assert res.returncode == 1 and json.loads(res.stdout)["shared"][0]["crosses"] == ["store", "environment"]
    assert same.reveal() not in res.output


def test_rotation_and_incident_on_vault(mixed: tuple[Path, str], vault_server: object) -> None:
    contract, prefix = mixed
    clock = Clock()
    with Workspace.load(contract, clock=clock) as ws:
        bootstrap(ws, "prod", allow_production=True)
    clock.advance(days=85)
    mark = vault_server.audit_mark()  # type: ignore[attr-defined]
    with Workspace.load(contract, clock=clock) as ws:
        states = {r.slot: r.state for r in rotation_status(ws, ["prod"]).rows}
        assert values_read(ws) == 0
    assert value_reads(vault_server, mark, prefix) == []
    assert states[PROD_TOKEN] == "overdue"  # 60d cadence
    assert states[SlotRef("prod", "pay", "PAY_KEY")] == "due"  # 90d, 5 days left
    with Workspace.load(contract, clock=clock) as ws:
        leaked = ws.secrets("prod").read(PROD_TOKEN)
        inc = open_incident(ws, PROD_TOKEN, "token in a support ticket")
    with Workspace.load(contract, clock=clock) as ws:
        report = gap_report(ws, ["prod"])
        state = next(k.state for e in report.envs for s in e.services for k in s.keys if k.slot == PROD_TOKEN)
        assert state == "compromised"
        with pytest.raises(ReuseRefused):
            set_secret(ws, SlotRef("prod", "api", "MANUAL"), leaked)  # denied everywhere in that store
        clock.advance(hours=1)
        rotate(ws, PROD_TOKEN, generate=True, reason="incident", assume_yes=True)
    with Workspace.load(contract, clock=clock) as ws:
        assert [i.state for i in list_incidents(ws)] == ["rotated"]
        close_incident(ws, inc.id, "ticket attachments now scrubbed")
        states = {r.slot: r.state for r in rotation_status(ws, ["prod"]).rows}
    assert states[PROD_TOKEN] == "ok"
