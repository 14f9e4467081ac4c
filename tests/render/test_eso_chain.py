"""The External Secrets chain as a platform engineer follows it: rendered manifests pass our own lint
(per-instance services included), optional keys reach the pod without holding back required ones,
namespaces come from the contract, snippets are one YAML document per service, and the
(Cluster)SecretStore is rendered with Kubernetes auth."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jsonschema
import yaml

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.render.test_render_vault import offline, schema, unknown_fields

GITIGNORE = ".warden/\n.env\n.env.*\n!.env.example\n*.pem\n*.key\n*.p12\n*.crt\ninstances/**/secrets*\n"


def repo_with_vault(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    store = "stores:\n  vault:\n    backend: vault\n    options: {path_prefix: apps, address: 'https://openbao.example.invalid:8200'}\n"
    text = MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1)
    text = text.replace("  api:\n    namespace: api\n", "  api:\n    namespace: api\n    k8s_namespace: api-{env}\n", 1)
    (root / "warden.yaml").write_text(text)
    (root / ".gitignore").write_text(GITIGNORE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root / "warden.yaml"


def test_rendered_manifests_of_every_service_pass_lint(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    out = contract.parent / "deploy" / "dev"
    rendered = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--out", out, env=offline())
    assert rendered.returncode == 0, rendered.output
    for path in sorted(out.glob("*.externalsecret.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            jsonschema.validate(doc, schema("v1"))
            assert unknown_fields(doc, schema("v1")) == []
    lint = run_warden("lint", "--format", "json", cwd=contract.parent)
    errors = [f for f in _findings(lint.stdout) if f["severity"] == "error"]
    assert errors == [], errors


def _findings(text: str) -> list[dict[str, str]]:
    import json

    data = json.loads(text)
    return list(data["findings"] if isinstance(data, dict) else data)


def test_optional_keys_have_their_own_secret_and_the_pod_references_it(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--service", "api", env=offline())
    docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(r.stdout)}
    main, hook = docs["api"], docs["api-secrets-optional-hook"]
    assert "OPTIONAL_HOOK" not in {e["secretKey"] for e in main["spec"]["data"]}
    assert [e["secretKey"] for e in hook["spec"]["data"]] == ["OPTIONAL_HOOK"]
    assert hook["spec"]["target"]["name"] == "api-secrets-optional-hook"
    assert main["metadata"]["namespace"] == hook["metadata"]["namespace"] == "api-dev"
    snippet = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--service", "api",
                         "--snippets", env=offline())
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in yaml.safe_load(snippet.stdout)["env"]}
    assert env["OPTIONAL_HOOK"] == {"name": "api-secrets-optional-hook", "key": "OPTIONAL_HOOK", "optional": True}
    assert env["API_TOKEN"] == {"name": "api-secrets", "key": "API_TOKEN"}


def test_snippets_are_one_document_per_service(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "prod", "--snippets", env=offline())
    assert r.returncode == 0, r.output
    docs = list(yaml.safe_load_all(r.stdout))
    assert len(docs) == 4 and all(list(d) == ["env"] for d in docs)  # no duplicate `env:` keys in one document


def test_store_is_rendered_with_kubernetes_auth(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--with-store", env=offline())
    assert r.returncode == 0, r.output
    docs = list(yaml.safe_load_all(r.stdout))
    store = docs[0]
    assert store["kind"] == "ClusterSecretStore" and store["metadata"]["name"] == "vault"
    vault = store["spec"]["provider"]["vault"]
    assert vault["server"] == "https://openbao.example.invalid:8200" and vault["path"] == "secret"
    assert vault["version"] == "v2"
    # The role `warden bootstrap` writes for the operator (`kubernetes_auth` defaults): project, env, operator.
    assert vault["auth"]["kubernetes"]["role"] == "demo-dev-external-secrets"
    assert vault["auth"]["kubernetes"]["serviceAccountRef"]["name"] == "external-secrets"
    namespaced = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--with-store",
                            "--store-kind", "SecretStore", "--service", "api", env=offline())
    docs = list(yaml.safe_load_all(namespaced.stdout))
    store, external = docs[0], docs[1]
    assert store["kind"] == "SecretStore" and store["metadata"]["namespace"] == "api-dev"
    # One SecretStore per service, logging in with that service's own role: it reads only its paths.
    assert store["metadata"]["name"] == "vault-api" == external["spec"]["secretStoreRef"]["name"]
    assert external["spec"]["secretStoreRef"]["kind"] == "SecretStore"
    assert store["spec"]["provider"]["vault"]["auth"]["kubernetes"]["role"] == "demo-dev-api"
    assert store["spec"]["provider"]["vault"]["auth"]["kubernetes"]["serviceAccountRef"] == {"name": "api"}


def test_store_follows_the_kubernetes_auth_setting(tmp_path: Path) -> None:
    """The names bootstrap writes into OpenBao (`kubernetes_auth`) are the names the rendered store uses."""
    contract = repo_with_vault(tmp_path)
    setting = ("kubernetes_auth: {mount: 'k8s-{env}', operator: {role: 'eso-{env}', service_account: eso, "
               "namespace: eso-system}}, ")
    contract.write_text(contract.read_text().replace("options: {path_prefix: apps, ", "options: {" + setting + "path_prefix: apps, "))
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "prod", "--with-store", env=offline())
    assert r.returncode == 0, r.output
    auth = next(yaml.safe_load_all(r.stdout))["spec"]["provider"]["vault"]["auth"]["kubernetes"]
    assert auth == {"mountPath": "k8s-prod", "role": "eso-prod",
                    "serviceAccountRef": {"name": "eso", "namespace": "eso-system"}}
    per_service = contract.read_text().replace("operator: {role: 'eso-{env}', service_account: eso, namespace: eso-system}",
                                              "roles: per-service")
    contract.write_text(per_service)
    r = run_warden("-c", contract, "render", "external-secrets", "--env", "dev", "--with-store", "--service", "api",
                   env=offline())
    store, external = list(yaml.safe_load_all(r.stdout))[:2]
    assert store["kind"] == "SecretStore" and external["spec"]["secretStoreRef"] == {"name": "vault-api",
                                                                                    "kind": "SecretStore"}
    assert store["spec"]["provider"]["vault"]["auth"]["kubernetes"]["mountPath"] == "k8s-dev"
    contract.write_text(per_service.replace("roles: per-service", "roles: per-pod"))
    bad = run_warden("-c", contract, "validate")
    assert bad.returncode == 2 and "`roles` is `operator` or `per-service`" in bad.stderr
