"""`warden render helm-values`: chart values that name exactly the Secrets `render external-secrets`
makes, checked end to end by `warden lint` (a values file naming another Secret is a finding)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.render.test_eso_chain import repo_with_vault
from tests.render.test_render_vault import offline

CHART = "apiVersion: v2\nname: api\nversion: 0.1.0\n"
CHART_VALUES = 'existingSecret: ""\nenvFrom: []\n'
# A chart as charts are written: it mounts `existingSecret` when set and passes `envFrom` through.
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app.kubernetes.io/name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: example.invalid/api:1
          {{- with .Values.envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- if .Values.existingSecret }}
          volumeMounts:
            - {name: secrets, mountPath: /run/secrets/app, readOnly: true}
          {{- end }}
      {{- if .Values.existingSecret }}
      volumes:
        - name: secrets
          secret: {secretName: {{ .Values.existingSecret | quote }}}
      {{- end }}
"""


def _repo(tmp_path: Path) -> Path:
    contract = repo_with_vault(tmp_path)
    chart = contract.parent / "charts" / "api"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART)
    (chart / "values.yaml").write_text(CHART_VALUES)
    (chart / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    return contract


def _render(contract: Path, *args: str | Path) -> str:
    r = run_warden("-c", contract, "render", *args, env=offline())
    assert r.returncode == 0, r.output
    return r.stdout


def _lint_errors(root: Path) -> list[dict[str, Any]]:
    lint = run_warden("lint", "--format", "json", cwd=root)
    data = json.loads(lint.stdout)
    findings = data["findings"] if isinstance(data, dict) else data
    return [f for f in findings if f["severity"] == "error"]


def test_values_and_external_secrets_agree_and_lint_is_clean(tmp_path: Path) -> None:
    contract = _repo(tmp_path)
    out = contract.parent / "deploy" / "dev"
    _render(contract, "external-secrets", "--env", "dev", "--out", out)
    # Without values the chart's templated envFrom brings nothing: the required keys are unwired.
    assert {f["rule_id"] for f in _lint_errors(contract.parent)} == {"unwired-key"}
    _render(contract, "helm-values", "--env", "dev", "--out", out)
    values = yaml.safe_load((out / "api.values.yaml").read_text())
    produced = {
        doc["spec"]["target"]["name"]
        for path in out.glob("*.externalsecret.yaml")
        for doc in yaml.safe_load_all(path.read_text())
    }
    named = {values["existingSecret"]} | {ref["secretRef"]["name"] for ref in values["envFrom"]}
    assert named == {"api-secrets", "api-secrets-optional-hook"}
    files = sorted(p.name for p in out.glob("*.values.yaml"))
    assert files == ["api.values.yaml", "shared.values.yaml", "shop-tenant-a.values.yaml", "shop-tenant-b.values.yaml"]
    for name in files:  # every Secret any values file names is one an ExternalSecret fills
        doc = yaml.safe_load((out / name).read_text())
        assert {doc["existingSecret"]} | {ref["secretRef"]["name"] for ref in doc["envFrom"]} <= produced
    assert _lint_errors(contract.parent) == []


def test_a_values_file_naming_another_secret_is_a_finding_that_names_the_right_one(tmp_path: Path) -> None:
    contract = _repo(tmp_path)
    out = contract.parent / "deploy" / "dev"
    _render(contract, "external-secrets", "--env", "dev", "--out", out)
    _render(contract, "helm-values", "--env", "dev", "--service", "api", "--out", out)
    wrong = out / "api.values.yaml"
    wrong.write_text(wrong.read_text().replace("existingSecret: api-secrets", "existingSecret: api-credentials"))
    line = wrong.read_text().splitlines().index("existingSecret: api-credentials") + 1
    errors = _lint_errors(contract.parent)
    assert [(f["rule_id"], f["file"], f["line"]) for f in errors] == [
        ("helm-values-unknown-secret", "deploy/dev/api.values.yaml", line)
    ]
    assert "`api-credentials`" in errors[0]["message"] and "`api-secrets`" in errors[0]["message"]
    assert "`api-secrets`" in errors[0]["fix"]
    lint = run_warden("lint", cwd=contract.parent)
    assert lint.returncode == 1 and "helm-values-unknown-secret" in lint.output


def test_one_document_per_service_instance_with_optional_refs(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    docs = list(yaml.safe_load_all(_render(contract, "helm-values", "--env", "prod")))
    assert [d["existingSecret"] for d in docs] == [
        "shared-secrets", "api-secrets", "shop-tenant-a-secrets", "shop-tenant-b-secrets"
    ]
    assert docs[1]["envFrom"] == [
        {"secretRef": {"name": "api-secrets"}},
        {"secretRef": {"name": "api-secrets-optional-hook", "optional": True}},
    ]
    again = _render(contract, "helm-values", "--env", "prod")
    assert again == _render(contract, "helm-values", "--env", "prod")  # deterministic
    only = _render(contract, "helm-values", "--env", "prod", "--service", "api", "--include-optional")
    assert yaml.safe_load(only)["envFrom"] == [{"secretRef": {"name": "api-secrets"}}]
    assert "namespace `api-prod`" in only and "charts differ" in only
    written = contract.parent / "values"
    _render(contract, "helm-values", "--env", "prod", "--service", "shop", "--out", written)
    assert sorted(p.name for p in written.iterdir()) == ["shop-tenant-a.values.yaml", "shop-tenant-b.values.yaml"]


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    for args, word in ((("--env", "nope"), "environment"), (("--env", "dev", "--service", "apx"), "service")):
        r = run_warden("-c", contract, "render", "helm-values", *args, env=offline())
        assert r.returncode == 2 and word in r.stderr and "Traceback" not in r.output
    assert run_warden("-c", contract, "render", "helm-values", env=offline()).returncode == 2  # --env is required


def test_no_secret_value_reaches_the_output(project: Path) -> None:
    canary = make_canary("helm")
    assert project.read_text() == MINIMAL_CONTRACT
    assert run_warden("-c", project, "set", "api/API_TOKEN", "--env", "dev", "--allow-invalid",
                      input=canary).returncode == 0
    r = run_warden("-c", project, "render", "helm-values", "--env", "dev")
    assert r.returncode == 0 and canary not in r.output


def test_an_instance_values_file_naming_another_instances_secret_is_a_finding(tmp_path: Path) -> None:
    contract = repo_with_vault(tmp_path)
    out = contract.parent / "deploy" / "dev"
    _render(contract, "external-secrets", "--env", "dev", "--service", "shop", "--out", out)
    _render(contract, "helm-values", "--env", "dev", "--service", "shop", "--out", out)
    assert _lint_errors(contract.parent) == []
    mine = out / "shop-tenant-a.values.yaml"
    mine.write_text(mine.read_text().replace("name: shop-tenant-a-secrets", "name: shop-tenant-b-secrets"))
    errors = _lint_errors(contract.parent)
    assert [(f["rule_id"], f["file"]) for f in errors] == [
        ("helm-values-cross-service", "deploy/dev/shop-tenant-a.values.yaml")
    ]
    assert "another instance" in errors[0]["message"]


NESTED_DEPLOYMENT = DEPLOYMENT.replace(".Values.envFrom", ".Values.extraEnvFrom").replace(
    ".Values.existingSecret", ".Values.auth.existingSecret"
)


def test_nested_values_keys_render_and_lint_clean(tmp_path: Path) -> None:
    contract = _repo(tmp_path)
    chart = contract.parent / "charts" / "api"
    (chart / "values.yaml").write_text('auth:\n  existingSecret: ""\nextraEnvFrom: []\n')
    (chart / "templates" / "deployment.yaml").write_text(NESTED_DEPLOYMENT)
    out = contract.parent / "deploy" / "dev"
    _render(contract, "external-secrets", "--env", "dev", "--out", out)
    _render(contract, "helm-values", "--env", "dev", "--out", out,
            "--existing-secret-key", "auth.existingSecret", "--env-from-key", "extraEnvFrom")
    values = yaml.safe_load((out / "api.values.yaml").read_text())
    assert values["auth"] == {"existingSecret": "api-secrets"} and "existingSecret" not in values
    assert {ref["secretRef"]["name"] for ref in values["extraEnvFrom"]} == {"api-secrets", "api-secrets-optional-hook"}
    assert _lint_errors(contract.parent) == []  # lint reads the nested keys it was rendered with
    # a subchart's key, two levels down
    text = _render(contract, "helm-values", "--env", "dev", "--service", "api",
                   "--existing-secret-key", "postgresql.auth.existingSecret")
    assert yaml.safe_load(text.split("---\n", 1)[1])["postgresql"]["auth"]["existingSecret"] == "api-secrets"
    # a key lint would not read, or keys that overwrite each other, are usage errors
    for args in (("--existing-secret-key", "auth.secretName"), ("--env-from-key", "existingSecret.x"),
                 ("--existing-secret-key", "auth..existingSecret")):
        r = run_warden("-c", contract, "render", "helm-values", "--env", "dev", *args, env=offline())
        assert r.returncode == 2 and "Traceback" not in r.output and len(r.stderr.strip().splitlines()) <= 2, r.output
