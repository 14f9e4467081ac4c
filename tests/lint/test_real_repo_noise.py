"""Shapes from public chart collections, compose stacks and application repositories that the
linter reported although nothing was wrong, each next to a twin it must still report.

One repository per case (a real `git init` repo), linted without a contract like a first run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.lint.engine import run_lint
from secretwarden.lint.names import is_placeholder
from secretwarden.scan.rules.examples import expand
from tests.lint.conftest import make_repo

_FAKE = expand("{alnum:16}")  # built at test time: no credential-shaped literal in the source

_CHART = {"charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n"}
_DEPLOY_HEAD = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n"
                "      containers:\n        - name: app\n          env:\n")
_SECRET_HEAD = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n"

QUIET = {
    "secret guarded by its own value": {
        **_CHART,
        "charts/app/templates/secret.yaml": _SECRET_HEAD
        + "  {{- if .Values.smtpPassword }}\n  smtp-password: {{ .Values.smtpPassword | b64enc | quote }}\n"
        "  {{- end }}\n",
        "charts/app/values.yaml": 'smtpPassword: ""\n',
    },
    "a switch derived from the password": {
        **_CHART,
        "charts/app/templates/deployment.yaml": _DEPLOY_HEAD
        + "            - name: SECURE_PASSWORD\n"
        '              value: {{ ternary "yes" "no" (not .Values.auth.password) | quote }}\n',
    },
    "names of Secrets and of keys in them": {
        **_CHART,
        "charts/app/values.yaml": 'configFromSecret: "prometheus-config"\nadminTokenSecret: "admin-token"\n'
        'clusterSecretKey: "cluster"\n',
    },
    "a hash, role-word test values, an instruction": {
        **_CHART,
        "charts/app/values.yaml": "registry:\n  htpasswd: registry_user:$2y$10$" + "a" * 53 + "\n",
        "charts/app/ci/test-values.yaml": "config:\n  password: testpassword\n  token: test-token\n",
        ".env.example": "SECRET_KEY=generate_a_new_key\nAWS_SECRET_ACCESS_KEY=get_the_secret_of_above_key\n"
        "DATABASE_URL=postgres://user:pass@postgres:5432/app\n",
        ".gitignore": ".env\n",
    },
    "files that only look like env files": {
        "patches/kafka/.env.patch": "--- .env\n+++ .env\n@@ -1 +1 @@\n-A=1\n+A=2\n",
        "web/.env.d.ts": "interface ImportMetaEnv { readonly VITE_API: string }\n",
        "docker/.env.production.example": "API_TOKEN=\n",
    },
    "describing a secret-holding record": {
        "scripts/migrate.ts": "for (const apiKey of keys) {\n  console.log(`Migrating ${apiKey.id}`);\n}\n",
        "app/bank.py": "def url(self):\n    token = self.id\n"
        "    raise ValueError('cannot place %s' % token)\n",
    },
    # fifth session: Rails fixtures, Django example env, kustomize placeholders, chart CI values
    "ERB tags in a Rails YAML fixture": {
        "test/fixtures/blobs.yml": 'square_blob: <%= ActiveStorage::FixtureSet.blob filename: "square.png" %>\n',
    },
    "placeholders flagged for later": {
        "docker/.env.example": "DB_PASSWORD=fixme-postgres-password\nSECRET_KEY=---\n",
        ".gitignore": ".env\n",
    },
    "an upper-case name a script substitutes": {
        "k8s/assistant.yaml": _DEPLOY_HEAD + "            - name: GOOGLE_API_KEY\n              value: GOOGLE_API_KEY_VAL\n",
    },
    "an imported module named like a token": {
        "app/verify.py": "from google.oauth2 import id_token as sync_id_token\n\ndef check(info):\n"
        "    raise ValueError('issuer must be one of {}'.format(sync_id_token.ISSUERS))\n",
    },
    "the chart's own name as a CI test password": {
        "charts/argo-cd/Chart.yaml": "apiVersion: v2\nname: argo-cd\nversion: 1.0.0\n",
        "charts/argo-cd/ci/external-redis-values.yaml": expand('externalRedis:\n  password: "{lit:argocd}"\n'),
    },
}

LOUD = {
    "secret rendered without a guard": (
        {**_CHART, "charts/app/templates/secret.yaml": _SECRET_HEAD
         + "  smtp-password: {{ .Values.smtpPassword | b64enc | quote }}\n"},
        "helm-secret-without-required"),
    "the password itself into a plain env": (
        {**_CHART, "charts/app/templates/deployment.yaml": _DEPLOY_HEAD
         + "            - name: DB_PASSWORD\n              value: {{ .Values.auth.password | quote }}\n"},
        "plain-env-secret"),
    "a literal under a Secret-ish name": (
        {**_CHART, "charts/app/values.yaml": f'adminTokenSecret: "{_FAKE}"\n'},
        "helm-literal-secret"),
    "a typed value in an example env file": (
        {".env.production.example": "DB_PASSWORD=example-pw-4f9a\n", ".gitignore": ".env\n"},
        "env-example-value"),
    "a committed env file": ({"svc/.env.local": "API_TOKEN=abc\n"}, "env-file-tracked"),
    "the secret itself logged": (
        {"scripts/migrate.ts": "const apiKey = process.env.API_KEY;\nconsole.log(`using ${apiKey}`);\n"},
        "log-leak"),
    "a YAML fixture broken without any ERB tag": (
        {"test/fixtures/blobs.yml": 'square_blob: filename: "square.png"\n'}, "malformed-yaml"),
    "a typed value after a placeholder-looking word": (
        {"docker/.env.example": f"DB_PASSWORD=fixme{_FAKE}\n", ".gitignore": ".env\n"}, "env-example-value"),
    "a literal key in a Deployment's env": (
        {"k8s/assistant.yaml": _DEPLOY_HEAD + f"            - name: GOOGLE_API_KEY\n              value: {_FAKE}\n"},
        "plain-env-secret"),
    "a token parameter in an exception": (
        {"app/verify.py": "def check(token):\n    raise ValueError('bad token {}'.format(token))\n"}, "log-leak"),
    "a typed password in chart CI values": (
        {"charts/argo-cd/Chart.yaml": "apiVersion: v2\nname: argo-cd\nversion: 1.0.0\n",
         "charts/argo-cd/ci/external-redis-values.yaml": f'externalRedis:\n  password: "{_FAKE}"\n'},
        "helm-literal-secret"),
}


def _rules(tmp_path: Path, files: dict[str, str]) -> list[str]:
    repo = make_repo(tmp_path / "repo", files)
    skip = {"required-ignore"}  # asks for ignore patterns every fixture repository lacks
    return [f.rule_id for f in run_lint(repo, use_contract=False).findings if f.rule_id not in skip]


@pytest.mark.parametrize("case", list(QUIET))
def test_quiet_on_real_repository_shapes(tmp_path: Path, case: str) -> None:
    assert _rules(tmp_path, QUIET[case]) == []


@pytest.mark.parametrize("case", list(LOUD))
def test_their_twins_are_still_reported(tmp_path: Path, case: str) -> None:
    files, rule = LOUD[case]
    assert rule in _rules(tmp_path, files)


@pytest.mark.parametrize("value", ["generate_a_new_key", "get_the_secret_of_above_key", "testpassword",
                                   "postgres://user:pass@db:5432/app", "postgres://app:app@db/app",
                                   "fixme-postgres-password", "---", "GOOGLE_API_KEY_VAL"])
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["literal-example-db-pw", "correct-horse-battery-staple", "admin123",
                                   f"postgres://app:{_FAKE}@db:5432/app"])
def test_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)
