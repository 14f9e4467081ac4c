"""Shapes real repositories have and rule examples do not: template masking, staged
linting in a real git repository, findings without a file, rules without a contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.helm_template import PLACEHOLDER, is_documentation, mask
from secretwarden.lint.engine import run_lint
from secretwarden.lint.rules.ignore_patterns import NO_INSTANCES
from secretwarden.lint.yamlpos import parse_yaml, scalar
from tests.conftest import run_warden
from tests.lint.conftest import git, make_repo, materialise

# Template lines that broke the parse when actions were blanked with spaces.
PARSES = [
    "metadata:\n  labels:\n    chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n",
    "image: {{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}\n",
    "name: {{ .Release.Name }}-{{ .Values.suffix }}\n",
    "spec:\n  {{- if .Values.enabled }}\n  replicas: 1\n  {{- else }}\n  replicas: 0\n  {{- end }}\n",
    "metadata:\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n    app: x\n",
    "args:\n  - --url={{ .Values.host }}:{{ .Values.port }}\n  - {{ .Values.flag | quote }}\n",
    "data:\n{{ toYaml .Values.data | indent 2 }}\nkind: ConfigMap\n",
    "env:\n  {{- range $k, $v := .Values.env }}\n  - name: {{ $k }}\n    value: {{ $v | quote }}\n  {{- end }}\n",
    "{{ .Values.key }}: {{ .Values.value }}\n",
    "annotations: {checksum: {{ include (print $.Template.BasePath \"/cm.yaml\") . | sha256sum }}}\n",
    "x: {{ include \"a\" (dict\n  \"b\" 1) }}\ny: 2\n",
    "{%- if x %}\nname: {{ y }}\n{%- endif %}\n",
    "metadata:\n  labels: {{- include \"x.labels\" . | nindent 4 }}\n    app.kubernetes.io/part-of: x\n",
    "spec:\n  initContainers: {{- if .Values.i -}}{{- toYaml .Values.i | nindent 4 }}{{- end -}}\n    - name: a\n",
    "data:\n  a: {{ .Values.a }}  # a comment\n  {{- end }}  # closes the if\n  b: c\n",
]


@pytest.mark.parametrize("text", PARSES)
def test_masked_templates_parse(text: str) -> None:
    masked = mask(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n")
    parsed = parse_yaml(text)
    assert parsed.problem is None and parsed.unparsed_templates == 0 and parsed.documents


def test_a_templated_scalar_is_no_known_value() -> None:
    doc = parse_yaml("a: {{ .Values.a }}-{{ .Values.b }}\nb: plain\n").documents[0]
    (_, a), (_, b) = doc.value
    assert PLACEHOLDER in a.value and scalar(a) is None and scalar(b) == "plain"


def test_one_broken_document_does_not_hide_the_others() -> None:
    text = "kind: ConfigMap\n---\nkind: Secret\ndata: {{ if }}: - :\n  - x\n---\nkind: Deployment\n"
    parsed = parse_yaml(text)
    kinds = [scalar(d.value[0][1]) for d in parsed.documents]
    assert kinds == ["ConfigMap", "Deployment"] and parsed.problem is None and parsed.unparsed_templates == 1


@pytest.mark.parametrize(("text", "docs"), [("{% raw %}\n{{ x }}\n{% endraw %}\n", True),
                                           ("{%- raw -%}a{%- endraw -%}", True),
                                           ("a: {{ x }}\n", False), ("{% if a %}\nb: 1\n{% endif %}\n", False)])
def test_documentation_markup(text: str, docs: bool) -> None:
    assert is_documentation(text) is docs


def test_staged_lints_only_staged_files(tmp_path: Path) -> None:
    literal = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  DB_PASSWORD: literal-example-pw\n"
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n"})
    for name in ("staged", "unstaged", "committed"):
        (repo / "k8s").mkdir(exist_ok=True)
        (repo / "k8s" / f"{name}.yaml").write_text(literal)
    git(repo, "add", "k8s/committed.yaml")
    git(repo, "commit", "-q", "-m", "c")
    git(repo, "add", "k8s/staged.yaml")
    result = run_lint(repo, staged=True)
    assert {f.file for f in result.active} == {"k8s/staged.yaml"}
    assert "required-ignore" not in result.rules
    full = run_lint(repo)
    assert {f.file for f in full.active if f.rule_id == "inline-k8s-secret"} == {
        "k8s/committed.yaml", "k8s/staged.yaml", "k8s/unstaged.yaml"}
    proc = run_warden("lint", "--staged", ".", cwd=repo)
    assert proc.returncode == 1 and "k8s/staged.yaml" in proc.stdout and "unstaged" not in proc.stdout
    assert "literal-example-pw" not in proc.stdout + proc.stderr


def test_staged_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_warden("lint", "--staged", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_no_instances_folder_no_instance_patterns(tmp_path: Path) -> None:
    repo = materialise(tmp_path / "repo", NO_INSTANCES)
    assert run_lint(repo, only=["required-ignore"]).active == []


def test_missing_readme_points_at_the_contract(tmp_path: Path) -> None:
    contract = ("version: 1\nproject: p\nenvironments: {dev: {}}\nnamespaces:\n  api: {path: /services/api}\n"
                "services:\n  api:\n    namespace: api\n    source: api\n    secrets: {API_TOKEN: {}}\n")
    repo = make_repo(tmp_path / "repo", {"api/main.py": "x = 1\n"}, contract=contract)
    found = [f for f in run_lint(repo, only=["secrets-doc"]).active]
    assert [(f.file, f.line) for f in found] == [("warden.yaml", 8)]
    assert all((repo / f.file).is_file() for f in found)


def test_direct_vault_without_a_contract(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "app/main.py": "import hvac\n",
        "tests/test_app.py": "import hvac\n",
        "internal/vaultclient/client.py": "import hvac\n",
    })
    found = run_lint(repo, only=["direct-vault"]).active
    assert [(f.file, f.line) for f in found] == [("app/main.py", 1)]
    assert "access: direct-vault" in found[0].fix


def test_values_file_passed_to_helm(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "charts/api/Chart.yaml": "name: api\n",
        "deploy/prod.yaml": "auth:\n  password: literal-example-pw\n",
        "deploy/other.yaml": "auth:\n  password: literal-example-pw\n",
        "Makefile": "deploy:\n\thelm upgrade --install api charts/api \\\n\t  -f deploy/prod.yaml --wait\n",
    })
    found = run_lint(repo, only=["helm-literal-secret"]).active
    assert [(f.file, f.line) for f in found] == [("deploy/prod.yaml", 2)]


def test_existing_secret_guarded_by_an_if_is_fine(tmp_path: Path) -> None:
    template = (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: a\n          env:\n"
        "            {{- if .Values.redis.existingSecret }}\n"
        "            - name: REDIS_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
        "                  name: {{ .Values.redis.existingSecret }}\n                  key: password\n"
        "            {{- else }}\n"
        "            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
        "                  name: {{ .Values.redis.existingSecret }}\n                  key: password\n"
        "            {{- end }}\n"
        "            {{- if not .Values.db.existingSecret }}\n"
        "            - name: X\n              valueFrom:\n                secretKeyRef:\n"
        "                  name: {{ .Values.db.existingSecret }}\n                  key: x\n"
        "            {{- end }}\n"
    )
    repo = make_repo(tmp_path / "repo", {"chart/Chart.yaml": "name: c\n", "chart/templates/deploy.yaml": template})
    found = run_lint(repo, only=["helm-secret-without-required"]).active
    assert sorted(f.line for f in found) == [19, 26]  # the else branch and the `if not` branch
    assert all("existingSecret" in f.fix for f in found)
