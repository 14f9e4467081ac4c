"""Two machines (two HOMEs, two clones of one repository) against one OpenBao see one
rotation log and one incident register, through the real `warden` command."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_canary, run_warden

pytestmark = pytest.mark.vault

CONTRACT = """\
version: 1
project: teamdemo
environments:
  dev: {store: bao}
stores:
  bao: {backend: vault, options: {path_prefix: PREFIX, layout: per-namespace, retry_deadline: 3, timeout: 2}}
namespaces:
  api: {path: /services/api, owner: team-api}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}
      MANUAL: {min_length: 16}
"""


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


class Machine:
    """One engineer's checkout and HOME; `warden` runs as a real subprocess."""

    def __init__(self, root: Path, server: Any, fingerprint_key: str) -> None:
        self.repo = root / "repo"
        self.outputs: list[str] = []  # every output, for the canary check
        self.env = {
            **server.env(),
            "WARDEN_CONFIG_DIR": str(root / "home" / "config"),
            "WARDEN_CACHE_DIR": str(root / "home" / "cache"),
            # The team shares the project's fingerprint key (every store write needs it).
            "WARDEN_FINGERPRINT_KEY": fingerprint_key,
        }

    def w(self, *args: str, input: str | None = None) -> tuple[int, str, str]:
        res = run_warden("-c", self.repo / "warden.yaml", *args, input=input, env=self.env)
        assert "Traceback" not in res.stderr
        self.outputs.append(res.output)
        return res.returncode, res.stdout, res.stderr


@pytest.fixture
def machines(tmp_path: Path, vault_server: Any) -> tuple[Machine, Machine]:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    (origin / "warden.yaml").write_text(CONTRACT.replace("PREFIX", "team" + secrets.token_hex(5)))
    git(origin, "add", "warden.yaml")
    git(origin, "commit", "-q", "-m", "contract")
    key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    out = []
    for name in ("laptop-a", "laptop-b"):
        (tmp_path / name).mkdir()
        git(tmp_path, "clone", "-q", str(origin), str(tmp_path / name / "repo"))
        out.append(Machine(tmp_path / name, vault_server, key))
    return out[0], out[1]


def test_two_machines_see_one_rotation_log_and_one_incident_register(
    machines: tuple[Machine, Machine], vault_server: Any
) -> None:
    a, b = machines
    canary = make_canary()
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("set", "api/MANUAL", "--env", "dev", input=canary)[0] == 0
    code, out, err = a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "seen in a CI log")
    assert code == 0 and "INC-0001 opened" in out, err
    # Machine B never saw a file of A's: the register comes from the store.
    code, out, _ = b.w("incident", "list", "--format", "json")
    [inc] = json.loads(out)
    assert (inc["id"], inc["state"], inc["recorded"]) == ("INC-0001", "open", True)
    assert b.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")[0] == 1
    code, _, err = b.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--reason", "after INC-0001", "--yes")
    assert code == 0, err
    # A sees B's rotation in the one rotation log, and `run` on A refuses until the incident is closed.
    code, out, _ = a.w("rotation", "log", "--format", "json")
    assert [r["reason"] for r in json.loads(out)] == ["after INC-0001"]
    code, _, err = a.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert code == 1 and "INC-0001" in err
    assert a.w("incident", "close", "INC-0001", "--root-cause", "CI echo masked")[0] == 0
    assert b.w("incident", "list", "--open")[1].strip() == "no incidents"
    assert b.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")[0] == 0
    code, out, _ = b.w("incident", "open", "api/MANUAL", "--env", "dev", "--reason", "second")
    assert "INC-0002 opened" in out  # numbers continue across machines
    for m in (a, b):
        code, out, _ = m.w("audit", "verify")
        assert code == 0 and "incidents journal" in out and "rotation journal" in out, out
        assert not list((m.repo / ".warden").glob("*.jsonl.imported"))
        assert not (m.repo / ".warden" / "incidents.jsonl").exists()
    # The canary rule: no value in any output, in any local file, or in the journals on the server.
    prefix = contract_prefix(a)
    stored = journal_text(vault_server, prefix)
    assert "INC-0002" in stored and canary not in stored
    files = [p for m in (a, b) for p in [*m.repo.rglob("*"), *Path(m.env["WARDEN_CONFIG_DIR"]).rglob("*")] if p.is_file()]
    for text in [*a.outputs, *b.outputs, *(p.read_bytes().decode("utf-8", "replace") for p in files)]:
        assert canary not in text


def contract_prefix(m: Machine) -> str:
    return (m.repo / "warden.yaml").read_text().split("path_prefix: ")[1].split(",")[0]


def journal_text(server: Any, prefix: str) -> str:
    """Everything stored under the journals' paths, as the server holds it."""
    client = server.client()
    out: list[str] = []

    def walk(path: str) -> None:
        for key in client.adapter.request("LIST", f"/v1/secret/metadata/{path}/")["data"]["keys"]:
            if key.endswith("/"):
                walk(path + "/" + key.rstrip("/"))
            else:
                out.append(json.dumps(client.adapter.get(f"/v1/secret/metadata/{path}/{key}")["data"]))

    walk(f"{prefix}/_warden/journal")
    return "\n".join(out)


def test_a_cut_local_audit_log_shows_through_the_shared_journal(machines: tuple[Machine, Machine]) -> None:
    a, _b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    assert a.w("audit", "verify")[0] == 0
    log = a.repo / ".warden" / "audit.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:1]) + "\n")  # the tail cut ...
    for anchor in Path(a.env["WARDEN_CONFIG_DIR"], "anchors").glob("audit-*.json"):
        anchor.unlink()  # ... and the local anchor removed with it
    code, out, _ = a.w("audit", "verify")
    assert code == 1 and "which the local audit log does not contain" in out


def test_a_local_register_from_before_is_imported_once(machines: tuple[Machine, Machine]) -> None:
    from secretwarden.ops.journal import legacy_journal

    a, b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    old = {"event": "open", "id": "INC-0001", "time": "2026-01-01T00:00:00+00:00", "env": "dev",
           "namespace": "api", "key": "MANUAL", "instance": None, "store": "bao", "reason": "old", "actor": "x"}
    prior = dict(os.environ)
    os.environ.update(a.env)
    try:
        legacy_journal(a.repo / ".warden" / "audit.jsonl", "incidents").append(old)
    finally:
        os.environ.clear()
        os.environ.update(prior)
    _, out, _ = a.w("incident", "list", "--format", "json")  # read as a fallback before the import
    assert [i["id"] for i in json.loads(out)] == ["INC-0001"]
    _, out, err = a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "new")
    assert "INC-0002 opened" in out, err  # the append imported the old register first
    assert (a.repo / ".warden" / "incidents.jsonl.imported").exists()
    _, out, _ = b.w("incident", "list", "--format", "json")
    assert [i["id"] for i in json.loads(out)] == ["INC-0001", "INC-0002"]
    assert a.w("audit", "verify")[0] == 0


def test_run_with_only_the_service_read_policy_sees_the_register(
    machines: tuple[Machine, Machine], vault_server: Any
) -> None:
    """`run` under the least-privilege token `bootstrap` makes for a service reads the register's head."""
    a, _b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("set", "api/MANUAL", "--env", "dev", input=make_canary())[0] == 0
    policy = vault_server.client().sys.read_acl_policy("teamdemo-dev-api-read")["data"]["policy"]
    assert "_warden/journal/incidents/head" in policy  # read only the head: no other journal path
    token = vault_server.client().auth.token.create(policies=["teamdemo-dev-api-read"], ttl="5m")["auth"]["client_token"]
    service = Machine(a.repo.parent, vault_server, a.env["WARDEN_FINGERPRINT_KEY"])
    service.env.update({"VAULT_TOKEN": token, "BAO_TOKEN": token})
    run = ("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    code, _, err = service.w(*run)
    assert code == 0, err
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    code, _, err = service.w(*run)  # rotated, but the incident is still open: the head says so
    assert code == 1 and "INC-0001" in err


def test_a_service_policy_without_the_head_fails_closed(machines: tuple[Machine, Machine], vault_server: Any) -> None:
    a, _b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("set", "api/MANUAL", "--env", "dev", input=make_canary())[0] == 0
    admin = vault_server.client()
    policy = admin.sys.read_acl_policy("teamdemo-dev-api-read")["data"]["policy"]
    older = "\n".join(block for block in policy.split("\n\n") if "_warden/journal" not in block)
    admin.sys.create_or_update_acl_policy("teamdemo-dev-api-older", older)
    token = admin.auth.token.create(policies=["teamdemo-dev-api-older"], ttl="5m")["auth"]["client_token"]
    service = Machine(a.repo.parent, vault_server, a.env["WARDEN_FINGERPRINT_KEY"])
    service.env.update({"VAULT_TOKEN": token, "BAO_TOKEN": token})
    code, _, err = service.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert code != 0 and "_warden/journal/incidents/head" in err, err


def test_a_journal_deleted_on_the_server_shows_on_the_machines_that_saw_it(
    machines: tuple[Machine, Machine], vault_server: Any
) -> None:
    a, b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    assert b.w("audit", "verify")[0] == 0  # B checked it once, so B remembers how far it went
    client = vault_server.client()
    base = f"secret/metadata/{contract_prefix(a)}/_warden/journal/rotation"
    for key in client.adapter.request("LIST", f"/v1/{base}/e/")["data"]["keys"]:
        client.adapter.delete(f"/v1/{base}/e/{key}")
    client.adapter.delete(f"/v1/{base}/head")  # entries and head gone: the journal reads as empty
    for m in (a, b):
        code, out, _ = m.w("audit", "verify")
        assert code == 1 and "rotation journal" in out and "is gone" in out, out


def test_a_namespace_admin_appends_but_cannot_change_or_delete_an_entry(
    machines: tuple[Machine, Machine], vault_server: Any
) -> None:
    import hvac
    import hvac.exceptions

    a, _b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    root = vault_server.client()
    token = root.auth.token.create(policies=["teamdemo-dev-api-admin"], ttl="5m")["auth"]["client_token"]
    admin = Machine(a.repo.parent, vault_server, a.env["WARDEN_FINGERPRINT_KEY"])
    admin.env.update({"VAULT_TOKEN": token, "BAO_TOKEN": token})
    code, out, err = admin.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")
    assert code == 0 and "INC-0001 opened" in out, err
    entry = f"/v1/secret/metadata/{contract_prefix(a)}/_warden/journal/incidents/e/{1:010d}"
    client = hvac.Client(url=vault_server.address, token=token)
    assert client.adapter.get(entry)["data"]["custom_metadata"]
    with pytest.raises(hvac.exceptions.Forbidden):
        client.adapter.post(entry, json={"custom_metadata": {"c00": "{}"}})
    with pytest.raises(hvac.exceptions.Forbidden):
        client.adapter.delete(entry)
    # A sealed page (stores/vault/journal.py) is under the same rule: created once, then fixed.
    page = entry.replace(f"e/{1:010d}", f"e/p{1:010d}")
    client.adapter.post(page, json={"custom_metadata": {"c00": "not a page"}, "metadata_cas": 0})
    with pytest.raises(hvac.exceptions.Forbidden):
        client.adapter.post(page, json={"custom_metadata": {"c00": "{}"}})
    with pytest.raises(hvac.exceptions.Forbidden):
        client.adapter.delete(page)
    assert admin.w("audit", "verify")[0] == 0  # a page that does not fit the entries is not believed


def test_a_close_written_but_not_yet_in_the_head_is_read_and_the_gate_stays_closed(
    machines: tuple[Machine, Machine], vault_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer killed between creating its entry and moving the head: the lists and `audit verify`
    accept the entry past the head, `run` (which reads only the head) stays closed — never open
    on a partial read — and the next append moves the head past it."""
    from secretwarden.ops.journal import INCIDENTS, ChainWriter, chain_key, fold_for
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.journal import _dumps, _pieces
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    a, b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    assert a.w("set", "api/MANUAL", "--env", "dev", input=make_canary())[0] == 0
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    # `incident close` killed after creating its entry, before moving the head: its entry, by hand.
    monkeypatch.setenv("WARDEN_FINGERPRINT_KEY", a.env["WARDEN_FINGERPRINT_KEY"])
    monkeypatch.setenv("JOURNAL_TEST_TOKEN", vault_server.root_token)
    key = chain_key("teamdemo", None)
    assert key is not None
    conn = Connection(vault_server.address, auth={"method": "token", "token_env": "JOURNAL_TEST_TOKEN"})
    store = VaultStore("bao", VaultLayout(prefix=contract_prefix(a)), conn, access="metadata")
    journal = store.shared_journal()
    head = journal.head(INCIDENTS)
    [opened] = journal.entries(INCIDENTS)
    close = {k: opened[k] for k in ("id", "env", "namespace", "key", "instance", "store")}
    close.update(event="close", time=opened["time"], root_cause="drill", rotated_version=2, actor="t")
    record = ChainWriter(lambda _h: close, key, fold_for(INCIDENTS)).seal(close, head.seq + 1, head.digest)
    journal._put(journal._entry_path(INCIDENTS, head.seq + 1), _pieces(_dumps(record), "close"), 0)
    assert journal.head(INCIDENTS).seq == 1  # the head lags one entry

    code, out, _ = b.w("incident", "list", "--format", "json")
    assert code == 0 and [(i["id"], i["state"]) for i in json.loads(out)] == [("INC-0001", "closed")]
    code, out, _ = b.w("audit", "verify")
    assert code == 0 and "incidents journal" in out, out  # a head one entry behind is no finding
    code, _, err = b.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert code == 1 and "INC-0001" in err  # the gate reads the head: still closed, never opened early
    # The next append moves the head past the entry it missed.
    assert a.w("incident", "open", "api/MANUAL", "--env", "dev", "--reason", "second drill")[0] == 0
    head = journal.head(INCIDENTS)
    assert head.seq == 3 and list(head.index["open"]) == ["INC-0002"]
    code, _, err = b.w("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    assert code == 1 and "INC-0001" not in err and "INC-0002" in err
    assert b.w("audit", "verify")[0] == 0
    store.close()


def test_a_register_in_parts_is_read_and_written_under_the_policies_bootstrap_writes(
    machines: tuple[Machine, Machine], vault_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ~300 open incidents the head's index is in parts (stores/vault/journal.py): a service's
    read token reads them, an admin token creates them, an older service policy fails closed."""
    from secretwarden.ops.journal import INCIDENTS
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore
    from tests.stores.journal_support import incident, writer

    a, _b = machines
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    canary = make_canary()
    assert a.w("set", "api/MANUAL", "--env", "dev", input=canary)[0] == 0
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    root = vault_server.client()
    admin_token = root.auth.token.create(policies=["teamdemo-dev-api-admin"], ttl="5m")["auth"]["client_token"]
    monkeypatch.setenv("JOURNAL_TEST_TOKEN", admin_token)
    conn = Connection(vault_server.address, auth={"method": "token", "token_env": "JOURNAL_TEST_TOKEN"})
    prefix = contract_prefix(a)
    store = VaultStore("bao", VaultLayout(prefix=prefix), conn, access="metadata")
    for n in range(120):  # other slots' incidents with long names, appended under the admin policy
        store.shared_journal().append(INCIDENTS, writer({**incident(n), "key": f"K{n}_" + "X" * 300}))
    store.close()
    head = root.adapter.get(f"/v1/secret/metadata/{prefix}/_warden/journal/incidents/head")["data"]["custom_metadata"]
    assert head.get("format") == "2"  # the admin token created the parts
    run = ("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "pass")
    read_token = root.auth.token.create(policies=["teamdemo-dev-api-read"], ttl="5m")["auth"]["client_token"]
    service = Machine(a.repo.parent, vault_server, a.env["WARDEN_FINGERPRINT_KEY"])
    service.env.update({"VAULT_TOKEN": read_token, "BAO_TOKEN": read_token})
    code, _, err = service.w(*run)  # INC-0001 is still open: found in the parts
    assert code == 1 and "incident bao/INC-0001 is not closed" in err, err
    policy = root.sys.read_acl_policy("teamdemo-dev-api-read")["data"]["policy"]
    older = "\n".join(block for block in policy.split("\n\n") if "journal/incidents/index" not in block)
    root.sys.create_or_update_acl_policy("teamdemo-dev-api-before-parts", older)
    token = root.auth.token.create(policies=["teamdemo-dev-api-before-parts"], ttl="5m")["auth"]["client_token"]
    service.env.update({"VAULT_TOKEN": token, "BAO_TOKEN": token})
    code, _, err = service.w(*run)
    assert code == 3 and "_warden/journal/incidents/index" in err, err
    for text in [*a.outputs, *service.outputs]:
        assert canary not in text
