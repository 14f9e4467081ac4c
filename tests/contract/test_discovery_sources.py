"""Per-source tables: what each source must find and must not find.

Each case is (file name, text, names that must be found, names that must not).
The sources run on the text directly, so a case fails for exactly one reason.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from secretwarden.contract.discovery.names import is_well_known, looks_plain, looks_secret
from secretwarden.contract.discovery.services import service_for
from secretwarden.contract.discovery.sources import load_sources, source_kinds

Case = tuple[str, str, set[str], set[str]]

CASES: dict[str, list[Case]] = {
    "python": [
        ("a.py", 'os.environ["A_KEY"]\nos.environ.get("B_KEY", "x")\nos.getenv(\'C_KEY\')', {"A_KEY", "B_KEY", "C_KEY"}, set()),
        ("a.py", 'from os import environ, getenv\nenviron["D_KEY"]\ngetenv("E_KEY")', {"D_KEY", "E_KEY"}, set()),
        ("a.py", 'os.environ.setdefault("F_KEY", "1")\nos.environ.pop("G_KEY")', {"F_KEY", "G_KEY"}, set()),
        ("a.py", 'request.environ["HTTP_HOST"]\nos.getenv(name)\nos.getenv(f"X_{y}")', set(), {"HTTP_HOST", "X_"}),
        ("a.py", '# os.getenv("IN_COMMENT")\nx = 1  # os.environ["TRAILING"]', set(), {"IN_COMMENT", "TRAILING"}),
        ("a.pyi", 'os.getenv("STUB_KEY")', {"STUB_KEY"}, set()),
        (
            "settings.py",
            "class S(BaseSettings):\n    db_password: str\n    token: str = Field(alias='RAW_TOKEN')\n"
            "    class Config:\n        env_prefix = 'APP_'\nclass Other(Model):\n    not_a_setting: int\n",
            {"APP_DB_PASSWORD", "RAW_TOKEN"},
            {"NOT_A_SETTING", "APP_NOT_A_SETTING"},
        ),
        ("a.txt", 'os.getenv("NOT_PYTHON")', set(), {"NOT_PYTHON"}),
    ],
    "javascript": [
        ("env.ts", "export const env = createEnv({\n  server: {\n    DATABASE_URL: z.string().url(),\n"
         "    'STRIPE_SECRET_KEY': z.string(),\n  },\n  runtimeEnv: process.env,\n});\n", {"DATABASE_URL", "STRIPE_SECRET_KEY"}, set()),
        ("env.js", "const env = cleanEnv(process.env, { API_KEY: str(), PORT: port({ default: 3000 }) })",
         {"API_KEY", "PORT"}, set()),
        ("schema.ts", "const S = z.object({\n  JWT_SECRET: z.string().min(32),\n  // OLD_KEY: z.string(),\n})\n",
         {"JWT_SECRET"}, {"OLD_KEY"}),
        ("ui.ts", "const THEME = { PRIMARY: z.string() }\n", set(), {"PRIMARY"}),  # no schema library called
        ("a.js", "process.env.A_KEY\nprocess.env['B_KEY']\nprocess.env[\"C_KEY\"]", {"A_KEY", "B_KEY", "C_KEY"}, set()),
        ("a.ts", "import.meta.env.VITE_KEY\nimport.meta.env.MODE\nimport.meta.env.DEV", {"VITE_KEY"}, {"MODE", "DEV"}),
        ("a.tsx", "const { A_ONE, B_TWO: alias, C_THREE = 'x', ...rest } = process.env;", {"A_ONE", "B_TWO", "C_THREE"}, {"alias", "rest"}),
        ("a.mjs", "let {\n  MULTI_ONE,\n  MULTI_TWO\n} = process.env", {"MULTI_ONE", "MULTI_TWO"}, set()),
        ("a.js", "process.env?.OPT_KEY\nprocess.env[name]\nmyprocess.env.NOPE", {"OPT_KEY"}, {"NOPE"}),
        ("a.js", "// process.env.COMMENTED\nfetch('https://x/' + process.env.AFTER_URL)", {"AFTER_URL"}, {"COMMENTED"}),
        ("a.min.js", "process.env.MINIFIED", set(), {"MINIFIED"}),
        ("a.vue", "<script>const k = process.env.VUE_KEY</script>", {"VUE_KEY"}, set()),
    ],
    "go": [
        ("main.go", 'os.Getenv("A_KEY")\nv, ok := os.LookupEnv("B_KEY")\nos.Getenv(`C_KEY`)', {"A_KEY", "B_KEY", "C_KEY"}, set()),
        ("main.go", '// os.Getenv("COMMENTED")\nos.Getenv(name)\nmyos.Getenv("NOPE")', set(), {"COMMENTED", "NOPE"}),
    ],
    "ruby": [
        ("a.rb", "ENV['A_KEY']\nENV[\"B_KEY\"]\nENV.fetch('C_KEY', nil)\nENV.fetch \"D_KEY\"", {"A_KEY", "B_KEY", "C_KEY", "D_KEY"}, set()),
        ("Rakefile", "ENV.key?('E_KEY')", {"E_KEY"}, set()),
        ("a.rb", "# ENV['COMMENTED']\nMYENV['NOPE']\nENV[name]", set(), {"COMMENTED", "NOPE"}),
    ],
    "java": [
        ("A.java", 'System.getenv("A_KEY");\nSystem.getenv(name);\nSystem.getenv();', {"A_KEY"}, set()),
        ("a.kt", 'val k = System.getenv("KT_KEY")\n// System.getenv("COMMENTED")', {"KT_KEY"}, {"COMMENTED"}),
    ],
    "shell": [
        ("run.sh", "#!/bin/sh\nCOUNT=0\nfor FILE in *; do echo $FILE $COUNT; done\nread -r LINE\necho $LINE\n"
         "export API_TOKEN\necho $API_TOKEN\nDB_PASSWORD=\"${DB_PASSWORD:-x}\"\necho $DB_PASSWORD $ENV_ONLY_SECRET\n",
         {"API_TOKEN", "DB_PASSWORD", "ENV_ONLY_SECRET"}, {"COUNT", "FILE", "LINE"}),
        ("a.sh", 'echo "$A_TOKEN ${B_SECRET} ${C_KEY:-x} ${D_PASSWORD:?}"', {"A_TOKEN", "B_SECRET", "C_KEY", "D_PASSWORD"}, set()),
        ("a.sh", "echo $lower \\$ESCAPED $$ ${#LEN} ${!IND} $1 $@\n# $COMMENTED", set(), {"lower", "ESCAPED", "LEN", "IND", "COMMENTED"}),
        ("run", "#!/bin/bash\necho $RUN_TOKEN", {"RUN_TOKEN"}, set()),
        ("README", "costs $PRICE_TOKEN", set(), {"PRICE_TOKEN"}),
    ],
    "dotenv": [
        (".env.example", "A_KEY=x\nexport B_KEY=y\n  C_KEY = z\n# D_KEY=w\n\nnot a line\n# see a=b\n#x_lower=1",
         {"A_KEY", "B_KEY", "C_KEY", "D_KEY"}, {"a", "x_lower"}),
        (".env.sample", "S_KEY=", {"S_KEY"}, set()),
        (".env.template", "T_KEY=", {"T_KEY"}, set()),
        ("api.env.example", "API_KEY=", {"API_KEY"}, set()),
        (".env", "REAL_KEY=x", set(), {"REAL_KEY"}),
        (".env.production", "PROD_KEY=x\n# OLD_KEY=y", {"PROD_KEY"}, {"OLD_KEY"}),  # names only
        ("config/app.env", "APP_SECRET=x", {"APP_SECRET"}, set()),
    ],
    "compose": [
        ("docker-compose.yml", "services:\n  a:\n    environment:\n      MAP_KEY: v\n      OTHER: ''\n", {"MAP_KEY", "OTHER"}, set()),
        ("compose.yaml", "services:\n  a:\n    environment:\n      - LIST_KEY=v\n      - BARE_KEY\n", {"LIST_KEY", "BARE_KEY"}, set()),
        ("docker-compose.prod.yml", "services:\n  a:\n    image: x:${TAG:-1}\n    command: $$NOT_ME ${REF_KEY}\n", {"TAG", "REF_KEY"}, {"NOT_ME"}),
        ("compose.yml", "secrets:\n  db:\n    environment: DB_SECRET\n", {"DB_SECRET"}, set()),
        ("ci/stack.yml", "services:\n  a:\n    image: x\n    environment:\n      BY_CONTENT: v\n", {"BY_CONTENT"}, set()),
        ("other.yml", "services:\n  web: {port: 80}\nenvironment:\n  NOT_COMPOSE: v\n", set(), {"NOT_COMPOSE"}),
        ("docker-compose.yml.example", "services:\n  a:\n    environment: [EXAMPLE_KEY=]\n", {"EXAMPLE_KEY"}, set()),
        ("dev-compose.yml", "x-env: &env\n  SHARED_TOKEN: x\nservices:\n  a:\n    image: a\n    environment:\n"
         "      <<: *env\n      OWN_KEY: y\n  b:\n    <<: {image: b, environment: {BASE_KEY: z}}\n",
         {"SHARED_TOKEN", "OWN_KEY", "BASE_KEY"}, {"<<"}),
    ],
    "kubernetes": [
        (
            "deploy.yaml",
            "spec:\n  containers:\n  - env:\n    - name: ENV_NAME\n      valueFrom:\n        secretKeyRef:\n          name: app-secrets\n          key: api-key\n"
            "    - name: PLAIN\n      value: x\n    envFrom:\n    - secretRef:\n        name: bulk\n",
            {"ENV_NAME", "app-secrets", "bulk"},
            {"PLAIN", "api-key"},
        ),
        ("a.yml", "kind: Pod\n---\nenv:\n- valueFrom:\n    secretKeyRef: {name: s, key: ONLY_KEY}\n", {"ONLY_KEY", "s"}, set()),
        ("vol.yaml", "volumes:\n- name: certs\n  secret:\n    secretName: tls-certs\n", {"tls-certs"}, set()),
        ("t.yaml", "{{- if .Values.x }}\nenv:\n- name: {{ .Values.n }}\n  valueFrom:\n    secretKeyRef: {name: {{ .Values.s }}, key: TPL_KEY}\n{{- end }}\n", {"TPL_KEY"}, set()),
    ],
    "external-secret": [
        (
            "es.yaml",
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nspec:\n  target: {name: out}\n  data:\n"
            "  - secretKey: ES_KEY\n    remoteRef: {key: app/db, property: pw}\n  - remoteRef: {key: x}\n",
            {"ES_KEY", "out"},
            {"app/db", "pw"},
        ),
        ("ces.yaml", "kind: ClusterExternalSecret\nspec:\n  externalSecretSpec:\n    data:\n    - secretKey: CES_KEY\n", {"CES_KEY"}, set()),
        ("other.yaml", "kind: ConfigMap\ndata:\n  - secretKey: NOT_ES  # ExternalSecret\n", set(), {"NOT_ES"}),
    ],
    "helm": [
        ("templates/_helpers.tpl", "{{- define \"app.env\" -}}\n- name: DB_PASSWORD\n  valueFrom:\n"
         "    secretKeyRef: {name: x, key: y}\n- name: {{ .Values.n }}\n- name: sidecar\n{{- end -}}\n",
         {"DB_PASSWORD"}, {"sidecar"}),
        ("ci/prod-values.yaml", "image: x\nenvironment:\n  SENTRY_DSN: ''\nextraEnv:\n  - name: API_TOKEN\n    value: x\n"
         "labels:\n  TEAM: core\n", {"SENTRY_DSN", "API_TOKEN"}, {"TEAM", "x"}),
        ("api.values.yaml", "env:\n  JWT_SECRET: ''\n", {"JWT_SECRET"}, set()),
        (
            "values.yaml",
            "db:\n  password: x\n  existingSecret: db-creds\n  existingSecretPasswordKey: db-pass\nredis:\n  existingSecret: ''\n",
            {"db-creds", "db-pass"},
            {"password", "x"},
        ),
        ("values-prod.yaml", "auth:\n  existingSecret:\n    name: auth-s\n    passwordKey: AUTH_PW\n", {"auth-s", "AUTH_PW"}, set()),
        ("values.yaml", "list:\n- existingSecretName: in-list\n", {"in-list"}, set()),
        ("config.yaml", "existingSecret: not-values-file\n", set(), {"not-values-file"}),
    ],
    "github-actions": [
        (
            ".github/workflows/ci.yml",
            "env:\n  T: ${{ secrets.DEPLOY_TOKEN }}\n  U: ${{ secrets['NPM_TOKEN'] }}\n  G: ${{ secrets.GITHUB_TOKEN }}\n# ${{ secrets.OLD }}\n",
            {"DEPLOY_TOKEN", "NPM_TOKEN"},
            {"GITHUB_TOKEN", "OLD"},
        ),
        ("ci/other.yml", "x: ${{ secrets.NOT_A_WORKFLOW }}\n", set(), {"NOT_A_WORKFLOW"}),
    ],
    "dockerfile": [
        ("Dockerfile", "RUN --mount=type=secret,id=npm-token,target=/root/.npmrc npm ci\n"
         "RUN --mount=id=pip.conf,type=secret pip install\n", {"npm-token", "pip.conf"}, {"npm", "pip"}),
        (
            "Dockerfile",
            "FROM x\nARG NPM_TOKEN\nARG VERSION=1\nENV APP_HOME=/app API_SECRET=x\nENV LEGACY_KEY value\n"
            "RUN --mount=type=secret,id=PIP_PASSWORD pip install\n# ARG OLD_TOKEN\n",
            {"NPM_TOKEN", "VERSION", "APP_HOME", "API_SECRET", "LEGACY_KEY", "PIP_PASSWORD"},
            {"OLD_TOKEN", "x", "value"},
        ),
        ("api.Dockerfile", "RUN --mount=id=GH_TOKEN,type=secret make", {"GH_TOKEN"}, set()),
        ("Dockerfile.prod", "ARG BUILD_KEY", {"BUILD_KEY"}, set()),
    ],
    "spring": [
        (
            "application.properties",
            "spring.datasource.password=${DB_PASSWORD}\nserver.port=${PORT:8080}\nx=${other.prop}\n# y=${OLD_SECRET}\n",
            {"DB_PASSWORD", "PORT"},
            {"other", "OLD_SECRET"},
        ),
        ("application-prod.yml", "spring:\n  mail:\n    password: ${MAIL_PASSWORD}\n", {"MAIL_PASSWORD"}, set()),
        ("other.properties", "a=${NOT_SPRING}", set(), {"NOT_SPRING"}),
    ],
}


def _module(kind: str) -> object:
    by_kind = {s.KIND: s for s in load_sources()}
    return by_kind[kind]


def test_every_registered_source_has_a_table() -> None:
    assert set(CASES) == set(source_kinds()) and len(source_kinds()) == len(load_sources())  # kinds unique


@pytest.mark.parametrize(
    ("kind", "case"),
    [(kind, case) for kind, cases in CASES.items() for case in cases],
    ids=[f"{kind}-{i}" for kind, cases in CASES.items() for i in range(len(cases))],
)
def test_source_table(kind: str, case: Case) -> None:
    filename, text, must, must_not = case
    source = _module(kind)
    path = PurePosixPath(filename) if filename.startswith(".github") else PurePosixPath("svc") / filename
    found = {h.name for h in source.scan(text, path)} if source.wants(path) else set()  # type: ignore[attr-defined]
    assert must <= found, f"missing {must - found}"
    assert not (must_not & found), f"unexpected {must_not & found}"


def test_line_numbers_point_at_the_read() -> None:
    source = _module("javascript")
    hits = list(source.scan("\n\nconst {\n  A_ONE,\n  B_TWO } = process.env\nprocess.env.C\n", PurePosixPath("a.js")))  # type: ignore[attr-defined]
    assert {(h.name, h.line) for h in hits} == {("A_ONE", 4), ("B_TWO", 5), ("C", 6)}


@pytest.mark.parametrize(
    ("kind", "filename", "text", "defaults"),
    [
        ("python", "a.py", 'os.getenv("A", "x")\nos.environ.get("B")\nos.environ["C"]\nos.environ.get(\n  "D",\n  1)', {"A": True, "B": False, "C": False, "D": True}),
        ("python", "s.py", "class S(BaseSettings):\n    a: str\n    b: str = 'x'\n    c: str = Field(alias='C')\n    d: int = Field(3)\n", {"A": False, "B": True, "C": False, "D": True}),
        ("javascript", "a.ts", "process.env.A ?? 'x'\nprocess.env['B'] || 1\nprocess.env.C\nconst { D = 1, E } = process.env", {"A": True, "B": True, "C": False, "D": True, "E": False}),
        ("go", "a.go", 'os.Getenv("A")\nos.LookupEnv("B")', {"A": False, "B": True}),
        ("ruby", "a.rb", "ENV.fetch('A', 1)\nENV.fetch('B') { 1 }\nENV.fetch('C')\nENV['D'] || 1\nENV['E']", {"A": True, "B": True, "C": False, "D": True, "E": False}),
        ("compose", "compose.yml", "x: ${A:-1} ${B-1} ${C:?no} ${D} ${E:+y}\n", {"A": True, "B": True, "C": False, "D": False, "E": False}),
        ("spring", "application.yml", "a: ${A:1}\nb: ${B}\n", {"A": True, "B": False}),
    ],
)
def test_reads_with_a_default_are_marked(kind: str, filename: str, text: str, defaults: dict[str, bool]) -> None:
    source = _module(kind)
    hits = {h.name: h.has_default for h in source.scan(text, PurePosixPath(filename))}  # type: ignore[attr-defined]
    assert hits == defaults


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("app.py", "repo"),
        ("services/auth/src/a.py", "auth"),
        ("apps/web/a.ts", "web"),
        ("packages/ui/a.ts", "ui"),
        ("cmd/api/main.go", "api"),
        ("services/readme.sh", "repo"),
        ("deploy/k8s/a.yaml", "deploy"),
        (".github/workflows/ci.yml", "github"),
        ("weird name!/x.py", "weird-name"),
    ],
)
def test_service_grouping(path: str, service: str) -> None:
    assert service_for(PurePosixPath(path), "repo") == service


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("AUTH_ACCESS_TOKEN_TTL", True),
        ("CUSTOMER_APP_URL", True),
        ("LOG_LEVEL", True),
        ("PORT", True),
        ("REDIS_HOST", True),
        ("PAYMENT_DEPOSIT_DEFAULT_PERCENT", True),
        ("JWT_SECRET", False),
        ("DATABASE_URL", False),
        ("ORDER_LIFECYCLE_DATABASE_URL", False),
        ("N8N_EVENT_WEBHOOK_URL", False),
        ("STRIPE_SECRET_KEY", False),
        ("TWILIO_ACCOUNT_SID", False),
        # seen in real application env samples: ids, paths to a secret, switches, tuning knobs
        ("GITHUB_APP_ID", True),
        ("SECRET_KEY_FILE", True),
        ("FORCE_HTTPS", True),
        ("ALLOW_EMPTY_PASSWORD", True),
        ("RATE_LIMITER_DURATION_WINDOW", True),
        ("AWS_S3_ACL", True),
        ("AWS_ACCESS_KEY_ID", False),
        ("SLACK_VERIFICATION_TOKEN", False),
        ("GITHUB_APP_PRIVATE_KEY", False),
    ],
)
def test_plain_config_heuristic(name: str, plain: bool) -> None:
    assert looks_plain(name) is plain


def test_secret_and_well_known_heuristics() -> None:
    assert looks_secret("apiKey") and looks_secret("DB_PASSWORD") and looks_secret("REDIS_URL")
    assert not looks_secret("BUILD_DIR") and not looks_secret("KEYBOARD_LAYOUT")
    assert is_well_known("HOME") and is_well_known("XDG_CONFIG_HOME") and not is_well_known("API_TOKEN")
