"""Path templates against a real OpenBao, through the real CLI: the `secret/k3s/<app>` layout with
one Vault (here: one path root) per environment, a per-key template whose read policies deny every
slot a service does not declare, and `warden migrate` between two layouts on the same server."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import hvac
import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

K3S = """\
version: 1
project: demo
environments:
  staging: {{store: vault-staging}}
  prod: {{store: vault-prod, production: true}}
stores:
  vault-staging: {{backend: vault, options: {{path: "{root}s/k3s/{{namespace}}"}}}}
  vault-prod: {{backend: vault, options: {{path: "{root}p/k3s/{{namespace}}"}}}}
namespaces:
  shared: {{path: /shared}}
  api: {{path: /services/api}}
  web: {{path: /services/web}}
services:
  shared:
    namespace: shared
    secrets:
      DATABASE_URL: {{generate: {{kind: chars, length: 24}}}}
      ADMIN_DSN: {{generate: {{kind: chars, length: 24}}}}
  api:
    namespace: api
    secrets:
      API_TOKEN: {{generate: {{kind: chars, length: 24}}}}
      DATABASE_URL: {{ref: shared/DATABASE_URL}}
  web:
    namespace: web
    secrets:
      SESSION_KEY: {{generate: {{kind: hex, length: 32}}}}
"""


def _root() -> str:
    return "t" + secrets.token_hex(4)


def _reads(client: hvac.Client, path: str) -> bool:
    try:
        client.secrets.kv.v2.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=False)
        return True
    except hvac.exceptions.Forbidden:
        return False
    except hvac.exceptions.InvalidPath:
        return True  # nothing there, but the policy let the request through


def test_k3s_template_keeps_one_secret_per_app_with_a_field_per_key(tmp_path: Path, vault_server: VaultServer) -> None:
    root = _root()
    contract = tmp_path / "warden.yaml"
    contract.write_text(K3S.format(root=root))
    env = vault_server.env()
    boot = run_warden("-c", contract, "bootstrap", "--env", "staging", "--format", "json", env=env, timeout=120)
    assert boot.returncode == 0, boot.output
    assert len(json.loads(boot.stdout)["keys_generated"]) == 4
    admin = vault_server.client()
    api = admin.secrets.kv.v2.read_secret_version(path=f"{root}s/k3s/api", mount_point="secret", raise_on_deleted_version=True)["data"]["data"]
    shared = admin.secrets.kv.v2.read_secret_version(path=f"{root}s/k3s/shared", mount_point="secret", raise_on_deleted_version=True)["data"]["data"]
    assert set(api) == {"API_TOKEN"} and set(shared) == {"DATABASE_URL", "ADMIN_DSN"}
    got = run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "staging", env=env)
    assert got.returncode == 0 and got.stdout.strip() == api["API_TOKEN"]
    status = run_warden("-c", contract, "status", "--env", "staging", "--format", "json", env=env)
    assert status.returncode == 0, status.output
    # prod is another store: nothing of staging shows there, nothing was written there
    prod = run_warden("-c", contract, "status", "--env", "prod", "--format", "json", env=env)
    assert prod.returncode == 1 and "missing" in prod.stdout
    # the reports that list the store (every environment's, for isolation) read it through the template
    for args in (["isolation", "--format", "json"], ["rotation", "status", "--env", "staging", "--format", "json"]):
        report = run_warden("-c", contract, *args, env=env)
        assert report.returncode in (0, 1) and "API_TOKEN" in report.stdout, (args, report.output)
    manifests = run_warden("-c", contract, "render", "external-secrets", "--env", "staging", env=env)
    assert manifests.returncode == 0, manifests.output
    assert f"key: {root}s/k3s/shared" in manifests.stdout and "property: DATABASE_URL" in manifests.stdout
    rerun = run_warden("-c", contract, "bootstrap", "--env", "staging", "--format", "json", env=env, timeout=120)
    assert rerun.returncode == 0 and json.loads(rerun.stdout)["keys_generated"] == []

    # Least privilege as far as this layout can express it: the over-grant is said, not silent.
    policy = admin.sys.read_acl_policy("demo-staging-api-read")["data"]["policy"]
    assert "OVER-GRANT" in policy and "shared/ADMIN_DSN" in policy
    lint = run_warden("lint", "--rule", "vault-overgrant", "--format", "json", cwd=tmp_path)
    found = json.loads(lint.stdout)["findings"]
    assert [(f["service"], f"{root}s/k3s/shared" in f["message"]) for f in found if "staging" in f["message"]] == [
        ("api", True)
    ]
    for service, readable in {"api": {"api", "shared"}, "web": {"web"}, "shared": {"shared"}}.items():
        token = admin.auth.token.create(policies=[f"demo-staging-{service}-read"], ttl="5m")["auth"]["client_token"]
        client = hvac.Client(url=vault_server.address, token=token)
        for app in ("api", "web", "shared"):
            assert _reads(client, f"{root}s/k3s/{app}") == (app in readable), (service, app)


def test_a_per_key_template_denies_every_slot_a_service_does_not_declare(
    tmp_path: Path, vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.contract.plan import requirements
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.vault.access import policy_name

    root = _root()
    store = (
        "stores:\n  vault:\n    backend: vault\n"
        f'    options: {{path: "{root}/{{env}}/{{instance}}/{{namespace}}/{{key}}", field: value}}\n'
    )
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    env = vault_server.env()
    boot = run_warden("-c", contract, "bootstrap", "--env", "dev", env=env, timeout=120)
    assert boot.returncode in (0, 1), boot.output  # DATABASE_URL has no generate rule: missing
    admin = vault_server.client()
    token_row = admin.secrets.kv.v2.read_secret_version(path=f"{root}/dev/api/API_TOKEN", mount_point="secret", raise_on_deleted_version=True)
    assert set(token_row["data"]["data"]) == {"value"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with Workspace.load(contract) as ws:
        reqs = requirements(ws.contract, "dev")
        located = {r.slot: ws.metadata("dev").remote_ref(r.slot) for r in reqs}  # type: ignore[attr-defined]
        # found through the template: `shared` by its marker (no key generated), `shop` under @tenant-*
        assert ws.metadata("dev").namespaces("dev") == {"api", "shared", "shop"}
    assert located[next(r.slot for r in reqs if r.slot.instance == "tenant-a")][0].startswith(f"{root}/dev/@tenant-a/")
    lint = run_warden("-c", contract, "lint", "--rule", "vault-overgrant", "--format", "json", cwd=tmp_path)
    assert json.loads(lint.stdout)["findings"] == []
    checked = 0
    for service, instance in {(r.service, r.slot.instance) for r in reqs}:
        policy = policy_name("demo", "dev", service, instance or "", "read")
        token = admin.auth.token.create(policies=[policy], ttl="5m")["auth"]["client_token"]
        client = hvac.Client(url=vault_server.address, token=token)
        mine = {r.slot for r in reqs if r.service == service and r.slot.instance == instance}
        for slot, (path, _field) in located.items():
            assert _reads(client, path) == (slot in mine), (service, instance, slot)
            checked += 1
    assert checked >= 3 * len(located)


def test_migrate_between_two_layouts_on_one_server(tmp_path: Path, vault_server: VaultServer) -> None:
    root = _root()
    stores = (
        "stores:\n"
        f"  old: {{backend: vault, options: {{path_prefix: {root}, layout: per-namespace}}}}\n"
        f'  new: {{backend: vault, options: {{path: "{root}/k3s/{{env}}/{{instance}}/{{namespace}}/{{key}}"}}}}\n'
    )
    text = MINIMAL_CONTRACT.replace("namespaces:\n", stores + "namespaces:\n", 1)
    text = text.replace("  dev: {}\n  prod: {production: true}\n", "  dev: {store: old}\n  prod: {store: old, production: true}\n")
    contract = tmp_path / "warden.yaml"
    contract.write_text(text)
    env = vault_server.env()
    assert run_warden("-c", contract, "bootstrap", "--env", "dev", env=env, timeout=120).returncode in (0, 1)
    before = run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "dev", env=env).stdout.strip()
    set_again = run_warden("-c", contract, "set", "api/API_TOKEN", "--env", "dev", input="x" * 8 + secrets.token_hex(12), env=env)
    assert set_again.returncode == 0, set_again.output
    after = run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "dev", env=env).stdout.strip()
    moved = run_warden("-c", contract, "migrate", "--from", "old", "--to", "new", "--env", "dev", "--format", "json", env=env, timeout=120)
    assert moved.returncode == 0, moved.output
    assert before not in moved.output and after not in moved.output
    again = run_warden("-c", contract, "migrate", "--from", "old", "--to", "new", "--env", "dev", "--format", "json", env=env, timeout=120)
    assert again.returncode == 0, again.output  # resumable: nothing left to copy, all verified
    contract.write_text(text.replace("  dev: {store: old}", "  dev: {store: new}"))
    assert run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "dev", env=env).stdout.strip() == after
    history = run_warden("-c", contract, "history", "api/API_TOKEN", "--env", "dev", "--format", "json", env=env)
    assert history.returncode == 0 and len(json.loads(history.stdout)) == 2, history.output
    admin = vault_server.client()
    row = admin.secrets.kv.v2.read_secret_version(path=f"{root}/k3s/dev/api/API_TOKEN", mount_point="secret", raise_on_deleted_version=True)
    assert row["data"]["data"] == {"API_TOKEN": after}
    reused = run_warden("-c", contract, "set", "api/API_TOKEN", "--env", "dev", input=before, env=env)
    assert reused.returncode != 0 and before not in reused.output  # the old value's fingerprint came along


def test_bulk_requests_over_tls_verify_the_servers_certificate(tmp_path: Path) -> None:
    """The lean transport (fast_http.py) speaks HTTPS with the store's `ca_cert`; a server whose
    certificate the CA does not sign is refused, with exit 3 and no traceback."""
    import subprocess

    from tests.vault_server import bao_binary, free_port

    binary = bao_binary()
    if binary is None:
        pytest.skip("the `bao` binary is not installed")
    port = free_port()
    certs = tmp_path / "certs"
    certs.mkdir()
    token = "root-" + secrets.token_hex(8)
    env_clean = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    with open(tmp_path / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [binary, "server", "-dev", "-dev-tls", f"-dev-tls-cert-dir={certs}", f"-dev-root-token-id={token}",
             f"-dev-listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, env=env_clean, cwd=tmp_path,
        )
    try:
        address = f"https://127.0.0.1:{port}"
        ca = certs / "vault-ca.pem"
        for _ in range(300):  # the server writes its CA, then listens
            if _up(address, ca):
                break
        else:
            pytest.fail(f"the TLS dev server did not start; see {tmp_path / 'server.log'}")
        store = f"stores:\n  vault:\n    backend: vault\n    options: {{address: {address}, ca_cert: {ca}, layout: per-key}}\n"
        contract = tmp_path / "warden.yaml"
        contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
        env = {"VAULT_TOKEN": token, "BAO_TOKEN": token}
        boot = run_warden("-c", contract, "bootstrap", "--env", "dev", "--format", "json", env=env, timeout=120)
        assert boot.returncode in (0, 1), boot.output
        assert len(json.loads(boot.stdout)["keys_generated"]) == 5
        assert run_warden("-c", contract, "status", "--env", "dev", env=env).returncode in (0, 1)
        other = tmp_path / "other-ca.pem"
        other.write_text((certs / "vault-cert.pem").read_text())  # a certificate, not the CA that signed it
        contract.write_text(contract.read_text().replace(str(ca), str(other)))
        refused = run_warden("-c", contract, "status", "--env", "dev", env={**env, "REQUESTS_CA_BUNDLE": str(other)})
        assert refused.returncode == 3 and "Traceback" not in refused.output, refused.output
    finally:
        proc.terminate()
        proc.wait(10)


def _up(address: str, ca: Path) -> bool:
    import time

    import requests

    if ca.exists():
        try:
            requests.get(f"{address}/v1/sys/health", verify=str(ca), timeout=1)
            return True
        except requests.exceptions.RequestException:
            pass
    time.sleep(0.1)
    return False


def test_a_store_behind_a_proxy_sends_every_request_through_it(tmp_path: Path, vault_server: VaultServer) -> None:
    """HTTP_PROXY/HTTPS_PROXY are honoured by hvac (requests), not by the lean transport: a store
    the environment routes through a proxy keeps its bulk KV requests on hvac too."""
    import http.client
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    seen: list[str] = []

    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            target = urlsplit(self.path)
            seen.append(target.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
            conn.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body or None, headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_LIST = _forward

        def log_message(self, *args: object) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        store = "stores:\n  vault:\n    backend: vault\n    options: {layout: per-key, path_prefix: " + _root() + "}\n"
        contract = tmp_path / "warden.yaml"
        contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
        address = f"http://127.0.0.1:{proxy.server_address[1]}"
        env = {**vault_server.env(), "HTTP_PROXY": address, "http_proxy": address, "NO_PROXY": "", "no_proxy": ""}
        boot = run_warden("-c", contract, "bootstrap", "--env", "dev", "--format", "json", env=env, timeout=120)
        assert boot.returncode in (0, 1), boot.output
        assert len(json.loads(boot.stdout)["keys_generated"]) == 5
        assert sum("/v1/secret/data/" in p for p in seen) >= 5, seen  # the value writes went through the proxy
    finally:
        proxy.shutdown()
