"""`warden render bootstrap-job`: the objects validate against the Kubernetes core schemas
(`kubernetes-validate`, strict: no unknown field), the pod is locked down, and production is refused."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.conftest import MINIMAL_CONTRACT, run_warden

K8S_VERSION = "1.30.0"


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    store = "stores:\n  vault:\n    backend: vault\n    options: {path_prefix: apps, address: 'https://openbao.dev.invalid:8200', auth: {method: kubernetes, role: warden-bootstrap}}\n"
    path = tmp_path / "warden.yaml"
    path.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    return path


@pytest.mark.parametrize("once", [False, True])
def test_objects_validate_strictly_against_the_kubernetes_schema(contract: Path, once: bool) -> None:
    args = ["--once"] if once else []
    r = run_warden("-c", contract, "render", "bootstrap-job", "--env", "dev", *args)
    assert r.returncode == 0, r.output
    docs = list(yaml.safe_load_all(r.stdout))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "ConfigMap", "Job" if once else "CronJob"]
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    job = docs[2]
    spec = job["spec"] if once else job["spec"]["jobTemplate"]["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    sec = container["securityContext"]
    assert sec["runAsNonRoot"] and sec["readOnlyRootFilesystem"] and not sec["allowPrivilegeEscalation"]
    assert sec["capabilities"]["drop"] == ["ALL"]
    assert pod["serviceAccountName"] == docs[0]["metadata"]["name"] == "warden-bootstrap"
    assert "bootstrap --env" in container["args"][0]
    assert {e["name"]: e["value"] for e in container["env"]}["BAO_ADDR"] == "https://openbao.dev.invalid:8200"
    assert docs[1]["data"]["warden.yaml"] == contract.read_text()
    if not once:
        assert job["spec"]["concurrencyPolicy"] == "Forbid"


def test_production_and_non_vault_environments_are_refused(contract: Path, tmp_path: Path) -> None:
    prod = run_warden("-c", contract, "render", "bootstrap-job", "--env", "prod")
    assert prod.returncode == 2 and "production" in prod.stderr
    embedded = tmp_path / "e" / "warden.yaml"
    embedded.parent.mkdir()
    embedded.write_text(MINIMAL_CONTRACT)
    other = run_warden("-c", embedded, "render", "bootstrap-job", "--env", "dev")
    assert other.returncode == 2 and "vault" in other.stderr
