"""`warden bootstrap`'s machine-auth step against a real OpenBao: a Direct-Vault service's AppRole and
its stored credentials (a login with them reads exactly the service's slots), and the Kubernetes auth
mount and roles read back. A Kubernetes login itself needs a cluster and is not tried here."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

DIRECT = """\
  reports:
    namespace: reports
    k8s_namespace: reports-{env}
    access: direct-vault
    justification: reads short-lived database credentials from the database engine
    secrets:
      REPORTS_KEY: {generate: {kind: chars, length: 24}}
      REPORTS_DB_ROLE: {sensitive: false, generate: {kind: literal, value: readonly}}
"""


def ca_pem() -> str:
    """A throw-away self-signed CA certificate (public data), made at test time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-cluster-ca")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def make_contract(tmp_path: Path, roles: str) -> tuple[Path, str, str]:
    tag = secrets.token_hex(4)
    project, mount = f"p{tag}", f"k8s-{tag}"
    (tmp_path / "cluster-ca.pem").write_text(ca_pem())
    k8s = (f"{{mount: {mount}, roles: {roles}, kubernetes_host: 'https://k8s.test.invalid:6443', "
           "kubernetes_ca_cert: cluster-ca.pem, token_ttl: 20m, token_max_ttl: 1h}")
    store = (f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: {project}, retry_deadline: 3, "
             f"timeout: 5, kubernetes_auth: {k8s}}}\n")
    text = MINIMAL_CONTRACT.replace("project: demo", f"project: {project}")
    text = text.replace("namespaces:\n", store + "namespaces:\n  reports: {path: /services/reports}\n", 1)
    text = text.replace("  api:\n    namespace: api\n", "  api:\n    namespace: api\n    k8s_namespace: api-{env}\n", 1)
    text += DIRECT
    contract = tmp_path / "warden.yaml"
    contract.write_text(text)
    return contract, project, mount


def bootstrap(contract: Path, server: VaultServer) -> Any:
    r = run_warden("-c", contract, "bootstrap", "--env", "dev", "--format", "json", env=server.env())
    assert r.returncode == 0, r.output
    return r


def rendered(contract: Path, *args: str) -> list[dict[str, Any]]:
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", *args,
                   env={"VAULT_ADDR": "", "BAO_ADDR": "", "VAULT_TOKEN": "", "BAO_TOKEN": ""})
    assert r.returncode == 0, r.output
    return list(yaml.safe_load_all(r.stdout))


def read_field(client: Any, path: str, field: str) -> str:
    data = client.secrets.kv.v2.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)
    return str(data["data"]["data"][field])


def test_direct_vault_approle_credentials_read_exactly_the_service_slots(tmp_path: Path, vault_server: VaultServer) -> None:
    import hvac
    import hvac.exceptions

    contract, project, _ = make_contract(tmp_path, "operator")
    first = bootstrap(contract, vault_server)
    root = vault_server.client()
    role = root.adapter.get(f"/v1/auth/approle/role/{project}-dev-reports")["data"]
    assert role["token_policies"] == [f"{project}-dev-reports-read"]
    assert role["secret_id_ttl"] == 0 and role["token_ttl"] == 3600
    # Where the credentials are is what the rendered bootstrap ExternalSecret names (the layout's path).
    doc = next(d for d in rendered(contract) if d["metadata"]["name"] == "reports-bootstrap")
    assert doc["spec"]["target"]["name"] == "reports-bootstrap"
    refs = {e["secretKey"]: e["remoteRef"] for e in doc["spec"]["data"]}
    assert set(refs) == {"VAULT_ROLE_ID", "VAULT_SECRET_ID"}
    role_id = read_field(root, refs["VAULT_ROLE_ID"]["key"], refs["VAULT_ROLE_ID"]["property"])
    secret_id = read_field(root, refs["VAULT_SECRET_ID"]["key"], refs["VAULT_SECRET_ID"]["property"])
    assert role_id == root.adapter.get(f"/v1/auth/approle/role/{project}-dev-reports/role-id")["data"]["role_id"]

    app = hvac.Client(url=vault_server.address)
    app.auth.approle.login(role_id=role_id, secret_id=secret_id)
    assert app.is_authenticated()
    assert read_field(app, f"{project}/dev/reports", "REPORTS_DB_ROLE") == "readonly"  # its own slots
    for other in (f"{project}/dev/api", f"{project}/dev/shared", refs["VAULT_ROLE_ID"]["key"]):
        with pytest.raises(hvac.exceptions.Forbidden):
            app.secrets.kv.v2.read_secret_version(path=other, mount_point="secret", raise_on_deleted_version=True)

    # Nothing is printed or logged: neither credential appears in the output or warden's audit log.
    audit = (contract.parent / ".warden" / "audit.jsonl").read_text()
    for value in (role_id, secret_id):
        assert value not in first.output and value not in audit
    assert "reports" in audit and "credentials" in audit

    # Kept through the store's write path: reports see them as bootstrap's, not as orphans.
    status = run_warden("-c", contract, "status", "--env", "dev", "--format", "json", env=vault_server.env())
    assert "reports-bootstrap" not in json.dumps(json.loads(status.stdout)["environments"][0]["orphans"])
    listing = run_warden("-c", contract, "ls", "--env", "dev", env=vault_server.env()).stdout
    assert "reports-bootstrap/secret_id" in listing and "orphaned" not in listing
    assert "written outside warden" not in status.stderr

    # A second run keeps the credentials the server still accepts.
    again = json.loads(bootstrap(contract, vault_server).stdout)
    creds = next(c for c in again["access"] if c["kind"] == "credentials")
    assert creds["action"] == "unchanged"
    assert read_field(root, refs["VAULT_SECRET_ID"]["key"], refs["VAULT_SECRET_ID"]["property"]) == secret_id
    # A destroyed secret id is replaced on the next run.
    root.adapter.post(f"/v1/auth/approle/role/{project}-dev-reports/secret-id/destroy", json={"secret_id": secret_id})
    third = json.loads(bootstrap(contract, vault_server).stdout)
    assert next(c for c in third["access"] if c["kind"] == "credentials")["action"] == "update"
    fresh = read_field(root, refs["VAULT_SECRET_ID"]["key"], refs["VAULT_SECRET_ID"]["property"])
    assert fresh != secret_id
    hvac.Client(url=vault_server.address).auth.approle.login(role_id=role_id, secret_id=fresh)


def test_kubernetes_auth_operator_role_matches_the_cluster_secret_store(tmp_path: Path, vault_server: VaultServer) -> None:
    contract, project, mount = make_contract(tmp_path, "operator")
    dry = run_warden("-c", contract, "bootstrap", "--env", "dev", "--dry-run", "--format", "json", env=vault_server.env())
    assert dry.returncode == 0, dry.output
    planned = {(c["kind"], c["name"]): c["action"] for c in json.loads(dry.stdout)["access"]}
    assert planned[("auth", mount)] == "create" and planned[("kubernetes-role", f"{project}-dev-external-secrets")] == "create"
    root = vault_server.client()
    assert f"{mount}/" not in root.adapter.get("/v1/sys/auth")["data"]  # a dry run writes nothing

    bootstrap(contract, vault_server)
    config = root.adapter.get(f"/v1/auth/{mount}/config")["data"]
    assert config["kubernetes_host"] == "https://k8s.test.invalid:6443"
    assert config["kubernetes_ca_cert"].strip() == (tmp_path / "cluster-ca.pem").read_text().strip()
    store = rendered(contract, "--with-store")[0]
    auth = store["spec"]["provider"]["vault"]["auth"]["kubernetes"]
    assert store["kind"] == "ClusterSecretStore" and auth["mountPath"] == mount
    role = root.adapter.get(f"/v1/auth/{mount}/role/{auth['role']}")["data"]
    assert role["bound_service_account_names"] == [auth["serviceAccountRef"]["name"]]
    assert role["bound_service_account_namespaces"] == [auth["serviceAccountRef"]["namespace"]]
    assert role["token_ttl"] == 20 * 60 and role["token_max_ttl"] == 3600
    # The operator reads what External Secrets syncs: every ESO service's slots and the Direct-Vault
    # service's bootstrap credentials, but not that service's own slots.
    assert sorted(role["token_policies"]) == sorted([
        f"{project}-dev-api-read", f"{project}-dev-shared-read", f"{project}-dev-shop-tenant-a-read",
        f"{project}-dev-shop-tenant-b-read", f"{project}-dev-reports-bootstrap-read",
    ])
    # What a token with the role's policies may read is what the rendered ExternalSecrets fetch.
    import hvac.exceptions

    token = root.auth.token.create(policies=role["token_policies"], ttl="5m")["auth"]["client_token"]
    operator = vault_server.client(token)
    fetched = 0
    for doc in rendered(contract):
        for entry in doc["spec"]["data"]:
            try:
                operator.adapter.get(f"/v1/secret/data/{entry['remoteRef']['key']}")
                fetched += 1
            except hvac.exceptions.InvalidPath:
                pass  # a value nobody set (generate: none, optional): absent, which is not a denial
    assert fetched >= 5
    with pytest.raises(hvac.exceptions.Forbidden):
        operator.adapter.get(f"/v1/secret/data/{project}/dev/reports")

    # Re-running changes nothing.
    again = json.loads(bootstrap(contract, vault_server).stdout)
    assert [c for c in again["access"] if c["action"] != "unchanged"] == []


def test_kubernetes_auth_role_per_service_matches_each_secret_store(tmp_path: Path, vault_server: VaultServer) -> None:
    contract, project, mount = make_contract(tmp_path, "per-service")
    bootstrap(contract, vault_server)
    root = vault_server.client()
    docs = rendered(contract, "--with-store")
    stores = [d for d in docs if d["kind"] == "SecretStore"]
    external = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ExternalSecret"}
    assert external["api"]["spec"]["secretStoreRef"] == {"name": "vault-api", "kind": "SecretStore"}
    assert {s["metadata"]["name"] for s in stores} == {
        "vault-api", "vault-shared", "vault-shop-tenant-a", "vault-shop-tenant-b", "vault-reports"}
    for store in stores:
        auth = store["spec"]["provider"]["vault"]["auth"]["kubernetes"]
        role = root.adapter.get(f"/v1/auth/{mount}/role/{auth['role']}")["data"]
        assert role["bound_service_account_names"] == [auth["serviceAccountRef"]["name"]]
        assert role["bound_service_account_namespaces"] == [store["metadata"].get("namespace", "default")]
        assert len(role["token_policies"]) == 1
    api = root.adapter.get(f"/v1/auth/{mount}/role/{project}-dev-api")["data"]
    assert api["bound_service_account_namespaces"] == ["api-dev"]
    assert api["token_policies"] == [f"{project}-dev-api-read"]
    reports = root.adapter.get(f"/v1/auth/{mount}/role/{project}-dev-reports")["data"]
    assert reports["bound_service_account_namespaces"] == ["reports-dev"]
    assert reports["token_policies"] == [f"{project}-dev-reports-bootstrap-read"]


def test_a_bad_kubernetes_auth_setting_is_a_one_line_contract_error(tmp_path: Path) -> None:
    contract, _, _ = make_contract(tmp_path, "per-pod")
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "dev")
    assert r.returncode == 2 and "`roles` is `operator` or `per-service`" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_mount_openbao_refuses_to_configure_is_one_line_naming_it(tmp_path: Path, vault_server: VaultServer) -> None:
    """Outside a cluster OpenBao needs the cluster's CA: without it, a usage error naming the setting."""
    contract, _, mount = make_contract(tmp_path, "operator")
    contract.write_text(contract.read_text().replace("kubernetes_ca_cert: cluster-ca.pem, ", ""))
    r = run_warden("-c", contract, "bootstrap", "--env", "dev", env=vault_server.env())
    assert r.returncode == 2, r.output
    assert f"auth/{mount}/config" in r.stderr and "Traceback" not in r.stderr
    assert "hint: set `kubernetes_auth.kubernetes_ca_cert`" in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2


def test_a_dry_run_on_a_fresh_server_plans_every_login_and_writes_nothing(tmp_path: Path) -> None:
    """No AppRole and no Kubernetes auth method yet (a server of its own): nothing to read back, all planned."""
    from tests.vault_server import start_server

    server = start_server(tmp_path / "bao")
    try:
        contract, project, mount = make_contract(tmp_path, "per-service")
        r = run_warden("-c", contract, "bootstrap", "--env", "dev", "--dry-run", "--format", "json", env=server.env())
        assert r.returncode == 0, r.output
        planned = {(c["kind"], c["name"]): c["action"] for c in json.loads(r.stdout)["access"]}
        assert planned[("auth", "approle")] == planned[("approle", f"{project}-dev-reports")] == "create"
        assert planned[("credentials", "reports")] == "create"
        assert planned[("kubernetes-role", f"{project}-dev-api")] == "create"
        auths = server.client().adapter.get("/v1/sys/auth")["data"]
        assert "approle/" not in auths and f"{mount}/" not in auths
    finally:
        server.stop()
