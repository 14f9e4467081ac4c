"""Contract consistency beyond the documented examples: instances and shared keys."""

from __future__ import annotations

from pathlib import Path

from secretwarden.lint.engine import run_lint
from tests.lint.conftest import make_repo

CONTRACT = """\
version: 1
project: shops
environments: {dev: {}}
instances: [acme, globex]
namespaces:
  shop: {path: /services/shop}
services:
  shop:
    namespace: shop
    per_instance: true
    secrets: {SHOP_KEY: {}}
lint:
  existing_secrets: [shop-acme-secrets, shop-globex-secrets]
"""


def _deploy(secret: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: shop\n          env:\n            - name: SHOP_KEY\n"
        f"              valueFrom: {{secretKeyRef: {{name: {secret}, key: SHOP_KEY}}}}\n"
    )


def _es(instance: str, path_instance: str) -> str:
    return (
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: shop}\nspec:\n"
        "  target: {name: shop-secrets}\n  data:\n    - secretKey: SHOP_KEY\n"
        f"      remoteRef: {{key: services/shop/{path_instance}, property: SHOP_KEY}}\n"
    )


def test_instance_reading_another_instances_secret_is_flagged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "instances/acme/deploy.yaml": _deploy("shop-globex-secrets"),
        "instances/globex/deploy.yaml": _deploy("shop-globex-secrets"),
    }, contract=CONTRACT)
    found = [(f.rule_id, f.file, f.line) for f in run_lint(repo, only=["cross-service-ref"]).active]
    assert found == [("cross-service-ref", "instances/acme/deploy.yaml", 11)]


def test_external_secret_reading_another_instances_path_is_flagged(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {
        "instances/acme/es.yaml": _es("acme", "globex"),
        "instances/globex/es.yaml": _es("globex", "globex"),
    }, contract=CONTRACT)
    result = run_lint(repo, only=["undeclared-remote-key"])
    assert [(f.file, f.line) for f in result.active] == [("instances/acme/es.yaml", 8)]
    assert "instance `globex`" in result.active[0].message


VAULT_CONTRACT = """\
version: 1
project: demo
environments: {prod: {store: vault}}
stores:
  vault: {backend: vault, options: {address: "http://127.0.0.1:8200", mount: secret}}
namespaces:
  api: {path: /services/api}
  shared: {path: /shared}
services:
  shared:
    namespace: shared
    secrets: {DATABASE_URL: {}}
  api:
    namespace: api
    secrets:
      API_TOKEN: {}
      HOOK_URL: {required: false, sensitive: false}
      DATABASE_URL: {ref: shared/DATABASE_URL}
"""


def test_rendered_external_secrets_pass_the_consistency_rules(tmp_path: Path) -> None:
    """`warden render external-secrets` and `warden lint` agree on what a correct bridge is."""
    from tests.conftest import run_warden

    repo = make_repo(tmp_path / "r", {}, contract=VAULT_CONTRACT, commit=False)
    proc = run_warden("render", "external-secrets", "--env", "prod", cwd=repo)
    assert proc.returncode == 0, proc.output
    (repo / "k8s").mkdir()
    (repo / "k8s" / "externalsecrets.yaml").write_text(proc.stdout)
    for service in ("api", "shared"):
        (repo / "k8s" / f"{service}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {service}}}\nspec:\n  template:\n"
            f"    spec:\n      containers:\n        - name: {service}\n          envFrom:\n"
            f"            - secretRef: {{name: {service}-secrets}}\n"
        )
    rules = ["unknown-secret-ref", "undeclared-remote-key", "unwired-key", "cross-service-ref"]
    assert run_lint(repo, only=rules).active == []
