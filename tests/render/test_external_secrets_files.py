"""The files `render external-secrets --out` writes: names and the env snippet's text."""

from __future__ import annotations

import yaml

from secretwarden.render.external_secrets import (
    ServiceManifests,
    env_snippet,
    service_files,
    store_files,
)


def _manifests(name: str) -> ServiceManifests:
    es = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": name}}
    env = [{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": "API_TOKEN"}}}]
    return ServiceManifests(service="api", instance=None, name=name, external_secret=es, env=env)


def test_two_files_per_service_and_the_snippet_parses() -> None:
    files = service_files([_manifests("api"), _manifests("shop-tenant-a")])
    assert list(files) == ["api.externalsecret.yaml", "api.env.yaml",
                           "shop-tenant-a.externalsecret.yaml", "shop-tenant-a.env.yaml"]
    assert files["api.env.yaml"].startswith("# container env of `api`: paste under the container spec\n")
    assert yaml.safe_load(files["api.env.yaml"]) == {"env": _manifests("api").env}
    assert yaml.safe_load(env_snippet(_manifests("api"))) == {"env": _manifests("api").env}
    assert yaml.safe_load(files["api.externalsecret.yaml"])["kind"] == "ExternalSecret"


def test_store_file_is_named_after_the_kind() -> None:
    cluster = [{"kind": "ClusterSecretStore", "metadata": {"name": "local"}}]
    per_service = [{"kind": "SecretStore", "metadata": {"name": "api"}}, {"kind": "SecretStore", "metadata": {"name": "b"}}]
    assert list(store_files(cluster)) == ["clustersecretstore.yaml"]
    assert list(store_files(per_service)) == ["secretstores.yaml"]
    assert len(list(yaml.safe_load_all(store_files(per_service)["secretstores.yaml"]))) == 2
