"""A labelled corpus of real-shaped repositories for `warden lint`, written for this project.

Each repository is a dict path -> text. Labels sit on the lines themselves as
trailing comments: `# lint: expect <rule-id>` marks a line that must be
flagged by that rule, `# lint: ok` a line that must not be flagged by any
rule (it looks like a problem and is not one). `score()` runs the real lint
engine on a materialised git repository and returns the counts that
`bench/lint_init_corpus.py` prints and tests/lint/test_corpus.py holds.

Values are fakes that contain "example" and are not format-valid tokens.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LABEL = re.compile(r"(?:#|//)\s*lint:\s*(?P<kind>expect|ok)(?:\s+(?P<rule>[a-z0-9-]+))?")

HELM_CLASSIC = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.2.0\n",
    "charts/shop/values.yaml": """\
replicaCount: 2
image:
  registry: docker.io
  repository: example/shop
  tag: ""
serviceAccount:
  create: true
  automountServiceAccountToken: false  # lint: ok
db:
  host: postgres.default.svc:5432  # lint: ok
  user: shop  # lint: ok
  password: literal-example-shop-pw  # lint: expect helm-literal-secret
  existingSecret: ""
  existingSecretPasswordKey: db-password  # lint: ok
auth:
  allowEmptyPassword: "yes"  # lint: ok
  sessionSecret: ""  # lint: ok
  tokenTTL: 15m  # lint: ok
smtp:
  passwordSecretKey: smtp-password  # lint: ok
  credentialsFile: credentials.json  # lint: ok
""",
    "charts/shop/ci/prod-values.yaml": """\
db:
  password: literal-example-prod-pw  # lint: expect helm-literal-secret
  connectionString: redis-master.cache.svc:6379  # lint: ok
""",
    "charts/shop/templates/_helpers.tpl": """\
{{- define "shop.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "shop.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
""",
    "charts/shop/templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shop.fullname" . }}
  labels:
    chart: {{ .Chart.Name }}-{{ .Chart.Version }}  # lint: ok
    {{- include "shop.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      serviceAccountName: {{ .Values.serviceAccount.name }}  # lint: ok
      {{- if .Values.db.existingSecret }}  # lint: ok
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}  # lint: ok
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.db.existingSecret }}  # lint: expect helm-secret-without-required
                  key: {{ .Values.db.existingSecretPasswordKey }}  # lint: ok
            - name: SESSION_SECRET
              value: {{ .Values.auth.sessionSecret | quote }}  # lint: expect plain-env-secret
            - name: LOG_LEVEL
              value: {{ .Values.logLevel | default "info" }}  # lint: ok
            - name: DATABASE_URL
              value: postgres://shop:$(DB_PASSWORD)@db:5432/shop  # lint: ok
""",
    "charts/shop/templates/secret.yaml": """\
{{- if not .Values.db.existingSecret }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "shop.fullname" . }}-db
  labels:
    chart: {{ .Chart.Name }}-{{ .Chart.Version }}
type: Opaque
data:
  db-password: {{ .Values.db.password | b64enc | quote }}  # lint: expect helm-secret-without-required
  db-user: {{ .Values.db.user | b64enc | quote }}  # lint: ok
  session: {{ .Values.auth.sessionSecret | default (randAlphaNum 32) | b64enc }}  # lint: ok
{{- end }}
""",
    "charts/shop/templates/serviceaccount.yaml": """\
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Values.serviceAccount.name }}  # lint: ok
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}  # lint: ok
{{- end }}
""",
}

CACHE_CHART = {
    "charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.3.0\n",
    "charts/cache/values.yaml": "auth:\n  existingSecret: \"\"\n  password: \"\"\n",
    "charts/cache/templates/_helpers.tpl": """\
{{- define "cache.createSecret" -}}
{{- if not .Values.auth.existingSecret -}}true{{- end -}}
{{- end -}}
""",
    "charts/cache/templates/secret.yaml": """\
{{- if (include "cache.createSecret" .) }}  # lint: expect helm-create-secret
apiVersion: v1
kind: Secret
metadata:
  name: cache
stringData:
  password: {{ required "auth.password is required" .Values.auth.password }}  # lint: ok
{{- end }}
""",
    "charts/cache/templates/tls.yaml": """\
{{- if (include "cache.createSecret" .) }}  # lint: ok
apiVersion: v1
kind: Secret
metadata:
  name: cache-tls
data:
  {{- $ca := genCA "cache-ca" 365 }}
  tls.crt: {{ $ca.Cert | b64enc }}
{{- end }}
""",
}

COMPOSE_STACK = {
    "docker-compose.yml": """\
x-db-env: &db-env
  POSTGRES_USER: app
  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}  # lint: expect fallback-default
services:
  db:
    image: postgres:16
    environment:
      <<: *db-env
  api:
    build: .
    environment:
      DATABASE_URL: postgres://app:${POSTGRES_PASSWORD:?required}@db/app  # lint: ok
      SMTP_PASS: ${SMTP_PASS:-}  # lint: expect fallback-default
      LDAP_PWD: ${LDAP_PWD-x}  # lint: expect fallback-default
      GCP_CREDENTIALS: ${GCP_CREDENTIALS:-{}}  # lint: expect fallback-default
      SENTRY_DSN: ${SENTRY_DSN:=https://key@sentry.example/1}  # lint: expect fallback-default
      PORT: ${PORT:-8080}  # lint: ok
      TOKEN_TTL: ${TOKEN_TTL:-15m}  # lint: ok
      PGPASSWORD: ${PGPASSWORD:-$(cat /run/secrets/pg)}  # lint: ok
      BYPASS_CACHE: ${BYPASS_CACHE:-0}  # lint: ok
    command: ["sh", "-c", "pw=\\"${DB_PASSWORD:-}\\"; test -n \\"$pw\\""]  # lint: ok
""",
    "ci/stack.yml": """\
services:
  worker:
    image: example/worker
    environment:
      - API_TOKEN=${API_TOKEN:-dev-token}  # lint: expect fallback-default
      - WORKERS=${WORKERS:-4}  # lint: ok
""",
}

K8S_PLAIN = {
    "k8s/secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: api
stringData:
  DB_PASSWORD: literal-example-db-pw  # lint: expect inline-k8s-secret
  DB_USER: api  # lint: ok
  DB_HOST: db.internal:5432  # lint: ok
  NOTE: put the real token in the vault  # lint: ok
  API_TOKEN: "********"  # lint: ok
  DATABASE_URL: postgres://api:literal-example-db-pw@db:5432/api  # lint: expect inline-k8s-secret
""",
    "k8s/tls.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: kubernetes.io/tls
stringData:
  tls.key: |  # lint: ok
    -----BEGIN PRIVATE KEY-----
    <paste the key here>
    -----END PRIVATE KEY-----
""",
    "k8s/sops-secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: enc
stringData:
  DB_PASSWORD: ENC[AES256_GCM,data:bm90LWEtcmVhbC12YWx1ZQ==,iv:aXY=,tag:dGFn,type:str]  # lint: ok
sops:
  version: 3.8.1
""",
    "k8s/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: example/api:1.0
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: api, key: DB_PASSWORD}
            - name: DATABASE_URL
              value: postgres://api:$(DB_PASSWORD)@db:5432/api  # lint: ok
            - name: GOOGLE_APPLICATION_CREDENTIALS
              value: /var/run/secrets/gcp/key.json  # lint: ok
            - name: STRIPE_API_KEY
              value: INSERT_STRIPE_KEY_HERE  # lint: ok
            - name: WEBHOOK_SECRET
              value: literal-example-webhook  # lint: expect plain-env-secret
            - name: PASSWORD_MIN_LENGTH
              value: "12"  # lint: ok
""",
    "deploy/overlays/prod/kustomization.yaml": """\
resources: [../../base]
secretGenerator:
  - name: api
    literals:
      - DB_USER=api  # lint: ok
      - DB_PASSWORD=literal-example-kustomize  # lint: expect inline-k8s-secret
      - PLACEHOLDER_TOKEN=changeme  # lint: ok
    envs:
      - prod-secrets.env  # lint: expect inline-k8s-secret
""",
    "deploy/overlays/prod/prod-secrets.env": "API_TOKEN=literal-example-env-token\n",
}

PYTHON_APP = {
    "app/db.py": """\
import logging
import os

log = logging.getLogger(__name__)
INVALID_TOKEN = "the token was rejected"
BAD_PASSWORD_MSG = "wrong password"


def connect(settings):
    pw = os.environ["DB_PASSWORD"]
    dsn = f"postgres://app:{pw}@db/app"
    log.error("cannot connect to %s", dsn)  # lint: expect log-leak
    print(os.environ.get("API_KEY"))  # lint: expect log-leak
    log.info(settings.db_password.get_secret_value())  # lint: expect log-leak
    log.info("token length %d", len(pw))  # lint: ok
    log.warning(INVALID_TOKEN)  # lint: ok
    raise PermissionError(BAD_PASSWORD_MSG)  # lint: ok


def page(resp, client):
    log.info("next page %s", resp.next_page_token)  # lint: ok
    log.info("token endpoint %s", client.token_endpoint)  # lint: ok
    pw = "not-a-secret"
    log.debug(pw)  # lint: ok
""",
    "app/storage.py": "import hvac  # lint: expect direct-vault\n",
    "tests/test_db.py": "import hvac  # lint: ok\n",
}

JS_APP = {
    "web/src/server.ts": """\
const pw = process.env.DB_PASSWORD;
const INVALID_TOKEN = 'token rejected';
console.error('db', pw);  // lint: expect log-leak
console.log(`key ${process.env.STRIPE_API_KEY}`);  // lint: expect log-leak
console.error(INVALID_TOKEN);  // lint: ok
console.log('token set:', Boolean(process.env.API_TOKEN));  // lint: ok
""",
}

DOCS_SITE = {
    "docs/helm-example.yml": """\
{% raw %}
apiVersion: v1  # lint: ok
kind: Secret
stringData:
  password: {{ .Values.password }}
  broken: [ {{ x }
{% endraw %}
""",
    "deploy/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n",  # lint-labelled below
}


BITNAMI_STYLE = {
    "helm/queue/Chart.yaml": "apiVersion: v2\nname: queue\nversion: 4.1.0\n",
    "helm/queue/values.yaml": """\
auth:
  username: user  # lint: ok
  password: ""
  erlangCookie: ""
  securePassword: true  # lint: ok
  existingPasswordSecret: ""
  existingErlangSecret: ""
  tls:
    enabled: false
    existingSecret: ""
metrics:
  serviceMonitor:
    basicAuth: {}
extraEnvVars: []
""",
    "helm/queue/templates/_helpers.tpl": """\
{{- define "queue.secretPasswordName" -}}
{{- if .Values.auth.existingPasswordSecret -}}
{{- printf "%s" (tpl .Values.auth.existingPasswordSecret $) -}}
{{- else -}}
{{- printf "%s" (include "common.names.fullname" .) -}}
{{- end -}}
{{- end -}}
{{- define "queue.createSecret" -}}
{{- if or (not .Values.auth.existingPasswordSecret) (not .Values.auth.existingErlangSecret) }}
{{- true -}}
{{- end -}}
{{- end -}}
""",
    "helm/queue/templates/secrets.yaml": """\
{{- if (include "queue.createSecret" .) }}  # lint: expect helm-create-secret
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "common.names.fullname" . }}
  namespace: {{ include "common.names.namespace" . | quote }}
  labels: {{- include "common.labels.standard" ( dict "customLabels" .Values.commonLabels "context" $ ) | nindent 4 }}
    app.kubernetes.io/component: queue
type: Opaque
data:
  {{- if not .Values.auth.existingPasswordSecret }}
  {{- if .Values.auth.password }}
  queue-password: {{ required "auth.password is required" .Values.auth.password | b64enc | quote }}  # lint: ok
  {{- else }}
  queue-password: {{ randAlphaNum 24 | b64enc | quote }}  # lint: ok
  {{- end }}
  {{- end }}
  {{- if not .Values.auth.existingErlangSecret }}
  queue-erlang-cookie: {{ .Values.auth.erlangCookie | b64enc | quote }}  # lint: expect helm-secret-without-required
  {{- end }}
{{- end }}
""",
    "helm/queue/templates/statefulset.yaml": """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ include "common.names.fullname" . }}
  labels: {{- include "common.labels.standard" ( dict "customLabels" .Values.commonLabels "context" $ ) | nindent 4 }}
spec:
  template:
    metadata:
      annotations:
        checksum/secret: {{ include (print $.Template.BasePath "/secrets.yaml") . | sha256sum }}  # lint: ok
    spec:
      {{- if .Values.serviceAccount.create }}
      serviceAccountName: {{ include "common.names.fullname" . }}
      {{- end }}
      automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}  # lint: ok
      containers:
        - name: queue
          image: {{ include "queue.image" . }}
          env:
            - name: QUEUE_SECURE_PASSWORD
              value: {{ ternary "yes" "no" .Values.auth.securePassword | quote }}  # lint: ok
            - name: QUEUE_USERNAME
              value: {{ .Values.auth.username | quote }}  # lint: ok
            - name: QUEUE_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ include "queue.secretPasswordName" . }}  # lint: ok
                  key: queue-password
            {{- if .Values.auth.tls.enabled }}
            - name: QUEUE_TLS_KEY_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{ .Values.auth.tls.existingSecret }}  # lint: expect helm-secret-without-required
                  key: key-password
            {{- end }}
            {{- if .Values.extraEnvVars }}
            {{- include "common.tplvalues.render" (dict "value" .Values.extraEnvVars "context" $) | nindent 12 }}
            {{- end }}
      volumes:
        {{- if .Values.auth.existingErlangSecret }}
        - name: erlang
          secret:
            secretName: {{ .Values.auth.existingErlangSecret }}  # lint: ok
        {{- end }}
""",
}

PIPELINE_VALUES = {
    "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
    "charts/api/values.yaml": "image: example/api\nsecrets:\n  existingSecret: api-secrets  # lint: ok\n",
    "deploy/environments/prod.yaml": """\
ingress:
  host: api.example.com  # lint: ok
database:
  password: literal-example-pipeline-pw  # lint: expect helm-literal-secret
  passwordFile: /run/secrets/db  # lint: ok
""",
    "deploy/environments/notes.yaml": "database:\n  password: literal-example-not-values  # lint: ok\n",
    ".gitlab-ci.yml": """\
deploy:
  script:
    - helm upgrade --install api charts/api
        --values deploy/environments/prod.yaml --atomic
""",
    "scripts/release.sh": """\
#!/bin/sh
set -eu
: "${REGISTRY_TOKEN:?REGISTRY_TOKEN is required}"  # lint: ok
DEPLOY_KEY="${DEPLOY_KEY:-}"  # lint: ok
SLACK_WEBHOOK_SECRET="${SLACK_WEBHOOK_SECRET:-none}"  # lint: expect fallback-default
helm upgrade api charts/api -f deploy/environments/prod.yaml
""",
}

REPOSITORIES: dict[str, dict[str, str]] = {
    "helm-classic": HELM_CLASSIC,
    "helm-cache": CACHE_CHART,
    "compose-stack": COMPOSE_STACK,
    "k8s-plain": K8S_PLAIN,
    "python-app": PYTHON_APP,
    "js-app": JS_APP,
    "docs-site": DOCS_SITE,
    "bitnami-style": BITNAMI_STYLE,
    "pipeline-values": PIPELINE_VALUES,
}
# Labels a file cannot carry itself (a comment would change what is broken).
EXTRA_EXPECT: dict[str, list[tuple[str, int, str]]] = {"docs-site": [("deploy/broken.yaml", 4, "malformed-yaml")]}
GITIGNORE = "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n*.dec.*\n*.plain.*\n"


@dataclass
class Score:
    expected: int = 0
    found: int = 0
    ok_lines: int = 0
    ok_flagged: int = 0
    unlabelled: int = 0
    missed: list[str] = field(default_factory=list)
    wrongly_flagged: list[str] = field(default_factory=list)

    @property
    def found_pct(self) -> float:
        return 100.0 * self.found / self.expected if self.expected else 100.0

    @property
    def ok_flagged_pct(self) -> float:
        return 100.0 * self.ok_flagged / self.ok_lines if self.ok_lines else 0.0


def labels(files: dict[str, str]) -> tuple[set[tuple[str, int, str]], set[tuple[str, int]]]:
    expect: set[tuple[str, int, str]] = set()
    ok: set[tuple[str, int]] = set()
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), start=1):
            match = LABEL.search(line)
            if match is None:
                continue
            if match.group("kind") == "expect":
                expect.add((path, number, match.group("rule") or ""))
            else:
                ok.add((path, number))
    return expect, ok


def materialise(root: Path, files: dict[str, str]) -> Path:
    import subprocess

    root.mkdir(parents=True)
    for rel, text in {".gitignore": GITIGNORE, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git = ["git", "-c", "user.name=corpus", "-c", "user.email=corpus@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "corpus"], cwd=root, check=True)
    return root


def score(workdir: Path | None = None) -> Score:
    from secretwarden.lint.engine import run_lint

    total = Score()
    with tempfile.TemporaryDirectory() as tmp:
        base = workdir or Path(tmp)
        for name, files in REPOSITORIES.items():
            repo = materialise(base / name, files)
            expect, ok = labels(files)
            expect |= set(EXTRA_EXPECT.get(name, []))
            found = {(f.file, f.line, f.rule_id) for f in run_lint(repo, use_contract=False).active}
            flagged_lines = {(f, line) for f, line, _ in found}
            total.expected += len(expect)
            hit = expect & found
            total.found += len(hit)
            total.missed += [f"{name}:{p}:{n} {r}" for p, n, r in sorted(expect - hit)]
            total.ok_lines += len(ok)
            wrong = ok & flagged_lines
            total.ok_flagged += len(wrong)
            total.wrongly_flagged += [f"{name}:{p}:{n}" for p, n in sorted(wrong)]
            labelled = {(p, n) for p, n, _ in expect} | ok
            total.unlabelled += len([1 for p, n, _ in found if (p, n) not in labelled])
    return total
