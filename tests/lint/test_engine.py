"""Engine behaviour: file selection, allow comments, configuration, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.errors import UsageError
from secretwarden.lint.engine import run_lint
from secretwarden.lint.yamlpos import parse_yaml
from tests.lint.conftest import make_repo

COMPOSE = "services:\n  api:\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD:-changeme}\n"
CONTRACT = """\
version: 1
project: demo
environments: {dev: {}}
namespaces: {api: {path: /services/api}}
services:
  api:
    namespace: api
    secrets: {DB_PASSWORD: {}, PORT: {sensitive: false}}
lint:
  rules:
    fallback-default: {severity: warning}
    required-ignore: {enabled: false}
"""


def _ids(root: Path, **kwargs: object) -> list[tuple[str, str, int, str]]:
    result = run_lint(root, **kwargs)  # type: ignore[arg-type]
    return [(f.rule_id, f.file, f.line, f.severity) for f in result.active]


def test_allow_comment_with_reason_silences_and_keeps_the_reason(tmp_path: Path) -> None:
    text = COMPOSE.replace("changeme}", "changeme}  # warden:allow fallback-default local demo stack only")
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": text})
    result = run_lint(repo, use_contract=False, only=["fallback-default"])
    assert result.active == []
    assert [f.allowed for f in result.allowed] == ["local demo stack only"]


def test_allow_comment_on_the_line_above(tmp_path: Path) -> None:
    text = COMPOSE.replace("      DB_PASSWORD", "      # warden:allow fallback-default demo only\n      DB_PASSWORD")
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": text})
    assert run_lint(repo, use_contract=False, only=["fallback-default"]).active == []


def test_allow_comment_without_reason_is_ignored(tmp_path: Path) -> None:
    text = COMPOSE.replace("changeme}", "changeme}  # warden:allow fallback-default")
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": text})
    result = run_lint(repo, use_contract=False, only=["fallback-default"])
    assert len(result.active) == 1 and "no reason" in result.active[0].message


def test_allow_for_another_rule_does_not_apply(tmp_path: Path) -> None:
    text = COMPOSE.replace("changeme}", "changeme}  # warden:allow plain-env-secret some reason")
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": text})
    assert len(run_lint(repo, use_contract=False, only=["fallback-default"]).active) == 1


def test_contract_relevels_and_disables(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": COMPOSE}, contract=CONTRACT)
    result = run_lint(repo)
    assert "required-ignore" not in result.rules
    assert [(f.rule_id, f.severity) for f in result.active if f.rule_id == "fallback-default"] == [
        ("fallback-default", "warning")
    ]
    assert not result.fails("error") and result.fails("warning")


def test_unknown_rule_in_contract_is_a_usage_error_with_suggestion(tmp_path: Path) -> None:
    bad = CONTRACT.replace("required-ignore:", "required-ignores:")
    repo = make_repo(tmp_path / "r", {}, contract=bad)
    with pytest.raises(UsageError, match="did you mean `required-ignore`"):
        run_lint(repo)


def test_gitignored_files_are_not_linted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".gitignore": "local/\n", "local/docker-compose.yml": COMPOSE})
    assert run_lint(repo, use_contract=False, only=["fallback-default"]).active == []


def test_outside_git_the_root_gitignore_is_honoured(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "local").mkdir(parents=True)
    (root / ".gitignore").write_text("local/\n")
    (root / "local" / "docker-compose.yml").write_text(COMPOSE)
    (root / "docker-compose.yml").write_text(COMPOSE)
    assert _ids(root, use_contract=False, only=["fallback-default"]) == [
        ("fallback-default", "docker-compose.yml", 4, "error")
    ]


def test_untracked_env_file_is_not_reported_as_tracked(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"README.md": "x\n"})
    (repo / ".env").write_text("PORT=1\n")
    assert run_lint(repo, use_contract=False, only=["env-file-tracked"]).active == []


@pytest.mark.parametrize("text", [
    "a: [1, 2\n",
    "a: b: c\n",
    "\t- x\n",
    "key: 'unterminated\n",
    "? [\n",
    "a: &x 1\nb: *y\n",
    "\x00\x01binary",
    "---\nkind: A\n---\n: :\n  - ]\n",
])
def test_malformed_yaml_never_raises(tmp_path: Path, text: str) -> None:
    parsed = parse_yaml(text)
    repo = make_repo(tmp_path / "r", {"deploy/x.yaml": text})
    result = run_lint(repo, use_contract=False)
    if parsed.problem is not None and "\x00" not in text:  # binary files are skipped, not parsed
        assert any(f.rule_id == "malformed-yaml" and f.file == "deploy/x.yaml" for f in result.findings)


def test_helm_template_parses_with_positions() -> None:
    text = (
        "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        "  name: {{ include \"app.fullname\" . }}\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n{{- end }}\n---\napiVersion: v1\nkind: Service\n"
    )
    parsed = parse_yaml(text)
    assert parsed.problem is None and parsed.templated
    assert len(parsed.documents) == 2
    kind = parsed.documents[1].value[1][1]
    assert (kind.start_mark.line + 1, kind.start_mark.column + 1) == (13, 7)


def test_every_finding_has_a_position(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": COMPOSE, "deploy/.env": "A=1\n", "k8s/bad.yaml": "a: [\n"})
    result = run_lint(repo, use_contract=False)
    assert result.findings
    for f in result.findings:
        assert f.line >= 1 and f.column >= 1 and f.file


def test_required_ignores_honour_gitignore_files_above_the_lint_root(tmp_path: Path) -> None:
    gitignore = "*.pem\n*.key\n*.crt\n*.p12\ninstances/**/.env\ninstances/**/.env.*\ninstances/**/secrets*\n"
    repo = make_repo(tmp_path / "r", {".gitignore": "*.pem\n*.key\n*.crt\n*.p12\n", "sub/a.txt": "x\n",
                                      "sub/instances/eu/README.md": "eu\n"})
    assert len(run_lint(repo / "sub", use_contract=False, only=["required-ignore"]).active) == 3
    (repo / ".gitignore").write_text(gitignore.replace("instances/", "sub/instances/"))
    assert run_lint(repo / "sub", use_contract=False, only=["required-ignore"]).active == []


def test_fallback_defaults_follow_the_contracts_required_flag(tmp_path: Path) -> None:
    contract = CONTRACT.replace("PORT: {sensitive: false}", "PORT: {sensitive: false}, HOOK_TOKEN: {required: false}")
    compose = (
        "services:\n  api:\n    environment:\n      PORT: ${PORT:-3000}\n      HOOK_TOKEN: ${HOOK_TOKEN:-}\n"
        "      DB_PASSWORD: ${DB_PASSWORD:-x}\n      OTHER_SECRET: ${OTHER_SECRET:-x}\n"
    )
    repo = make_repo(tmp_path / "r", {"docker-compose.yml": compose}, contract=contract)
    found = [(f.line, f.message.split("`")[1]) for f in run_lint(repo, only=["fallback-default"]).active]
    assert found == [(4, "PORT"), (6, "DB_PASSWORD"), (7, "OTHER_SECRET")]


def test_alias_bombs_and_recursive_anchors_cost_one_pass(tmp_path: Path) -> None:
    bomb = "a: &a {x: 1}\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} {{p: *{chr(97 + i)}, q: *{chr(97 + i)}, r: *{chr(97 + i)}}}\n" for i in range(24)
    )
    repo = make_repo(tmp_path / "r", {
        "charts/x/Chart.yaml": "name: x\n",
        "charts/x/values.yaml": bomb,
        "charts/x/values-loop.yaml": "a: &a {b: *a, password: ''}\n",
    })
    result = run_lint(repo, use_contract=False)
    assert not any("rule failed" in f.message for f in result.findings)
