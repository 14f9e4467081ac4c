"""Discovery on shapes real repositories have: charts, git-tracked files in ignored
folders, real env files (names only), templates that only parse once masked."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from secretwarden.contract.discovery import discover
from tests.conftest import run_warden

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _names(root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for service, names in discover(root).by_service().items():
        for name in names:
            out.setdefault(name, set()).add(service)
    return out


def test_a_charts_files_belong_to_the_chart(tmp_path: Path) -> None:
    _write(tmp_path, {
        "charts/billing-api/Chart.yaml": "apiVersion: v2\nname: billing\nversion: 0.1.0\n",
        "charts/billing-api/templates/deploy.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\n"
            "  labels:\n    chart: {{ .Chart.Name }}-{{ .Chart.Version }}\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: api\n          image: {{ .Values.repo }}/{{ .Values.image }}:{{ .Values.tag }}\n"
            "          env:\n            - name: BILLING_DB_PASSWORD\n              valueFrom:\n"
            "                secretKeyRef: {name: billing, key: db-password}\n"),
        "charts/billing-api/ci/prod-values.yaml": "environment:\n  STRIPE_SECRET_KEY: ''\n",
    })
    inventory = discover(tmp_path)
    names = _names(tmp_path)
    assert names["BILLING_DB_PASSWORD"] == {"billing"} and names["STRIPE_SECRET_KEY"] == {"billing"}
    assert not [s for s in inventory.skipped if "YAML" in s.reason]
    assert inventory.service_dirs["billing"] == {"charts/billing-api"}


def test_git_tracked_files_in_ignored_folders_are_seen(tmp_path: Path) -> None:
    _write(tmp_path, {".gitignore": "build/\n", "build/app.py": 'import os\nos.environ["TRACKED_TOKEN"]\n',
                      "build/other.py": 'import os\nos.environ["UNTRACKED_TOKEN"]\n'})
    subprocess.run([*GIT, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "add", "-f", "build/app.py", ".gitignore"], cwd=tmp_path, check=True)
    names = _names(tmp_path)
    assert "TRACKED_TOKEN" in names and "UNTRACKED_TOKEN" not in names


def test_real_env_files_give_names_only_and_say_so(tmp_path: Path) -> None:
    _write(tmp_path, {"config/prod.env": "PAYMENT_API_KEY=literal-example-value\n"})
    proc = run_warden("init", "--dry-run", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0
    assert "PAYMENT_API_KEY" in proc.stdout
    assert "names only" in proc.stderr and "config/prod.env" in proc.stderr
    assert "literal-example-value" not in proc.stdout + proc.stderr
    proc = run_warden("init", str(tmp_path), cwd=tmp_path)
    assert "literal-example-value" not in (tmp_path / "warden.yaml").read_text()


def test_connection_strings_are_sensitive(tmp_path: Path) -> None:
    from secretwarden.contract.discovery.names import looks_plain, looks_secret

    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MONGO_URI", "SENTRY_DSN", "DB_CONNECTION_STRING",
                 "ELASTICSEARCH_URL", "KAFKA_URL"):
        assert looks_secret(name) and not looks_plain(name), name
    for name in ("API_BASE_URL", "FRONTEND_URL"):
        assert looks_plain(name), name


_SECRET_REF = ("          env:\n            - name: {env}\n              valueFrom:\n"
               "                secretKeyRef: {{name: {secret}, key: token}}\n")


def test_helm_unittest_suites_are_test_expectations(tmp_path: Path) -> None:
    """A chart's `tests/*_test.yaml` asserts rendered manifests with made-up Secret names (`foo`,
    `grault`) and values; the chart's own templates still count."""
    _write(tmp_path, {
        "charts/hub/Chart.yaml": "apiVersion: v2\nname: hub\nversion: 0.1.0\n",
        "charts/hub/templates/deploy.yaml": "spec:\n  template:\n    spec:\n      containers:\n        - name: hub\n"
        + _SECRET_REF.format(env="HUB_TOKEN", secret="hub-token"),
        "charts/hub/tests/deploy_test.yaml": "suite: deployment\ntemplates:\n  - deploy.yaml\ntests:\n"
        "  - it: reads the token\n    asserts:\n      - contains:\n          path: spec.containers[0].env\n"
        "          content:\n            name: ASSERTED_TOKEN\n            valueFrom:\n"
        "              secretKeyRef: {name: grault, key: token}\n",
    })
    inventory = discover(tmp_path)
    assert set(inventory.by_service()["hub"]) == {"HUB_TOKEN"}
    assert set(inventory.kubernetes_secrets()["hub"]) == {"hub-token"}


def test_a_secret_name_kubernetes_would_refuse_is_never_listed(tmp_path: Path) -> None:
    """`secretName: eyJzdWIi...` (a test that put a token where a Secret's name goes): not a Secret
    name, and init never echoes what may be a value."""
    token_like = base64.urlsafe_b64encode(b'{"sub": "1234567890", "iat": 1516239022}').decode().rstrip("=")
    _write(tmp_path, {
        "deploy/app.yaml": "spec:\n  volumes:\n    - name: license\n      secret:\n"
        f"        secretName: {token_like}\n    - name: tls\n      secret:\n        secretName: app-tls\n",
    })
    inventory = discover(tmp_path)
    secrets = inventory.kubernetes_secrets()
    repo = inventory.repo_service  # deploy/ is not a service of its own
    assert secrets == {repo: {"app-tls": secrets[repo]["app-tls"]}}


def test_release_folders_are_the_repository_and_windows_names_are_well_known(tmp_path: Path) -> None:
    """An image repository with one folder per release (`32/`, `v33.1/`) is one service; `SystemDrive`
    is the OS's, like `HOME`."""
    _write(tmp_path, {
        "32/apache/entrypoint.sh": '#!/bin/sh\necho "$MYSQL_PASSWORD"\n',
        "v33.1/fpm/entrypoint.sh": '#!/bin/sh\necho "$REDIS_HOST_PASSWORD"\n',
        "tools/paths.py": 'import os\nDRIVE = os.environ.get("SystemDrive")\nKEY = os.environ["TOOLS_API_KEY"]\n',
    })
    names = _names(tmp_path)
    repo = discover(tmp_path).repo_service
    assert names == {"MYSQL_PASSWORD": {repo}, "REDIS_HOST_PASSWORD": {repo}, "TOOLS_API_KEY": {"tools"}}


def test_a_deployment_folder_lists_names_for_the_code_that_reads_them(tmp_path: Path) -> None:
    """`docker/.env.example` lists what the app in `hc/` reads: each such name once, under `hc`;
    a name only the deployment files use (the database container's own) goes to the repository's
    own service: `docker/` is not a service."""
    _write(tmp_path, {
        "docker/.env.example": "DB_PASSWORD=\nSECRET_KEY=\n",
        "docker/docker-compose.yml": "services:\n  db:\n    image: postgres\n    environment:\n"
        "      - POSTGRES_PASSWORD=$DB_PASSWORD\n",
        "hc/settings.py": 'import os\nDB = os.getenv("DB_PASSWORD")\nKEY = os.environ["SECRET_KEY"]\n',
    })
    repo = discover(tmp_path).repo_service
    assert _names(tmp_path) == {"DB_PASSWORD": {"hc"}, "SECRET_KEY": {"hc"}, "POSTGRES_PASSWORD": {repo}}
