"""A small polyglot repository for the discovery tests, built in a tmp dir.

`build_repo(root, canary)` writes one file of every kind discovery reads and
plants `canary` wherever a value would sit (defaults in code, example env
values, compose values, Kubernetes literals, Helm passwords, a real .env), so
the tests can assert the value never comes out. No value here looks like a
real credential format.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

# name -> service it must be found in
EXPECTED: dict[str, set[str]] = {
    "AUTH_JWT_SECRET": {"auth"},
    "AUTH_DB_PASSWORD": {"auth"},
    "AUTH_TOKEN_TTL": {"auth"},
    "SETTINGS_API_KEY": {"auth"},
    "STRIPE_SECRET_KEY": {"payment"},
    "STRIPE_WEBHOOK_SECRET": {"payment"},
    "CUSTOMER_APP_URL": {"payment"},
    "VITE_PUBLIC_KEY": {"payment"},
    "PAYMENT_REGION": {"payment"},
    "GATEWAY_TOKEN": {"gateway"},
    "GATEWAY_LISTEN_PORT": {"gateway"},
    "MAILER_API_KEY": {"mailer"},
    "LEGACY_SECRET": {"legacy"},
    "DEPLOY_SSH_KEY": {"scripts"},
    "EXAMPLE_ONLY_KEY": {"demo-repo"},
    "POSTGRES_PASSWORD": {"demo-repo"},  # deploy/ is not a service: the repository's
    "REDIS_PASSWORD": {"demo-repo"},  # deploy/ is not a service: the repository's
    "COMPOSE_TAG": {"demo-repo"},  # deploy/ is not a service: the repository's
    "K8S_DB_PASSWORD": {"auth"},  # k8s/deployment.yaml deploys `auth`
    "ESO_API_TOKEN": {"demo-repo"},  # no service is named like its ExternalSecret
    "db-password": {"charts"},
    "CI_DEPLOY_TOKEN": {"github"},
    "NPM_TOKEN": {"payment"},
    "PAYMENT_SIGNING_SALT": {"payment"},
    "npmrc": {"payment"},
    "LEGACY_MAIL_PASSWORD": {"legacy"},
}
KUBERNETES_SECRETS = {"auth-env", "db-credentials", "billing-secrets", "redis-auth"}
NOT_EXPECTED = {
    "HOME", "PATH", "LOCAL_DIR", "IGNORED_SECRET", "VENDORED_SECRET", "NODE_ENV", "BIG_SECRET",
    "NODE_VERSION", "BUILD_DIR", "server.other",
}


def build_repo(root: Path, canary: str, name: str = "demo-repo") -> Path:
    repo = root / name
    files: dict[str, str] = {
        ".gitignore": "ignored/\n*.log\n",
        "services/auth/app.py": f"""\
import os
from os import getenv

JWT = os.environ["AUTH_JWT_SECRET"]
DB = os.environ.get("AUTH_DB_PASSWORD", "{canary}")
TTL = getenv('AUTH_TOKEN_TTL', "15m")
HOME = os.environ["HOME"]
# os.getenv("COMMENTED_OUT_SECRET")
""",
        "services/auth/settings.py": f"""\
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SETTINGS_")
    api_key: str = "{canary}"
""",
        "services/payment/src/index.ts": f"""\
const key = process.env.STRIPE_SECRET_KEY ?? "{canary}";
const hook = process.env["STRIPE_WEBHOOK_SECRET"];
const {{ CUSTOMER_APP_URL, PAYMENT_REGION = "{canary}" }} = process.env;
const pub = import.meta.env.VITE_PUBLIC_KEY;
const mode = import.meta.env.MODE;
if (process.env.NODE_ENV === "production") {{}}
""",
        "cmd/gateway/main.go": f"""\
package main

import "os"

func main() {{
\ttoken := os.Getenv("GATEWAY_TOKEN")
\tport, ok := os.LookupEnv("GATEWAY_LISTEN_PORT")
\t_ = "{canary}"
}}
""",
        "apps/mailer/config.rb": f"""\
KEY = ENV.fetch("MAILER_API_KEY", "{canary}")
""",
        "legacy/src/Main.java": f"""\
class Main {{ String s = System.getenv("LEGACY_SECRET"); String d = "{canary}"; }}
""",
        "scripts/deploy.sh": f"""\
#!/bin/sh
export DEPLOY_SSH_KEY="{canary}"
echo "$HOME $PATH $LOCAL_DIR ${{DEPLOY_SSH_KEY}}"
""",
        "services/payment/Dockerfile": f"""\
FROM node:22
ARG NPM_TOKEN
ARG NODE_VERSION=22
ENV PAYMENT_SIGNING_SALT="{canary}" BUILD_DIR=/app
RUN --mount=type=secret,id=npmrc npm ci
""",
        "legacy/src/main/resources/application.properties": f"""\
spring.mail.password=${{LEGACY_MAIL_PASSWORD:{canary}}}
server.port=${{server.other}}
""",
        ".env.example": f"EXAMPLE_ONLY_KEY={canary}\n# COMMENTED=x\n",
        ".env": f"REAL_DOTENV_SECRET={canary}\n",
        "deploy/docker-compose.yml": f"""\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: {canary}
  cache:
    image: redis:${{COMPOSE_TAG:-{canary}}}
    environment:
      - REDIS_PASSWORD={canary}
""",
        "k8s/deployment.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: auth}}
spec:
  template:
    spec:
      containers:
        - name: auth
          env:
            - name: K8S_DB_PASSWORD
              valueFrom:
                secretKeyRef: {{name: db-credentials, key: password}}
            - name: PLAIN
              value: "{canary}"
          envFrom:
            - secretRef: {{name: auth-env}}
---
apiVersion: v1
kind: Secret
metadata: {{name: literal}}
stringData:
  password: "{canary}"
""",
        "k8s/externalsecret.yaml": f"""\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {{name: billing, annotations: {{note: "{canary}"}}}}
spec:
  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}
  target:
    name: billing-secrets
    template:
      data: {{config: "{canary}"}}
  data:
    - secretKey: ESO_API_TOKEN
      remoteRef: {{key: billing/api, property: token}}
""",
        ".github/workflows/deploy.yml": f"""\
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      TOKEN: ${{{{ secrets.CI_DEPLOY_TOKEN }}}}
      LITERAL: "{canary}"
    steps:
      - run: echo "${{{{ secrets.GITHUB_TOKEN }}}}"
""",
        "charts/redis/values.yaml": f"""\
auth:
  password: "{canary}"
  existingSecret: redis-auth
  existingSecretPasswordKey: db-password
""",
        "charts/redis/templates/secret.yaml": """\
{{- if .Values.auth.enabled }}
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: x
      env:
        - name: {{ .Values.envName }}
          valueFrom:
            secretKeyRef: {name: {{ .Values.auth.existingSecret }}, key: password}
{{- end }}
""",
        "broken/bad.yaml": "a: [unclosed\n  secretKeyRef: {\n",
        "ignored/app.py": 'import os\nos.environ["IGNORED_SECRET"]\n',
        "node_modules/lib/index.js": "process.env.VENDORED_SECRET\n",
        "services/auth/big.py": "import os\n" + "#" * (2 * 1024 * 1024 + 10) + '\nos.environ["BIG_SECRET"]\n',
        "services/auth/logo.py": "\0binary" + 'os.environ["BINARY_SECRET"]',
    }
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo
