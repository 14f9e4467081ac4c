"""`auth: {method: jwt}`: a CI job logs in to a real OpenBao with an OIDC identity token.

The test plays the CI platform: it makes a signing key, configures OpenBao's JWT
auth method to trust it (as one would trust GitHub's or GitLab's issuer), mints a
token with the pipeline's claims, and runs the real `warden` with it. The role's
policy must apply: reads allowed, writes refused; a token with other claims is
refused at login. The GitHub Actions source is played by a local HTTP server that
answers like the Actions token service.
"""

from __future__ import annotations

import base64
import http.server
import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

ISSUER = "https://ci.example.invalid"
AUDIENCE = "openbao-test"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(key: ec.EllipticCurvePrivateKey, claims: dict[str, Any]) -> str:
    """An ES256 JWT (RFC 7515 compact form) signed with `key`."""
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now - 5, "exp": now + 300, **claims}
    signing_input = _b64(json.dumps({"alg": "ES256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(body).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


@pytest.fixture
def jwt_setup(vault_server: VaultServer, tmp_path: Path) -> Iterator[tuple[Path, ec.EllipticCurvePrivateKey, str]]:
    """A JWT mount trusting a fresh key; role `ci` reads (only) the project's dev secrets."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    prefix = "j" + secrets.token_hex(5)
    mount = "jwt" + secrets.token_hex(3)
    client = vault_server.client()
    client.sys.enable_auth_method("jwt", path=mount)
    client.write(f"auth/{mount}/config", jwt_validation_pubkeys=[pem.decode()], bound_issuer=ISSUER)
    client.sys.create_or_update_policy(
        f"{prefix}-ci-read",
        f'path "secret/data/{prefix}/*" {{ capabilities = ["read"] }}\n'
        f'path "secret/metadata/{prefix}/*" {{ capabilities = ["read", "list"] }}\n',
    )
    client.write(
        f"auth/{mount}/role/ci",
        role_type="jwt",
        user_claim="sub",
        bound_audiences=[AUDIENCE],
        bound_claims={"repository": "acme/shop"},
        token_policies=[f"{prefix}-ci-read"],
        token_ttl="5m",
    )
    store = (
        "stores:\n  vault:\n    backend: vault\n"
        f"    options: {{path_prefix: {prefix}, retry_deadline: 3, timeout: 5,"
        f" auth: {{method: jwt, role: ci, mount: {mount}, jwt_env: WARDEN_TEST_ID_TOKEN}}}}\n"
    )
    contract = tmp_path / "ci" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    # The same project as an administrator sees it (root token), to put a value in first.
    admin = tmp_path / "admin" / "warden.yaml"
    admin.parent.mkdir()
    token_store = store.replace(f" auth: {{method: jwt, role: ci, mount: {mount}, jwt_env: WARDEN_TEST_ID_TOKEN}}", "")
    admin.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", token_store + "namespaces:\n", 1))
    yield contract, key, mount
    client.sys.disable_auth_method(mount)


def ci_env(vault_server: VaultServer, token: str | None) -> dict[str, str]:
    env = {"VAULT_ADDR": vault_server.address, "BAO_ADDR": vault_server.address, "VAULT_TOKEN": "", "BAO_TOKEN": ""}
    if token is not None:
        env["WARDEN_TEST_ID_TOKEN"] = token
    return env


def test_pipeline_token_logs_in_and_the_role_policy_applies(
    jwt_setup: tuple[Path, ec.EllipticCurvePrivateKey, str], vault_server: VaultServer
) -> None:
    contract, key, _ = jwt_setup
    value = make_canary("jwt") + "x" * 16
    admin = run_warden("-c", contract.parent.parent / "admin" / "warden.yaml", "set", "api/API_TOKEN", "--env", "dev",
                       input=value, env=vault_server.env())
    assert admin.returncode == 0, admin.output
    token = mint(key, {"sub": "repo:acme/shop:ref:refs/heads/main", "repository": "acme/shop"})
    env = ci_env(vault_server, token)
    got = run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "dev", env=env)
    assert got.returncode == 0 and got.stdout.strip() == value, got.stderr
    status = run_warden("-c", contract, "status", "--env", "dev", env=env)
    assert status.returncode in (0, 1) and "(store vault)" in status.stdout, status.output
    write = run_warden("-c", contract, "set", "api/API_TOKEN", "--env", "dev", input=value + "y", env=env)
    assert write.returncode == 3 and "permission" in write.stderr.lower(), write.output
    for result in (status, write):
        assert value not in result.output and token not in result.output


def test_a_token_for_another_repository_is_refused_at_login(
    jwt_setup: tuple[Path, ec.EllipticCurvePrivateKey, str], vault_server: VaultServer
) -> None:
    contract, key, _ = jwt_setup
    token = mint(key, {"sub": "repo:evil/fork:ref:refs/heads/main", "repository": "evil/fork"})
    result = run_warden("-c", contract, "status", "--env", "dev", env=ci_env(vault_server, token))
    assert result.returncode == 3 and "jwt login" in result.stderr, result.output
    assert token not in result.output and "Traceback" not in result.output
    forged = mint(ec.generate_private_key(ec.SECP256R1()), {"sub": "x", "repository": "acme/shop"})
    assert run_warden("-c", contract, "status", "--env", "dev", env=ci_env(vault_server, forged)).returncode == 3


def test_a_missing_token_variable_is_a_clear_error(jwt_setup: tuple[Path, ec.EllipticCurvePrivateKey, str],
                                                    vault_server: VaultServer) -> None:
    contract, _, _ = jwt_setup
    result = run_warden("-c", contract, "status", "--env", "dev", env=ci_env(vault_server, None))
    assert result.returncode == 3 and "WARDEN_TEST_ID_TOKEN" in result.stderr and "id_tokens" in result.stderr


class _ActionsTokenService(http.server.BaseHTTPRequestHandler):
    token = ""
    bearer = ""
    audiences: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        from urllib.parse import parse_qs, urlparse

        if self.headers.get("Authorization") != f"bearer {self.bearer}":
            self.send_response(401)
            self.end_headers()
            return
        self.audiences.extend(parse_qs(urlparse(self.path).query).get("audience", []))
        body = json.dumps({"count": 1, "value": self.token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_github_actions_source_asks_the_runtime_for_the_audience(
    jwt_setup: tuple[Path, ec.EllipticCurvePrivateKey, str], vault_server: VaultServer
) -> None:
    contract, key, _ = jwt_setup
    text = contract.read_text().replace("jwt_env: WARDEN_TEST_ID_TOKEN", f"jwt_source: github-actions, audience: {AUDIENCE}")
    contract.write_text(text)
    handler: type[_ActionsTokenService] = type("Service", (_ActionsTokenService,), {
        "token": mint(key, {"sub": "repo:acme/shop:environment:prod", "repository": "acme/shop"}),
        "bearer": secrets.token_hex(8),
        "audiences": [],
    })
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = ci_env(vault_server, None) | {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"http://127.0.0.1:{server.server_port}/token?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": handler.bearer,
        }
        ok = run_warden("-c", contract, "status", "--env", "dev", env=env)
        assert ok.returncode in (0, 1) and "(store vault)" in ok.stdout, ok.output
        assert handler.audiences == [AUDIENCE]
        refused = run_warden("-c", contract, "status", "--env", "dev",
                             env=env | {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong"})
        assert refused.returncode == 3 and "id-token: write" in refused.stderr, refused.output
    finally:
        server.shutdown()
