"""Problems a user walkthrough of `warden init` found, checked through the real CLI on real files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_warden

_COMPOSE = """\
services:
  web:
    image: example/web
    environment:
      DATABASE_URL: ${DATABASE_URL}
      API_TOKEN: ${API_TOKEN:-local}
      CACHE_URL: ${CACHE_URL}
"""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _init_json(root: Path) -> dict[str, object]:
    result = run_warden("init", "--dry-run", "--format", "json", root)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_a_compose_line_is_listed_once_per_name(tmp_path: Path) -> None:
    _write(tmp_path, "docker-compose.yml", _COMPOSE)
    text = run_warden("init", "--dry-run", tmp_path)
    assert text.returncode == 0, text.stderr
    assert "docker-compose.yml:5, docker-compose.yml:5" not in text.stdout
    assert "docker-compose.yml:5" in text.stdout
    names = _init_json(tmp_path)["services"][tmp_path.name]["names"]  # type: ignore[index]
    assert [(p["path"], p["line"]) for p in names["DATABASE_URL"]] == [("docker-compose.yml", 5)]


def test_distinct_lines_stay_distinct_and_a_default_on_the_line_is_kept(tmp_path: Path) -> None:
    # must-not: two lines are two places; the default of `${API_TOKEN:-local}` is not lost by the merge
    _write(tmp_path, "docker-compose.yml", _COMPOSE + "  worker:\n    image: example/worker\n"
           "    environment:\n      - DATABASE_URL=${DATABASE_URL}\n")
    names = _init_json(tmp_path)["services"][tmp_path.name]["names"]  # type: ignore[index]
    assert [p["line"] for p in names["DATABASE_URL"]] == [5, 11]
    assert [p.get("has_default") for p in names["API_TOKEN"]] == [True]
    assert [p.get("has_default") for p in names["CACHE_URL"]] == [None]
    written = run_warden("init", tmp_path)
    assert written.returncode == 0, written.stderr
    contract = (tmp_path / "warden.yaml").read_text()
    assert "API_TOKEN: {required: false}" in contract
    cache = next(line for line in contract.splitlines() if line.strip().startswith("CACHE_URL:"))
    assert "required: false" not in cache


def test_json_output_has_the_keys_docs_init_md_shows(tmp_path: Path) -> None:
    _write(tmp_path, "docker-compose.yml", _COMPOSE)
    data = _init_json(tmp_path)
    doc = (Path(__file__).parents[2] / "docs" / "init.md").read_text()
    sample = doc.split("`--format json` prints:", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert set(json.loads(sample)) == set(data)


_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: ghcr.io/acme/{image}:1.4
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: {secret}
                  key: DATABASE_URL
          envFrom:
            - secretRef:
                name: {secret}
"""


def _git_repo(root: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(root)], check=True)
    # the secret-file patterns required-ignore asks for: this test is about Secrets, not them
    _write(root, ".gitignore", "*.pem\n*.key\n*.crt\n*.p12\n.warden/\n")


def _lint_rules(root: Path, *rules: str) -> list[dict[str, object]]:
    args: list[str | Path] = ["lint", "--format", "json"]
    for rule in rules:
        args += ["--rule", rule]
    result = run_warden(*args, root, cwd=root)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    findings: list[dict[str, object]] = data["findings"] if isinstance(data, dict) else data
    return findings


def test_a_manifest_folder_gives_its_secret_to_the_service_it_deploys_and_lint_agrees(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    _write(tmp_path, "services/web/app.py", 'import os\nSESSION = os.environ["SESSION_SECRET"]\n')
    _write(tmp_path, "k8s/deployment.yaml", _DEPLOYMENT.format(name="frontend", image="web", secret="web-creds"))
    result = run_warden("init", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "k8s (" not in result.stdout  # no service named after the folder
    contract = (tmp_path / "warden.yaml").read_text()
    assert "\n  k8s:" not in contract
    web = contract.split("\n  web:\n", 1)[1].split("\n  ", 1)[0]
    assert "secret_name: web-creds" in contract.split("\n  web:\n", 1)[1].split("secrets:", 1)[0], web
    assert run_warden("--contract", tmp_path / "warden.yaml", "validate").returncode == 0
    assert _lint_rules(tmp_path, "unknown-secret-ref") == []
    # the `lint.existing_secrets` init writes is what lint reads: without it the error is back
    (tmp_path / "warden.yaml").write_text(contract.split("\n# Secrets the manifests read", 1)[0] + "\n")
    assert {f["rule"] for f in _lint_rules(tmp_path, "unknown-secret-ref")} == {"unknown-secret-ref"}


def test_an_unmatched_manifest_and_examples_belong_to_the_repository(tmp_path: Path) -> None:
    _git_repo(tmp_path)
    _write(tmp_path, "deploy/app.yaml", _DEPLOYMENT.format(name="site", image="site", secret="site-env"))
    _write(tmp_path, "examples/basic/run.py", 'import os\nTOKEN = os.environ["EXAMPLE_API_TOKEN"]\n')
    _write(tmp_path, "worker/job.py", 'import os\nKEY = os.environ["WORKER_API_KEY"]\n')
    data = _init_json(tmp_path)
    services = data["services"]
    assert isinstance(services, dict)
    repo = next(iter(set(services) - {"worker"}))
    assert set(services) == {repo, "worker"}  # neither deploy/ nor examples/ is a service
    assert set(services[repo]["names"]) == {"DATABASE_URL", "EXAMPLE_API_TOKEN"}
    assert run_warden("init", tmp_path).returncode == 0
    contract = (tmp_path / "warden.yaml").read_text()
    assert "secret_name: site-env" in contract
    assert _lint_rules(tmp_path, "unknown-secret-ref") == []


def test_what_init_does_not_claim(tmp_path: Path) -> None:
    """must-not: a service under services/ named like a manifest folder stays a service; a Secret an
    ExternalSecret in the repository fills is not listed as made elsewhere; a service reading
    several Secrets, or only mounting one (TLS), gets no `secret_name`."""
    _git_repo(tmp_path)
    _write(tmp_path, "services/deploy/main.py", 'import os\nHOOK = os.environ["DEPLOY_HOOK_TOKEN"]\n')
    _write(tmp_path, "k8s/api.yaml", _DEPLOYMENT.format(name="api", image="api", secret="api-env")
           + "          volumes:\n            - name: tls\n              secret:\n                secretName: api-tls\n"
           "---\n" + _DEPLOYMENT.format(name="api-worker", image="api", secret="worker-env"))
    _write(tmp_path, "k8s/eso.yaml", "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
           "metadata: {name: api}\nspec:\n  target: {name: api-env}\n  data:\n"
           "    - secretKey: DATABASE_URL\n      remoteRef: {key: api/db}\n")
    _write(tmp_path, "api/server.py", 'import os\nDB = os.environ["DATABASE_URL"]\n')
    assert run_warden("init", tmp_path).returncode == 0
    contract = (tmp_path / "warden.yaml").read_text()
    assert "\n  deploy:\n" in contract  # services/deploy is a real service
    api = contract.split("\n  api:\n", 1)[1].split("secrets:", 1)[0]
    assert "secret_name" not in api  # reads api-env and worker-env
    existing = contract.split("existing_secrets:", 1)[1]
    assert "worker-env" in existing and "api-tls" in existing
    assert "api-env" not in existing  # the ExternalSecret fills it
