"""A labelled corpus of real-shaped repositories for `warden init`, written for this project.

Each repository lists the secret names a platform engineer would put in the
contract (`expected`) and names that must not appear (`junk`: shell locals,
loop variables, fragments of a name). `score()` runs the real `discover()`
and returns micro recall (over all names), macro recall (mean per
repository), the junk names found and whether a value leaked; printed by
`bench/lint_init_corpus.py`, held by tests/contract/test_init_corpus.py.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Every value in the corpus carries this marker: none may reach the inventory.
VALUE = "example-value-not-a-name"


@dataclass(frozen=True)
class Repo:
    files: dict[str, str]
    expected: frozenset[str]
    junk: frozenset[str] = frozenset()


COMPOSE_ANYWHERE = Repo(
    files={
        "ci/stack.yml": f"""\
x-common-env: &common-env
  DATABASE_URL: postgres://app:{VALUE}@db/app
  REDIS_URL: redis://cache:6379/0
services:
  api:
    image: example/api
    environment:
      <<: *common-env
      STRIPE_SECRET_KEY: {VALUE}
  worker:
    build: ./worker
    environment:
      - CELERY_BROKER_URL=amqp://guest:{VALUE}@mq//
      - WORKERS=4
""",
        "deploy/local-compose.yml.example": "services:\n  web:\n    image: example/web\n    environment:\n"
        "      SESSION_SECRET: change-me\n",
        "config/prod.env": f"SENTRY_DSN={VALUE}\nLOG_LEVEL=info\n",
        ".env.example": f"# Optional integrations\n# SLACK_WEBHOOK_SECRET={VALUE}\nJWT_SECRET=\n# see docs: a=b\n",
        ".github/workflows/values-check.yml": "on: push\njobs:\n  check:\n    runs-on: ubuntu-latest\n"
        "    env:\n      TEMP_FILE: /tmp/out\n    steps:\n      - run: echo $TEMP_FILE\n",
    },
    expected=frozenset({"DATABASE_URL", "REDIS_URL", "STRIPE_SECRET_KEY", "CELERY_BROKER_URL", "SESSION_SECRET",
                        "SENTRY_DSN", "SLACK_WEBHOOK_SECRET", "JWT_SECRET"}),
    junk=frozenset({"a", "<<", "TEMP_FILE"}),
)

HELM_CHART = Repo(
    files={
        "deploy/helm/payments/Chart.yaml": "apiVersion: v2\nname: payments\nversion: 2.0.0\n",
        "deploy/helm/payments/values.yaml": "auth:\n  existingSecret: payments-secrets\n"
        "  existingSecretPasswordKey: PAYMENTS_DB_PASSWORD\nreplicas: 2\n",
        "deploy/helm/payments/ci/staging-values.yaml": "environment:\n  PAYMENTS_PROVIDER_TOKEN: ''\n  REGION: eu\n",
        "deploy/helm/payments/templates/_helpers.tpl": """\
{{- define "payments.env" -}}
- name: PAYMENTS_SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: signing-key
- name: {{ .Values.extraName }}
{{- end -}}
""",
        "deploy/helm/payments/templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
  labels:
    chart: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  template:
    spec:
      containers:
        - name: api
          image: {{ .Values.registry }}/{{ .Values.repo }}:{{ .Values.tag }}
          env:
            {{- include "payments.env" . | nindent 12 }}
            - name: PAYMENTS_WEBHOOK_SECRET
              valueFrom:
                secretKeyRef: {name: payments-secrets, key: webhook}
""",
    },
    expected=frozenset({"PAYMENTS_DB_PASSWORD", "PAYMENTS_PROVIDER_TOKEN", "PAYMENTS_SIGNING_KEY",
                        "PAYMENTS_WEBHOOK_SECRET"}),
)

TYPESCRIPT_APP = Repo(
    files={
        "apps/web/src/env.ts": """\
import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    NEXTAUTH_SECRET: z.string().min(32),
    GITHUB_CLIENT_SECRET: z.string(),
  },
  runtimeEnv: process.env,
});
""",
        "apps/api/src/config.js": "const { cleanEnv, str, port } = require('envalid');\n"
        "module.exports = cleanEnv(process.env, { MONGO_URI: str(), PORT: port(), OPENAI_API_KEY: str() });\n",
        "apps/api/src/schema.ts": "const Env = z.object({\n  RESEND_API_KEY: z.string(),\n});\n"
        "export const parsed = Env.parse(process.env);\n",
        "apps/api/src/pay.ts": "const key = process.env.PAYPAL_CLIENT_SECRET ?? '';\n",
    },
    expected=frozenset({"NEXTAUTH_SECRET", "GITHUB_CLIENT_SECRET", "MONGO_URI", "OPENAI_API_KEY", "RESEND_API_KEY",
                        "PAYPAL_CLIENT_SECRET"}),
)

SCRIPTS_AND_IMAGES = Repo(
    files={
        "scripts/backup.sh": """\
#!/usr/bin/env bash
set -euo pipefail
COUNT=0
for FILE in /data/*; do
  COUNT=$((COUNT + 1))
  echo "$FILE"
done
read -r ANSWER
export AWS_SECRET_ACCESS_KEY
BACKUP_PASSPHRASE="${BACKUP_PASSPHRASE:?set it}"
aws s3 cp /tmp/b "s3://$BUCKET_NAME/" --sse-c-key "$BACKUP_ENCRYPTION_KEY"
echo "$COUNT $ANSWER"
echo "$CASSANDRA_NUM_TOKENS $MYSQL_ALLOW_EMPTY_PASSWORD $KEY_CACHE_SIZE_IN_MB"
""",
        "Dockerfile": "FROM node:20\nRUN --mount=type=secret,id=npm-token,target=/root/.npmrc npm ci\n"
        "RUN --mount=type=secret,id=SENTRY_AUTH_TOKEN,env=SENTRY_AUTH_TOKEN npm run build\n",
    },
    expected=frozenset({"AWS_SECRET_ACCESS_KEY", "BACKUP_PASSPHRASE", "BACKUP_ENCRYPTION_KEY", "npm-token",
                        "SENTRY_AUTH_TOKEN"}),
    junk=frozenset({"COUNT", "FILE", "ANSWER", "npm", "CASSANDRA_NUM_TOKENS", "MYSQL_ALLOW_EMPTY_PASSWORD",
                    "KEY_CACHE_SIZE_IN_MB"}),
)

POLYGLOT_SERVICES = Repo(
    files={
        "services/billing/app/settings.py": "import os\nDB_PASSWORD = os.environ['BILLING_DB_PASSWORD']\n"
        "pw = os.getenv('BILLING_SMTP_PASS', '')\n",
        "services/ledger/main.go": 'package main\n\nimport "os"\n\nvar dsn = os.Getenv("LEDGER_DSN")\n'
        'var key = os.Getenv("LEDGER_HMAC_KEY")\n',
        "services/ledger/k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ledger}\nspec:\n"
        "  template:\n    spec:\n      containers:\n        - name: ledger\n          env:\n"
        "            - name: LEDGER_DSN\n              valueFrom:\n"
        "                secretKeyRef: {name: ledger, key: dsn}\n",
    },
    expected=frozenset({"BILLING_DB_PASSWORD", "BILLING_SMTP_PASS", "LEDGER_DSN", "LEDGER_HMAC_KEY"}),
)

REPOSITORIES: dict[str, Repo] = {
    "compose-anywhere": COMPOSE_ANYWHERE,
    "helm-chart": HELM_CHART,
    "typescript-app": TYPESCRIPT_APP,
    "scripts-and-images": SCRIPTS_AND_IMAGES,
    "polyglot-services": POLYGLOT_SERVICES,
}


@dataclass
class InitScore:
    expected: int = 0
    found: int = 0
    per_repo: dict[str, float] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    value_leaked: bool = False

    @property
    def micro(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def macro(self) -> float:
        return sum(self.per_repo.values()) / len(self.per_repo) if self.per_repo else 1.0


def _materialise(root: Path, files: dict[str, str]) -> None:
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git = ["git", "-c", "user.name=corpus", "-c", "user.email=corpus@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)


def score() -> InitScore:
    import json

    from secretwarden.contract.discovery import discover, render_contract

    out = InitScore()
    with tempfile.TemporaryDirectory() as tmp:
        for name, repo in REPOSITORIES.items():
            root = Path(tmp) / name
            _materialise(root, repo.files)
            inventory = discover(root)
            names = {n for names in inventory.by_service().values() for n in names}
            hit = repo.expected & names
            out.expected += len(repo.expected)
            out.found += len(hit)
            out.per_repo[name] = len(hit) / len(repo.expected)
            out.missed += [f"{name}: {n}" for n in sorted(repo.expected - names)]
            out.junk += [f"{name}: {n}" for n in sorted(repo.junk & names)]
            rendered = render_contract(inventory, name) + json.dumps(inventory.to_json())
            out.value_leaked = out.value_leaked or VALUE in rendered
    return out
