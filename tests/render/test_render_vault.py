"""`warden render external-secrets | vault-policy | env-example` against the published ESO CRD schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

SCHEMAS = Path(__file__).parent / "schemas" / "external-secrets"


def contract_with_vault(tmp_path: Path, layout: str = "per-namespace") -> Path:
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: apps, layout: {layout}}}\n"
    path = tmp_path / "warden.yaml"
    path.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    return path


def offline(**extra: str) -> dict[str, str]:
    # Rendering never talks to the server: no address, no token.
    return {"VAULT_ADDR": "", "BAO_ADDR": "", "VAULT_TOKEN": "", "BAO_TOKEN": "", **extra}


def schema(version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"externalsecret.{version}.schema.json").read_text())
    return loaded


def unknown_fields(doc: Any, sch: dict[str, Any], where: str = "") -> list[str]:
    """Fields the CRD does not declare: Kubernetes would prune them silently, so they must not exist."""
    out: list[str] = []
    if isinstance(doc, dict):
        props = sch.get("properties")
        if props is None:
            return out  # free-form object (e.g. metadata, labels)
        for key, value in doc.items():
            if key not in props:
                out.append(f"{where}.{key}")
            else:
                out += unknown_fields(value, props[key], f"{where}.{key}")
    elif isinstance(doc, list) and "items" in sch:
        for i, item in enumerate(doc):
            out += unknown_fields(item, sch["items"], f"{where}[{i}]")
    return out


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
@pytest.mark.parametrize("layout", ["per-namespace", "per-key"])
def test_external_secrets_validate_against_the_crd_schema(tmp_path: Path, version: str, layout: str) -> None:
    contract = contract_with_vault(tmp_path, layout)
    r = run_warden("--contract", contract, "render", "external-secrets", "--env", "dev", "--api-version", version, env=offline())
    assert r.returncode == 0, r.output
    docs = list(yaml.safe_load_all(r.stdout))
    # One per service (instance), and one per optional key: a missing optional key cannot stop the others.
    assert {d["metadata"]["name"] for d in docs} == {"api", "shared", "shop-tenant-a", "shop-tenant-b",
                                                     "api-secrets-optional-hook"}
    for doc in docs:
        jsonschema.validate(doc, schema(version))
        assert unknown_fields(doc, schema(version)) == []
        assert doc["apiVersion"] == f"external-secrets.io/{version}"
        spec = doc["spec"]
        assert spec["secretStoreRef"] == {"name": "vault", "kind": "ClusterSecretStore"}
        assert spec["target"]["creationPolicy"] == "Owner" and spec["refreshInterval"] == "1h"
    api = next(d for d in docs if d["metadata"]["name"] == "api")
    refs = {e["secretKey"]: e["remoteRef"] for e in api["spec"]["data"]}
    assert "OPTIONAL_HOOK" not in refs  # optional: in its own ExternalSecret (ESO fails a sync with a key missing)
    if layout == "per-namespace":
        assert refs["API_TOKEN"] == {"key": "apps/dev/api", "property": "API_TOKEN"}
        assert refs["DATABASE_URL"] == {"key": "apps/dev/shared", "property": "DATABASE_URL"}
    else:
        assert refs["API_TOKEN"] == {"key": "apps/dev/api/API_TOKEN", "property": "API_TOKEN"}
    shop = next(d for d in docs if d["metadata"]["name"] == "shop-tenant-a")
    assert shop["spec"]["data"][0]["remoteRef"]["key"].startswith("apps/dev/@tenant-a/shop")
    assert shop["spec"]["target"]["name"] == "shop-tenant-a-secrets"


def test_snippets_out_folder_and_options(tmp_path: Path) -> None:
    contract = contract_with_vault(tmp_path)
    out = tmp_path / "k8s"
    r = run_warden(
        "--contract", contract, "render", "external-secrets", "--env", "dev", "--store-ref", "vault-backend",
        "--store-kind", "SecretStore", "--include-optional", "--k8s-namespace", "shop", "--out", out, env=offline(),
    )
    assert r.returncode == 0, r.output
    es = yaml.safe_load((out / "api.externalsecret.yaml").read_text())
    jsonschema.validate(es, schema("v1"))
    assert es["spec"]["secretStoreRef"] == {"name": "vault-backend", "kind": "SecretStore"}
    assert es["metadata"]["namespace"] == "shop"
    assert "OPTIONAL_HOOK" in {e["secretKey"] for e in es["spec"]["data"]}
    env = yaml.safe_load((out / "api.env.yaml").read_text())["env"]
    by_name = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in env}
    assert by_name["API_TOKEN"] == {"name": "api-secrets", "key": "API_TOKEN"}
    assert by_name["OPTIONAL_HOOK"]["optional"] is True
    r = run_warden("--contract", contract, "render", "external-secrets", "--env", "dev", "--snippets", env=offline())
    assert "secretKeyRef" in r.stdout and "ExternalSecret" not in r.stdout


def test_embedded_store_has_nothing_to_render(project: Path) -> None:
    r = run_warden("--contract", project, "render", "external-secrets", "--env", "dev")
    assert r.returncode == 2 and "External Secrets cannot read" in r.stderr
    r = run_warden("--contract", project, "render", "vault-policy", "--env", "dev")
    assert r.returncode == 2 and "no access policies" in r.stderr


def test_vault_policy_offline(tmp_path: Path) -> None:
    contract = contract_with_vault(tmp_path)
    r = run_warden("--contract", contract, "render", "vault-policy", "--env", "dev", env=offline())
    assert r.returncode == 0, r.output
    text = r.stdout
    assert "# ---- policy: demo-dev-api-read" in text
    assert 'path "secret/data/apps/dev/api" {' in text and 'path "secret/data/apps/dev/api/*" {' in text
    assert 'path "secret/data/apps/dev/shared" {' in text  # the referenced shared key
    assert "demo-dev-shop-tenant-a-read" in text and "apps/dev/@tenant-a/shop" in text
    status = text.split("# ---- policy: demo-dev-status")[1]
    assert "secret/data" not in status  # the reporter policy grants metadata only
    r = run_warden("--contract", contract, "render", "vault-policy", "--env", "dev", "--out", tmp_path / "hcl", env=offline())
    assert (tmp_path / "hcl" / "demo-dev-api-admin.hcl").exists()


def test_env_example(tmp_path: Path) -> None:
    contract = contract_with_vault(tmp_path)
    r = run_warden("--contract", contract, "render", "env-example", "--service", "api", env=offline())
    assert r.returncode == 0, r.output
    lines = r.stdout.splitlines()
    assert "API_TOKEN=__SET_API_TOKEN__" in lines
    assert "TOKEN_TTL=15m" in lines  # a non-sensitive literal fixture is shown
    assert any(line.startswith("# ") and "optional" in line for line in lines)
    assert any("shared from shared/DATABASE_URL" in line and "format: database-url" in line for line in lines)
    r = run_warden("--contract", contract, "render", "env-example", "--out", tmp_path / "ex", env=offline())
    assert (tmp_path / "ex" / "shop.env.example").read_text().startswith("# .env.example for `shop`")


@pytest.mark.vault
def test_rendered_policy_is_what_bootstrap_applies_and_no_value_leaks(tmp_path: Path, vault_server: Any) -> None:
    import secrets

    prefix = "r" + secrets.token_hex(5)
    contract = tmp_path / "warden.yaml"
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: {prefix}}}\n"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1).replace("project: demo", f"project: {prefix}"))
    env = vault_server.env()
    canary = make_canary()
    assert run_warden("--contract", contract, "set", "api/API_TOKEN", "--env", "dev", input=canary, env=env).returncode == 0
    assert run_warden("--contract", contract, "bootstrap", "--env", "dev", env=env).returncode == 0
    r = run_warden("--contract", contract, "render", "vault-policy", "--env", "dev", "--out", tmp_path / "p", env=env)
    applied = vault_server.client().sys.read_acl_policy(f"{prefix}-dev-api-read")["data"]["policy"]
    assert applied.strip() == (tmp_path / "p" / f"{prefix}-dev-api-read.hcl").read_text().strip()
    for args in (("render", "external-secrets", "--env", "dev"), ("render", "env-example"), ("render", "vault-policy", "--env", "dev"), ("render", "bootstrap-job", "--env", "dev")):
        r = run_warden("--contract", contract, *args, env=env)
        assert r.returncode == 0 and canary not in r.output
