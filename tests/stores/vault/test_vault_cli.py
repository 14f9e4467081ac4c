"""Every command against a real OpenBao server, through the real `warden` CLI.

The server's audit log (tests/vault_server.py) is the witness for "no value
was read": reports must not touch any `data/` path.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, Result, make_canary, run_warden
from tests.vault_server import VaultServer, start_server

pytestmark = pytest.mark.vault


def vault_contract(prefix: str, *, layout: str = "per-namespace", extra: str = "") -> str:
    options = f"{{path_prefix: {prefix}, layout: {layout}, retry_deadline: 3, timeout: 2{extra}}}"
    store = f"stores:\n  vault:\n    backend: vault\n    options: {options}\n"
    return MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1)


@pytest.fixture
def vproject(tmp_path: Path, vault_server: VaultServer) -> Iterator[tuple[Path, dict[str, str], str]]:
    prefix = "p" + secrets.token_hex(5)
    contract = tmp_path / "warden.yaml"
    contract.write_text(vault_contract(prefix))
    yield contract, vault_server.env(), prefix


def w(contract: Path, env: dict[str, str], *args: str, input: str | None = None) -> Result:
    return run_warden("--contract", contract, *args, env=env, input=input)


def data_requests(server: VaultServer, mark: int, prefix: str) -> list[tuple[str, str]]:
    return [(op, p) for op, p in server.requests_since(mark) if p.startswith(f"secret/data/{prefix}")]


def test_set_get_ls_history_rm_status_without_reading_values(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    token, db = make_canary("tok"), "postgres://u:" + make_canary("db") + "@db:5432/app"
    outputs = []
    r = w(contract, env, "set", "api/API_TOKEN", "--env", "dev", input=token)
    assert r.returncode == 0, r.output
    outputs.append(r.output)
    r = w(contract, env, "set", "shared/DATABASE_URL", "--env", "dev", input=db)
    assert r.returncode == 0, r.output
    outputs.append(r.output)
    r = w(contract, env, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 0 and r.stdout.strip() == token
    second = make_canary("tok2")
    r = w(contract, env, "set", "api/API_TOKEN", "--env", "dev", input=second)
    assert "version 2" in r.stdout
    outputs.append(r.output)
    r = w(contract, env, "set", "api/API_TOKEN", "--env", "dev", input=token)
    assert r.returncode == 1 and "already used" in r.stderr  # reuse refused
    outputs.append(r.output)
    for args in (("ls", "--env", "dev"), ("history", "api/API_TOKEN", "--env", "dev"), ("ls", "--env", "dev", "--format", "json")):
        r = w(contract, env, *args)
        assert r.returncode == 0, r.output
        outputs.append(r.output)
    assert "API_TOKEN" in outputs[-3] and "v2" in outputs[-3]

    mark = vault_server.audit_mark()
    r = w(contract, env, "status", "--env", "dev", "--format", "json")
    outputs.append(r.output)
    report = json.loads(r.stdout)
    api = next(s for s in report["environments"][0]["services"] if s["service"] == "api")
    states = {k["name"]: k["state"] for k in api["keys"]}
    assert states["API_TOKEN"] == "present" and states["DATABASE_URL"] == "present"
    assert states["SIGNING_KEY"] == "missing"
    time.sleep(0.2)  # the audit device writes asynchronously to its file
    assert data_requests(vault_server, mark, prefix) == []  # status read metadata only

    r = w(contract, env, "rm", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 0 and "v2" in r.stdout
    assert w(contract, env, "get", "api/API_TOKEN", "--env", "dev").stdout.strip() == token  # falls back to v1
    r = w(contract, env, "undelete", "api/API_TOKEN", "--env", "dev")
    assert w(contract, env, "get", "api/API_TOKEN", "--env", "dev").stdout.strip() == second
    r = w(contract, env, "destroy", "api/API_TOKEN", "--env", "dev", "--versions", "1")
    assert r.returncode == 0, r.output
    r = w(contract, env, "get", "api/API_TOKEN", "--env", "dev", "--version", "1")
    assert r.returncode == 1
    outputs.append(r.output)
    # What External Secrets would read: the latest KV version holds the current value.
    data = vault_server.client().secrets.kv.v2.read_secret_version(f"{prefix}/dev/api", raise_on_deleted_version=True)
    assert data["data"]["data"]["API_TOKEN"] == second

    for text in outputs:
        for canary in (token, second, db):
            assert canary not in text
    audit = (contract.parent / ".warden" / "audit.jsonl").read_text()
    assert token not in audit and second not in audit


def test_check_and_run(vproject) -> None:  # type: ignore[no-untyped-def]
    contract, env, _ = vproject
    r = w(contract, env, "check", "--service", "api", "--env", "dev")
    assert r.returncode == 1 and "API_TOKEN" in r.stderr
    assert w(contract, env, "bootstrap", "--env", "dev").returncode == 0
    db = "postgres://u:" + make_canary("db") + "@db:5432/app"
    assert w(contract, env, "set", "shared/DATABASE_URL", "--env", "dev", input=db).returncode == 0
    r = w(contract, env, "check", "--service", "api", "--env", "dev")
    assert r.returncode == 0, r.output
    probe = "import os,sys; sys.stdout.write('ok' if os.environ['DATABASE_URL'].startswith('postgres://') else 'no')"
    r = w(contract, env, "run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", probe)
    assert r.returncode == 0 and r.stdout == "ok", r.output
    assert db not in r.stderr


def test_bootstrap_fresh_then_noop_rerun_reads_only_metadata(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    r = w(contract, env, "bootstrap", "--env", "dev", "--format", "json")
    assert r.returncode == 0, r.output
    first = json.loads(r.stdout)
    assert len(first["keys_generated"]) == 5 and first["namespaces_created"]
    assert {c["name"] for c in first["access"] if c["kind"] == "policy"} >= {"demo-dev-api-read", "demo-dev-api-admin", "demo-dev-status"}
    policy = vault_server.client().sys.read_acl_policy("demo-dev-api-read")["data"]["policy"]
    # exactly the secret, no glob below it (an override path under it is another slot)
    assert f'path "secret/data/{prefix}/dev/api"' in policy and f'path "secret/data/{prefix}/dev/api/*"' not in policy
    time.sleep(0.2)
    mark = vault_server.audit_mark()
    r = w(contract, env, "bootstrap", "--env", "dev", "--format", "json")
    again = json.loads(r.stdout)
    assert again["keys_generated"] == [] and again["already_present"] == 5  # DATABASE_URL, OPTIONAL_HOOK: no rule
    assert all(c["action"] == "unchanged" for c in again["access"])
    time.sleep(0.2)
    ops = vault_server.requests_since(mark)
    assert ops and all(op in ("read", "list") for op, _ in ops), ops
    assert not [p for _, p in ops if p.startswith("secret/data/")]


def test_status_token_cannot_read_values(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, _ = vproject
    assert w(contract, env, "bootstrap", "--env", "dev").returncode == 0
    token = vault_server.client().auth.token.create(policies=["demo-dev-status"], ttl="10m")["auth"]["client_token"]
    limited = {**env, **vault_server.env(token)}
    r = w(contract, limited, "status", "--env", "dev")
    assert r.returncode == 1 and "DATABASE_URL" in r.output  # the gap is reported
    assert "permission denied" not in r.output
    r = w(contract, limited, "get", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 3
    assert "permission denied" in r.stderr and "read" in r.stderr and "/dev/api" in r.stderr


def test_bootstrap_with_permission_limited_token(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    root = vault_server.client()
    root.sys.create_or_update_acl_policy(
        name=f"{prefix}-writer",
        policy=(
            f'path "secret/data/{prefix}/dev/api" {{ capabilities = ["create", "read", "update", "patch"] }}\n'
            f'path "secret/metadata/{prefix}/*" {{ capabilities = ["create", "read", "update", "list"] }}\n'
        ),
    )
    token = root.auth.token.create(policies=[f"{prefix}-writer"], ttl="10m")["auth"]["client_token"]
    limited = {**env, **vault_server.env(token)}
    r = w(contract, limited, "bootstrap", "--env", "dev")
    assert r.returncode == 3
    assert "permission denied" in r.stderr and "sys/" in r.stderr  # may not read or write policies
    r = w(contract, limited, "bootstrap", "--env", "dev", "--no-access")
    assert r.returncode == 3, r.output
    assert "interrupted" in r.stderr and "permission denied" in r.stderr and "secret/data/" in r.stderr
    r = w(contract, env, "bootstrap", "--env", "dev", "--format", "json")  # an admin completes it
    assert r.returncode == 0, r.output
    r = w(contract, env, "status", "--env", "dev", "--format", "json")
    states = [k["state"] for s in json.loads(r.stdout)["environments"][0]["services"] for k in s["keys"] if k["required"]]
    assert states.count("missing") == 2  # DATABASE_URL has no generate rule (read by two services)


def test_approle_login_reads_only_its_service(vproject, vault_server: VaultServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    r = w(contract, env, "bootstrap", "--env", "dev", "--approles")
    assert r.returncode == 0, r.output
    assert "auth/approle/role/demo-dev-api/role-id" in r.stdout
    root = vault_server.client()
    role_id = root.auth.approle.read_role_id("demo-dev-api")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("demo-dev-api")["data"]["secret_id"]
    assert secret_id not in r.output
    text = contract.read_text().replace(
        "timeout: 2}", "timeout: 2, auth: {method: approle, role_id_env: ROLE_ID, secret_id_env: SECRET_ID}}"
    )
    approle = tmp_path / "approle" / "warden.yaml"
    approle.parent.mkdir()
    approle.write_text(text)
    role_env = {"VAULT_ADDR": vault_server.address, "BAO_ADDR": vault_server.address, "ROLE_ID": role_id, "SECRET_ID": secret_id, "VAULT_TOKEN": "", "BAO_TOKEN": ""}
    r = run_warden("--contract", approle, "get", "api/API_TOKEN", "--env", "dev", env=role_env)
    assert r.returncode == 0 and len(r.stdout.strip()) == 24, r.output
    r = run_warden("--contract", approle, "get", "shop/SHOP_KEY", "--env", "dev", "--instance", "tenant-a", env=role_env)
    assert r.returncode == 3 and "permission denied" in r.stderr and f"{prefix}/dev/@tenant-a/shop" in r.stderr


def test_interrupted_bootstrap_reports_progress_and_rerun_completes(tmp_path: Path) -> None:
    server = start_server(tmp_path / "bao")
    try:
        many = "\n".join(f"      K{i:03d}: {{generate: {{kind: hex, length: 32}}}}" for i in range(240))
        text = vault_contract("intr", layout="per-key").replace(
            "      SHOP_KEY: {generate: {kind: chars, length: 32}}\n",
            "      SHOP_KEY: {generate: {kind: chars, length: 32}}\n" + many + "\n",
        )
        contract = tmp_path / "warden.yaml"
        contract.write_text(text.replace("timeout: 2}", "timeout: 1, workers: 2}"))
        env = {**server.env()}
        import os

        proc = subprocess.Popen(
            [sys.executable, "-m", "secretwarden", "--contract", str(contract), "bootstrap", "--env", "dev", "--no-access"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        kv = server.client().secrets.kv.v2
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if len(kv.list_secrets("intr/dev/@tenant-a/shop")["data"]["keys"]) >= 20:
                    break
            except Exception:
                pass
            time.sleep(0.02)
        server.pause()
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            server.resume()
        assert proc.returncode == 3, err
        assert "interrupted" in err and "run it again" in err
        r = run_warden("--contract", contract, "bootstrap", "--env", "dev", "--no-access", "--format", "json", env=env)
        assert r.returncode == 0, r.output
        r = run_warden("--contract", contract, "ls", "--env", "dev", "--format", "json", env=env)
        rows = json.loads(r.stdout)
        assert len(rows) == 2 * 241 + 3 and all(row["versions"] == 1 for row in rows)
    finally:
        server.stop()


def test_clear_errors_for_unreachable_server_bad_token_and_unknown_mount(tmp_path: Path, vault_server: VaultServer) -> None:
    from tests.vault_server import free_port

    contract = tmp_path / "warden.yaml"
    contract.write_text(vault_contract("errs"))
    r = run_warden("--contract", contract, "status", "--env", "dev", env={**vault_server.env(), "VAULT_ADDR": f"http://127.0.0.1:{free_port()}", "BAO_ADDR": f"http://127.0.0.1:{free_port()}"})
    assert r.returncode == 3 and "did not answer" in r.stderr and "Traceback" not in r.output
    r = run_warden("--contract", contract, "status", "--env", "dev", env=vault_server.env("not-a-token"))
    assert r.returncode == 3 and "invalid or expired" in r.stderr
    contract.write_text(vault_contract("errs", extra=", mount: nomount"))
    r = run_warden("--contract", contract, "status", "--env", "dev", env=vault_server.env())
    assert r.returncode == 3 and "no secrets engine is mounted at `nomount/`" in r.stderr
    r = run_warden("--contract", contract, "bootstrap", "--env", "dev", "--dry-run", env=vault_server.env())
    assert r.returncode == 0 and "create mount nomount" in r.stdout, r.output


def test_paths_written_outside_warden(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    kv = vault_server.client().secrets.kv.v2
    outside = make_canary("outside")
    kv.create_or_update_secret(f"{prefix}/dev/api", secret={"API_TOKEN": outside})
    r = w(contract, env, "status", "--env", "dev")
    assert "written outside warden" in r.stderr and outside not in r.output
    # The next write adopts the field (its value becomes version 1, reuse-checked) and never overwrites others.
    assert w(contract, env, "set", "api/API_TOKEN", "--env", "dev", input=outside).returncode == 1
    r = w(contract, env, "set", "api/SIGNING_KEY", "--env", "dev", input="ab" * 32)
    assert r.returncode == 0, r.output
    r = w(contract, env, "history", "api/API_TOKEN", "--env", "dev", "--format", "json")
    assert [v["source"] for v in json.loads(r.stdout)] == ["external"]
    assert w(contract, env, "get", "api/API_TOKEN", "--env", "dev").stdout.strip() == outside


def test_reveal_only_to_a_terminal(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    import os
    import pty

    contract, env, _ = vproject
    r = w(contract, env, "bootstrap", "--env", "dev", "--approles", "--reveal")
    assert r.returncode == 2 and "only to a terminal" in r.stderr
    assert "secret_id" not in r.output
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "secretwarden", "--contract", str(contract), "bootstrap", "--env", "dev", "--approles", "--reveal"],
        stdout=slave, stderr=subprocess.PIPE, env={**os.environ, **env},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    text = b"".join(chunks).decode()
    assert proc.returncode == 0, text
    line = next(li for li in text.splitlines() if li.startswith("demo-dev-api:"))
    role_id = vault_server.client().auth.approle.read_role_id("demo-dev-api")["data"]["role_id"]
    assert f"role_id={role_id}" in line and "secret_id=" in line


def test_status_reads_values_for_names_only_when_asked(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    outside = make_canary("outside")
    vault_server.client().secrets.kv.v2.create_or_update_secret(f"{prefix}/dev/api", secret={"API_TOKEN": outside})

    def state() -> tuple[str, str]:
        r = w(contract, env, "status", "--env", "dev", "--format", "json", *extra)
        assert outside not in r.output
        api = next(s for s in json.loads(r.stdout)["environments"][0]["services"] if s["service"] == "api")
        return next(k["state"] for k in api["keys"] if k["name"] == "API_TOKEN"), r.stderr

    extra: tuple[str, ...] = ()
    found, notes = state()
    assert found == "missing" and "field names are not in its metadata" in notes
    extra = ("--read-values-for-names",)
    found, notes = state()
    assert found == "unverified" and "learned by reading its values" in notes


def test_sealed_server_gives_a_clear_error(tmp_path: Path) -> None:
    import re

    server = start_server(tmp_path / "bao")
    try:
        contract = tmp_path / "warden.yaml"
        contract.write_text(vault_contract("sealed"))
        env = server.env()
        assert run_warden("--contract", contract, "bootstrap", "--env", "dev", env=env).returncode == 0
        unseal_key = re.search(r"Unseal Key: (\S+)", (server.folder / "server.log").read_text())
        assert unseal_key
        server.client().sys.seal()
        r = run_warden("--contract", contract, "status", "--env", "dev", env=env)
        assert r.returncode == 3 and "is sealed" in r.stderr and "bao operator unseal" in r.stderr
        server.client().sys.submit_unseal_key(unseal_key.group(1))
        r = run_warden("--contract", contract, "status", "--env", "dev", env=env)
        assert r.returncode == 1 and "sealed" not in r.output  # back to the gap report (DATABASE_URL missing)
    finally:
        server.stop()


def test_login_errors_are_clear(tmp_path: Path, vault_server: VaultServer) -> None:
    contract = tmp_path / "warden.yaml"
    bad = ", auth: {method: approle, role_id_env: ROLE_ID, secret_id_env: SECRET_ID}"
    contract.write_text(vault_contract("login", extra=bad))
    wrong = make_canary("sid")
    env = {"VAULT_ADDR": vault_server.address, "BAO_ADDR": vault_server.address, "ROLE_ID": "no-such-role", "SECRET_ID": wrong}
    r = run_warden("--contract", contract, "status", "--env", "dev", env=env)
    assert r.returncode == 3 and "approle login" in r.stderr and wrong not in r.output, r.output
    k8s = ", auth: {method: kubernetes, role: web, jwt_file: missing/token}"
    contract.write_text(vault_contract("login", extra=k8s))
    r = run_warden("--contract", contract, "status", "--env", "dev", env=env)
    assert r.returncode == 3 and "service-account token" in r.stderr
    contract.write_text(vault_contract("login", extra=", auth: {method: token, token: inline}"))
    r = run_warden("--contract", contract, "status", "--env", "dev", env=env)
    assert r.returncode == 2 and "credentials never go in warden.yaml" in r.stderr


def test_path_override_is_honoured(tmp_path: Path, vault_server: VaultServer) -> None:
    prefix = "o" + secrets.token_hex(4)
    text = vault_contract(prefix).replace(
        "      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}",
        "      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}, path: legacy/tokens#api}",
    )
    contract = tmp_path / "warden.yaml"
    contract.write_text(text)
    env = vault_server.env()
    value = make_canary()
    assert w(contract, env, "set", "api/API_TOKEN", "--env", "dev", input=value).returncode == 0
    stored = vault_server.client().secrets.kv.v2.read_secret_version(f"{prefix}/dev/legacy/tokens", raise_on_deleted_version=True)
    assert stored["data"]["data"] == {"api": value}
    r = w(contract, env, "status", "--env", "dev", "--format", "json")
    api = next(s for s in json.loads(r.stdout)["environments"][0]["services"] if s["service"] == "api")
    assert next(k for k in api["keys"] if k["name"] == "API_TOKEN")["state"] == "present"
    r = w(contract, env, "render", "external-secrets", "--env", "dev", "--service", "api")
    assert f"key: {prefix}/dev/legacy/tokens\n" in r.stdout and "property: api" in r.stdout


def test_status_reads_each_path_once(vproject, vault_server: VaultServer) -> None:  # type: ignore[no-untyped-def]
    contract, env, prefix = vproject
    r = w(contract, env, "bootstrap", "--env", "dev", "--format", "json")
    assert r.returncode == 0, r.output
    time.sleep(0.3)  # the audit device writes asynchronously; this only orders the mark after it
    mark = vault_server.audit_mark()
    r = w(contract, env, "status", "--env", "dev")
    assert r.returncode in (0, 1), r.output
    reads: list[str] = []
    for _ in range(50):  # until the audit log has caught up with the command (bounded)
        time.sleep(0.1)
        now = [p for op, p in vault_server.requests_since(mark) if op == "read" and p.startswith(f"secret/metadata/{prefix}/dev/")]
        if now and now == reads:
            break
        reads = now
    assert reads and len(reads) == len(set(reads)), reads
