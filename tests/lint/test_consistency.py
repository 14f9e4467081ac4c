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
