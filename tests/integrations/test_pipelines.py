"""The GitHub Action and the GitLab CI template: valid against the platforms' published schemas
(shipped by `check-jsonschema`), and their scripts do what they say when run for real here."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "integrations" / "gitlab" / "secret-warden.gitlab-ci.yml"
WORKFLOW = ROOT / "docs" / "examples" / "github-workflow.yml"
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(("path", "schema"), [
    (ACTION, "vendor.github-actions"),
    (WORKFLOW, "vendor.github-workflows"),
    (GITLAB, "vendor.gitlab-ci"),
])
def test_files_validate_against_the_platform_schemas(path: Path, schema: str) -> None:
    checker = BIN / "check-jsonschema"
    result = subprocess.run([str(checker), "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _step(name: str) -> dict[str, object]:
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return next(s for s in steps if s.get("name") == name)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "warden.yaml").write_text(MINIMAL_CONTRACT)
    # Everything the `required-ignore` lint rule asks of a repository with instances.
    (root / ".gitignore").write_text(
        ".warden/\n.env\n.env.*\n!.env.example\n*.pem\n*.key\n*.p12\n*.crt\ninstances/**/secrets*\n"
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True, text=True, timeout=300)


def test_action_ci_step_reports_the_exit_code_and_writes_sarif(repo: Path, tmp_path: Path) -> None:
    step = _step("warden ci")
    inputs = {"WARDEN_CONTRACT": "warden.yaml", "WARDEN_TARGET": ".", "WARDEN_ENVS": "", "WARDEN_FAIL_ON": "error",
              "WARDEN_SARIF": "warden.sarif"}
    output = tmp_path / "github_output"
    clean = _bash(str(step["run"]), repo, {**inputs, "GITHUB_OUTPUT": str(output)})
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "exit-code=0" in output.read_text() and (repo / "warden.sarif").is_file()
    # A committed credential: the step still succeeds (so the SARIF gets uploaded) and reports 1.
    key = "AKIA" + secrets.token_hex(8).upper()  # made up at test time, never committed
    (repo / "deploy.sh").write_text(f'aws_access_key_id = "{key}"\naws_secret_access_key = "{make_canary()}abcdEFGH1234"\n')
    output.write_text("")
    leaked = _bash(str(step["run"]), repo, {**inputs, "GITHUB_OUTPUT": str(output)})
    assert leaked.returncode == 0, leaked.stdout + leaked.stderr
    assert "exit-code=1" in output.read_text()
    fail = _bash(str(_step("Fail on findings")["run"]), repo, {"WARDEN_EXIT": "1"})
    assert fail.returncode == 1


def test_action_deploy_step_runs_the_command_with_the_service_secrets(repo: Path) -> None:
    value = make_canary("deploy") + "abcdefgh"
    assert run_warden("-c", repo / "warden.yaml", "set", "api/API_TOKEN", "--env", "dev", input=value).returncode == 0
    assert run_warden("-c", repo / "warden.yaml", "bootstrap", "--env", "dev").returncode == 0
    env = {"WARDEN_CONTRACT": "warden.yaml", "WARDEN_SERVICE": "api", "WARDEN_ENV": "dev",
           "WARDEN_DEPLOY_COMMAND": 'test "$API_TOKEN" = "$EXPECTED" && echo deployed'}
    deployed = _bash(str(_step("Deploy under warden run")["run"]), repo, {**env, "EXPECTED": value})
    out = deployed.stdout + deployed.stderr
    if "DATABASE_URL" in out:  # the shared database URL has no fixture: set one and retry
        url = "postgres://app:" + make_canary("db") + "@db/app"
        assert run_warden("-c", repo / "warden.yaml", "set", "shared/DATABASE_URL", "--env", "dev",
                          input=url).returncode == 0
        deployed = _bash(str(_step("Deploy under warden run")["run"]), repo, {**env, "EXPECTED": value})
        out = deployed.stdout + deployed.stderr
    assert deployed.returncode == 0 and "deployed" in out, out
    assert value not in out


def test_gitlab_ci_job_script_runs_as_written(repo: Path) -> None:
    template = yaml.safe_load(GITLAB.read_text())
    variables = {k: str(v) for k, v in template["variables"].items()}
    script = "\n".join(template["warden-ci"]["script"])
    result = _bash(script, repo, variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo / "warden.sarif").is_file()
    assert template[".warden-deploy"]["id_tokens"]["OPENBAO_ID_TOKEN"]["aud"] == "openbao"
