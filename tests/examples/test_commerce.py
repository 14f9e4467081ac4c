"""The commerce example shows the whole Kubernetes chain out of the box, offline: every environment is
rendered (ExternalSecrets with their store, chart values, Vault policies, the bootstrap job), every
rendered object validates against the real schemas, and `warden lint` finds nothing in the result.
Dev stays on the embedded store (the README's demo needs nothing but Python), so the Vault renders
refuse it with a one-line error."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.conftest import EXAMPLE, run_warden
from tests.render.test_bootstrap_job import K8S_VERSION
from tests.render.test_eso_chain import GITIGNORE
from tests.render.test_render_vault import offline, schema, unknown_fields

VAULT_ENVS = ("staging", "prod")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository holding the example and everything rendered from it, per environment."""
    root = tmp_path_factory.mktemp("commerce") / "repo"
    root.mkdir()
    (root / "warden.yaml").write_text(EXAMPLE.read_text())
    (root / ".gitignore").write_text(GITIGNORE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for env in VAULT_ENVS:
        out = root / "deploy" / env
        for args in (("external-secrets", "--with-store", "--out", out), ("helm-values", "--out", out / "values"),
                     ("vault-policy", "--out", out / "policies")):
            r = run_warden("-c", root / "warden.yaml", "render", args[0], "--env", env, *args[1:], env=offline())
            assert r.returncode == 0, r.output
    r = run_warden("-c", root / "warden.yaml", "render", "helm-values", "--env", "dev", "--out",
                   root / "deploy" / "dev" / "values", env=offline())
    assert r.returncode == 0, r.output
    job = run_warden("-c", root / "warden.yaml", "render", "bootstrap-job", "--env", "staging", env=offline())
    assert job.returncode == 0, job.output
    (root / "deploy" / "staging" / "bootstrap-job.yaml").write_text(job.stdout)
    return root


def docs(folder: Path, pattern: str) -> list[dict[str, Any]]:
    return [d for path in sorted(folder.glob(pattern)) for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("env", VAULT_ENVS)
def test_every_external_secret_validates_against_the_crd(rendered: Path, env: str) -> None:
    found = docs(rendered / "deploy" / env, "*.externalsecret.yaml")
    assert len(found) > 12
    for doc in found:
        jsonschema.validate(doc, schema("v1"))
        assert unknown_fields(doc, schema("v1")) == []
        assert doc["metadata"]["namespace"] == f"commerce-{env}"
        assert doc["spec"]["secretStoreRef"] == {"name": "openbao", "kind": "ClusterSecretStore"}
    # The Direct-Vault service gets only its AppRole credentials, from where bootstrap keeps them.
    (bootstrap,) = [d for d in found if d["metadata"]["name"] == "reporting-bootstrap"]
    assert {e["secretKey"] for e in bootstrap["spec"]["data"]} == {"VAULT_ROLE_ID", "VAULT_SECRET_ID"}
    assert all("reporting-bootstrap" in e["remoteRef"]["key"] for e in bootstrap["spec"]["data"])
    assert not [d for d in found if d["spec"]["target"]["name"] == "reporting-secrets"]
    (store,) = docs(rendered / "deploy" / env, "clustersecretstore.yaml")
    auth = store["spec"]["provider"]["vault"]["auth"]["kubernetes"]
    assert auth["role"] == f"commerce-{env}-external-secrets" and auth["mountPath"] == "kubernetes"
    assert store["spec"]["provider"]["vault"]["server"] == "https://openbao.commerce.invalid:8200"


@pytest.mark.parametrize("env", VAULT_ENVS)
def test_env_snippets_are_valid_container_env(rendered: Path, env: str) -> None:
    """Each snippet is pasted under a container: as such, it validates against the core Pod schema."""
    for snippet in docs(rendered / "deploy" / env, "*.env.yaml"):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app"},
               "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1", "env": snippet["env"]}]}}
        kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


def test_bootstrap_job_validates_and_production_is_refused(rendered: Path) -> None:
    for doc in docs(rendered / "deploy" / "staging", "bootstrap-job.yaml"):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    prod = run_warden("-c", rendered / "warden.yaml", "render", "bootstrap-job", "--env", "prod", env=offline())
    assert prod.returncode == 2 and "production" in prod.stderr


def test_dev_stays_on_the_embedded_store(rendered: Path) -> None:
    for what in ("external-secrets", "vault-policy"):
        r = run_warden("-c", rendered / "warden.yaml", "render", what, "--env", "dev", env=offline())
        assert r.returncode == 2, r.output
        assert len(r.stderr.strip().splitlines()) <= 2 and "Traceback" not in r.stderr  # message + hint
    assert sorted(p.name for p in (rendered / "deploy" / "dev" / "values").iterdir())


def test_chart_values_name_the_rendered_secrets(rendered: Path) -> None:
    values = yaml.safe_load((rendered / "deploy" / "prod" / "values" / "reporting.values.yaml").read_text())
    assert values == {"existingSecret": "reporting-bootstrap", "envFrom": [{"secretRef": {"name": "reporting-bootstrap"}}]}
    payment = yaml.safe_load((rendered / "deploy" / "prod" / "values" / "payment.values.yaml").read_text())
    assert payment["existingSecret"] == "payment-secrets"


def test_lint_finds_nothing_in_what_was_rendered(rendered: Path) -> None:
    r = run_warden("lint", "--format", "json", "--fail-on", "info", cwd=rendered)
    data = json.loads(r.stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    # The example ships no service code, so it has no service READMEs to hold a secrets section.
    rest = [f for f in findings if not (_rule(f) == "secrets-doc" and "has no README" in f.get("message", ""))]
    assert rest == [], rest
    linted = {str(f) for f in rendered.glob("deploy/*/*.yaml")}
    assert len(linted) > 40


def _rule(finding: dict[str, Any]) -> str:
    return str(finding.get("rule") or finding.get("rule_id"))
