#!/usr/bin/env python3
"""A labelled corpus of planted secrets and decoys, generated at run time, and the
scanner's precision / recall / F1 on it per kind of secret.

    .venv/bin/python bench/scan_corpus.py                    # default setting
    .venv/bin/python bench/scan_corpus.py --min-confidence low
    .venv/bin/python bench/scan_corpus.py --misses 5         # print a few misses and false hits per kind
    .venv/bin/python bench/scan_corpus.py --keep DIR         # leave the generated tree in DIR

Every value is made here, from a seeded random generator, so that no format-valid
secret lives in the repository. Each planted line is labelled with a kind and
whether it is a secret; decoys (public-by-design keys, placeholders, references,
templates, UI strings, encoded placeholders) are labelled negative under their
own kind. A finding scores at (file, line): on a positive line it is a true
positive, on a decoy a false positive of the decoy's kind, and on a line nobody
labelled an "unlabelled" finding (counted against overall precision).

This measures the *kinds* the issue names, with the syntaxes real repositories
use; it is not a target to fit: a rule that only helps here is a bad rule.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
WORDS = ("harbor", "glass", "tiger", "summer", "winter", "maple", "river", "falcon", "copper", "silver",
         "orange", "rocket", "garden", "thunder", "velvet", "canyon", "meadow", "pirate", "lantern", "castle",
         "marble", "banana", "cobalt", "dragon", "willow", "shadow", "crystal", "sunset", "button", "pepper")
SYMBOLS = "!#$%&*?"  # no `@` or `:`: they would end a URL's userinfo


@dataclass
class Label:
    kind: str
    positive: bool


@dataclass
class Corpus:
    root: Path
    rng: random.Random
    labels: dict[tuple[str, int], Label] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    # -- values -------------------------------------------------------------------
    def rand(self, n: int, alphabet: str = ALNUM) -> str:
        while True:
            v = "".join(self.rng.choice(alphabet) for _ in range(n))
            if alphabet != ALNUM or (any(c.isdigit() for c in v) and any(c.isalpha() for c in v)):
                return v

    def word_password(self) -> str:
        """A chosen password: dictionary words with digits and/or a symbol (`Harbor!Glass2291`)."""
        a, b = self.rng.sample(WORDS, 2)
        shape = self.rng.randrange(4)
        digits = str(self.rng.randrange(10, 9999))
        sym = self.rng.choice(SYMBOLS)
        if shape == 0:
            return f"{a.capitalize()}{b.capitalize()}{digits}"
        if shape == 1:
            return f"{a}{b}{digits}{sym}"
        if shape == 2:
            return f"{a.capitalize()}{sym}{b.capitalize()}{digits}"
        return f"{a}{digits}"

    def password(self) -> str:
        return self.word_password() if self.rng.random() < 0.6 else self.rand(self.rng.randrange(10, 20))

    # -- planting -----------------------------------------------------------------
    def add(self, path: str, text: str, kind: str | None = None, positive: bool = True,
            label_line: int = 0) -> None:
        """Append `text` (one or more lines) to `path`; label its `label_line`-th line."""
        lines = self.files[path]
        for i, line in enumerate(text.split("\n")):
            lines.append(line)
            if kind is not None and i == label_line:
                self.labels[(path, len(lines))] = Label(kind, positive)

    def filler(self, path: str, n: int = 2) -> None:
        for _ in range(n):
            self.add(path, self.rng.choice(FILLER.get(Path(path).suffix, FILLER[""])))

    def write(self) -> None:
        for rel, lines in self.files.items():
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + "\n")


FILLER = {
    ".py": ["import os", "def handler(event):", "    return None", "LOG_LEVEL = 'info'", "# configuration"],
    ".js": ["const express = require('express');", "module.exports = {};", "// settings", "let count = 0;"],
    ".go": ["package main", "import \"fmt\"", "func main() {}", "// config"],
    ".yaml": ["replicas: 2", "logLevel: info", "# values"],
    ".sh": ["set -euo pipefail", "echo starting", "cd /srv/app"],
    ".md": ["## Setup", "Run the following:", "See the docs for details."],
    ".env": ["LOG_LEVEL=debug", "PORT=8080", "APP_NAME=billing"],
    "": ["# settings", "name = app"],
}


# --- generators, one per kind ---------------------------------------------------------


def gen_passwords(c: Corpus, n: int) -> None:
    templates = [
        ("app/settings.py", 'DB_PASSWORD = "{v}"'),
        ("app/db.py", 'conn = connect(host="db", user="app", password="{v}")'),
        ("web/config.js", "const dbPassword = '{v}';"),
        ("web/config.js", '  password: "{v}",'),
        ("svc/config.go", '\tPassword: "{v}",'),
        ("deploy/values.yaml", "  password: {v}"),
        ("deploy/values.yaml", '  adminPassword: "{v}"'),
        ("src/main/resources/application.properties", "spring.datasource.password={v}"),
        ("src/main/java/Db.java", 'private static final String DB_PASS = "{v}";'),
        ("conf/app.xml", "<password>{v}</password>"),
        ("docs/setup.md", "The staging database password is `{v}`."),
    ]
    for _ in range(n):
        path, t = c.rng.choice(templates)
        c.filler(path, 1)
        c.add(path, t.format(v=c.word_password()), "password-words")


def gen_doppler(c: Corpus, n: int) -> None:
    for _ in range(n):
        kind = c.rng.choice(["st.prd", "st.dev", "pt", "ct", "sa", "scim", "audit"])
        token = "dp." + kind + "." + c.rand(c.rng.choice([40, 43, 44]))
        path, t = c.rng.choice([
            ("deploy/.env", "DOPPLER_TOKEN={v}"),
            ("ci/deploy.sh", "doppler run --token {v} -- ./start.sh"),
            ("app/doppler.py", 'client = Doppler(token="{v}")'),
            ("docs/secrets.md", "Use `{v}` for the staging service."),
        ])
        c.add(path, t.format(v=token), "doppler")


def gen_netrc(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"home/u{i % 5}/.netrc" if i % 2 else f"home/u{i % 5}/_netrc"
        host = c.rng.choice(["api.heroku.com", "git.corp.internal", "ftp.partner.net", "pypi.internal"])
        pw = c.password()
        if c.rng.random() < 0.5:
            c.add(path, f"machine {host} login deploy password {pw}", "netrc")
        else:
            c.add(path, f"machine {host}\n  login deploy\n  password {pw}", "netrc", label_line=2)


def gen_cli(c: Corpus, n: int) -> None:
    templates = [
        "mysql -u root -p{v} shop < dump.sql",
        "mysql -uadmin -p'{v}' -h db.internal",
        "PGPASSWORD={v} psql -h db.internal -U app app",
        "export PGPASSWORD='{v}'",
        "docker login -u ci -p {v} registry.corp.internal",
        "sshpass -p '{v}' ssh deploy@10.0.0.12",
        "mongo --username admin --password {v} --host mongo",
        "redis-cli -h cache -a {v} ping",
        "./manage.py createsuperuser --password={v}",
        'mysqldump --user=backup --password="{v}" shop > shop.sql',
    ]
    for i in range(n):
        path = "scripts/ops.sh" if i % 3 else "docs/runbook.md"
        c.filler(path, 1)
        c.add(path, c.rng.choice(templates).format(v=c.password()), "cli-password")


def gen_basic_auth(c: Corpus, n: int) -> None:
    for i in range(n):
        pw = c.password()
        basic = base64.b64encode(f"ci:{pw}".encode()).decode()
        t = c.rng.choice([
            f"curl -u deploy:{pw} https://ci.corp.internal/api/jobs",
            f'curl --user "ci:{pw}" https://nexus.corp.internal/repository/',
            f"wget --user=ci --password={pw} https://artifacts.corp.internal/build.tgz",
            f"curl https://ci:{pw}@jenkins.corp.internal/job/build",
            f"wget https://deploy:{pw}@files.corp.internal/release.tar.gz",
            f'curl -H "Authorization: Basic {basic}" https://api.corp.internal/v1',
            f'headers = {{"Authorization": "Basic {basic}"}}',
        ])
        path = ["scripts/fetch.sh", "docs/api.md", "tools/client.py"][i % 3]
        c.add(path, t, "basic-auth")


def gen_db_urls(c: Corpus, n: int) -> None:
    for i in range(n):
        pw = c.password()
        url = c.rng.choice([
            f"mongodb://app:{pw}@mongo.internal:27017/orders",
            f"mongodb+srv://admin:{pw}@cluster0.q1w2e.mongodb.net/prod",
            f"amqp://worker:{pw}@rabbit.internal:5672/jobs",
            f"amqps://worker:{pw}@mq.corp.internal/",
            f"mysql://shop:{pw}@mysql.internal:3306/shop",
            f"redis://:{pw}@cache.internal:6379/0",
            f"rediss://default:{pw}@redis.corp.internal:6380",
            f"postgresql://billing:{pw}@pg.internal:5432/billing",
        ])
        path, t = [("deploy/.env", "DATABASE_URL={u}"), ("app/settings.py", 'BROKER_URL = "{u}"'),
                   ("deploy/values.yaml", "  url: {u}"), ("docs/ops.md", "Connect with `{u}`.")][i % 4]
        c.add(path, t.format(u=url), "db-url")


def gen_generic_code(c: Corpus, n: int) -> None:
    templates = [
        ("app/client.py", 'api_key = "{v}"'),
        ("web/api.ts", 'const apiToken = "{v}";'),
        ("conf/app.json", '  "client_secret": "{v}",'),
        ("svc/client.go", '\tToken: "{v}",'),
        ("config/initializers/secret.rb", "config.secret_key_base = '{h}'"),
        ("web/webhooks.js", "  webhookSecret: '{v}',"),
        ("app/Client.java", 'String accessToken = "{v}";'),
        ("app/Client.kt", 'val authToken = "{v}"'),
        ("app/Client.cs", 'ApiKey = "{v}";'),
        ("app/config.php", "'api_key' => '{v}',"),
        ("app/config.php", "define('SECRET_KEY', '{v}');"),
        ("web/api.ts", 'headers["X-API-Key"] = "{v}";'),
        ("app/client.py", 'client.set_api_key("{v}")'),
    ]
    for _ in range(n):
        path, t = c.rng.choice(templates)
        c.filler(path, 1)
        c.add(path, t.format(v=c.rand(c.rng.choice([24, 32, 40])), h=c.rand(64, "0123456789abcdef")),
              "generic-code")


def gen_comments(c: Corpus, n: int) -> None:
    for i in range(n):
        t = c.rng.choice([
            '# old creds: password = "{p}"',
            "// TODO remove before release: token={v}",
            "-- admin password: {p}",
            "/* api key: {v} */",
            "# staging login: admin / password={p}",
        ])
        path = ["app/models.py", "web/app.js", "db/schema.sql", "svc/main.go"][i % 4]
        c.filler(path, 1)
        c.add(path, t.format(p=c.word_password(), v=c.rand(32)), "comment")


def gen_concat(c: Corpus, n: int) -> None:
    for i in range(n):
        v = c.rand(32)
        cut = c.rng.randrange(3, 8)  # a short first part, so only the joined value reads as a secret
        t = [f'API_TOKEN = "{v[:cut]}" + "{v[cut:]}"', f"const secret = '{v[:cut]}' + '{v[cut:]}';",
             f'String password = "{v[:cut]}" + "{v[cut:]}";'][i % 3]
        path = ["app/split.py", "web/split.js", "app/Split.java"][i % 3]
        c.add(path, t, "concat")


def gen_env_files(c: Corpus, n: int) -> None:
    for i in range(n):
        path = "deploy/.env" if i % 2 else f"instances/{c.rng.choice(['acme', 'globex', 'initech'])}/.env"
        c.filler(path, 1)
        key, value = c.rng.choice([
            ("DB_PASSWORD", c.word_password()), ("SMTP_PASSWORD", c.password()), ("SECRET_KEY", c.rand(40)),
            ("API_TOKEN", c.rand(32)), ("REDIS_PASSWORD", c.word_password()), ("JWT_SECRET", c.rand(48)),
        ])
        c.add(path, f"{key}={value}", "env-file")


def gen_helm(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"charts/app{i % 4}/values.yaml"
        c.add(path, "postgresql:\n  auth:\n    username: app")
        c.add(path, f"    password: {c.word_password()}", "helm-values")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def gen_k8s(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"k8s/secret-{i}.yaml"
        c.add(path, f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-{i}\ntype: Opaque\ndata:")
        c.add(path, f"  DB_PASSWORD: {_b64(c.password())}", "k8s-secret-data")
        c.add(path, f"  DB_USER: {_b64('app')}")
        placeholder = c.rng.choice(["changeme", "REPLACE_ME", "<password>", "${DB_PASSWORD}", "xxxxxxxx", "TODO"])
        c.add(path, f"  API_TOKEN: {_b64(placeholder)}", "decoy-k8s-placeholder", positive=False)
        c.add(path, "stringData:")
        c.add(path, f"  smtp-password: {c.word_password()}", "k8s-stringdata")
        dep = f"k8s/deployment-{i}.yaml"
        c.add(dep, "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
                   "        - name: app\n          env:\n            - name: DB_PASSWORD")
        c.add(dep, f'              value: "{c.password()}"', "k8s-env-value")
        c.add(dep, "            - name: API_KEY")
        c.add(dep, '              value: "${API_KEY}"', "decoy-placeholder", positive=False)
        c.add(dep, "            - name: LOG_LEVEL\n              value: debug")


def gen_notebooks(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"notebooks/analysis-{i}.ipynb"
        token = c.rand(40)
        pw = c.word_password()
        cells = [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis\n", "Set your password: <password>\n"]},
            {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [
                {"name": "stdout", "output_type": "stream", "text": ["connected\n", f"password: {pw}\n"]}],
             "source": ["import requests\n", f'api_key = "{token}"\n', "requests.get(URL)"]},
        ]
        doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        text = json.dumps(doc, indent=1)
        for line in text.split("\n"):
            if "api_key" in line or ("password: " in line and "<password>" not in line):
                c.add(path, line, "notebook")
            elif "<password>" in line:
                c.add(path, line, "decoy-placeholder", positive=False)
            else:
                c.add(path, line)


def gen_encoded(c: Corpus, n: int) -> None:
    for i in range(n):
        if i % 2:
            inner = f"db_password: {c.rand(16)}"
            c.add(f"blobs/config-{i}.b64", _b64(inner), "base64-line")
        else:
            token = "ghp" + "%5F" + c.rand(36)
            c.add("docs/links.md", f"https://api.github.com/?access={token}", "percent-escape")


def gen_gcp(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"keys/sa-{i}.json"
        body = "\\n".join(c.rand(64, ALNUM + "+/") for _ in range(12))
        c.add(path, "{\n  \"type\": \"service_account\",\n  \"project_id\": \"billing-prod\",")
        c.add(path, f'  "private_key_id": "{c.rand(40, "0123456789abcdef")}",', "decoy-gcp-key-id", positive=False)
        pem = "-----BEGIN " + "PRIVATE KEY-----\\n" + body + "\\n-----END " + "PRIVATE KEY-----\\n"
        c.add(path, f'  "private_key": "{pem}",', "gcp-private-key")
        c.add(path, f'  "client_email": "sa@billing-prod.iam.gserviceaccount.com",\n  "client_id": "{c.rand(21, string.digits)}"\n}}')


def gen_public_by_design(c: Corpus, n: int) -> None:
    for i in range(n):
        path = f"web/firebase-{i}.js"
        c.add(path, "const firebaseConfig = {")
        c.add(path, f'  apiKey: "AIza{c.rand(35, ALNUM + "-_")}",', "decoy-firebase", positive=False)
        c.add(path, f'  authDomain: "app-{i}.firebaseapp.com",\n  projectId: "app-{i}",\n'
                    f'  appId: "1:{c.rand(12, string.digits)}:web:{c.rand(22, "0123456789abcdef")}"\n}};')
        header = base64.urlsafe_b64encode(json.dumps({"u": "acme", "a": c.rand(20).lower()}).encode()).decode().rstrip("=")
        mapbox = "pk." + header + "." + c.rand(22, ALNUM + "-_")
        c.add(f"web/map-{i % 3}.js", f"mapboxgl.accessToken = '{mapbox}';", "decoy-mapbox", positive=False)
        site = "6L" + c.rand(38, ALNUM + "-_")
        c.add(f"web/form-{i % 3}.html", f'<div class="g-recaptcha" data-sitekey="{site}"></div>', "decoy-recaptcha",
              positive=False)
        c.add("deploy/.env.recaptcha", f"RECAPTCHA_SITE_KEY={site}", "decoy-recaptcha", positive=False)
        c.add("deploy/.env.recaptcha", f"RECAPTCHA_SECRET_KEY=6L{c.rand(38, ALNUM + '-_')}", "recaptcha-secret")


def gen_decoys(c: Corpus, n: int) -> None:
    i18n = [('"password_label": "Mot de passe",', "locales/fr.json"),
            ('"token_expired": "Your session token has expired",', "locales/en.json"),
            ("password: Passwort eingeben", "config/locales/de.yml"),
            ('"api_key_hint": "Clave de API",', "locales/es.json"),
            ('"secret": "Geheimnis",', "locales/de.json")]
    placeholders = [
        ("deploy/values.yaml", "  password: changeme"), ("deploy/.env.example", "API_KEY=${API_KEY}"),
        ("charts/app/templates/secret.yaml", "  password: {{ .Values.db.password }}"),
        ("app/settings.py", 'token = "<your-token>"'), ("conf/app.yaml", "secret: xxx"),
        ("app/settings.py", 'password = os.environ["DB_PASSWORD"]'),
        ("app/client.py", 'api_key = get_secret("billing/api-key")'),
        ("app/models.py", "def login(username: str, password: str) -> bool:"),
        ("app/settings.py", 'password = "your-password-here"'), ("deploy/.env.example", "SECRET_KEY=REPLACE_ME"),
        ("conf/app.json", '  "password": "********",'), ("web/config.js", "const apiKey = process.env.API_KEY;"),
        ("docs/setup.md", "password: <your password>"), ("app/Db.java", "String password = System.getenv(\"DB_PASS\");"),
        ("svc/config.go", '\tPassword: os.Getenv("DB_PASSWORD"),'), ("deploy/.env.example", "DB_PASSWORD="),
        ("app/settings.py", "SECRET_KEY = settings.SECRET_KEY"),
    ]
    for _ in range(n):
        text, path = c.rng.choice(i18n)
        c.add(path, text, "decoy-i18n", positive=False)
        path, text = c.rng.choice(placeholders)
        c.add(path, text, "decoy-placeholder", positive=False)


def gen_more_syntaxes(c: Corpus, n: int) -> None:
    """Places real repositories put credentials that none of the named kinds covers."""
    for i in range(n):
        pw = c.password().replace("@", "!").replace(":", "!")
        choice = i % 8
        if choice == 0:
            c.add("svc/db.go", f'dsn := "app:{pw}@tcp(mysql.internal:3306)/shop?parseTime=true"', "mysql-dsn")
        elif choice == 1:
            c.add(f"home/u{i % 3}/.pgpass", f"db.internal:5432:billing:app:{pw}", "pgpass")
        elif choice == 2:
            c.add("conf/app.properties", f"db.url=jdbc:postgresql://pg.internal/app?user=app&password={pw}", "jdbc-param")
        elif choice == 3:
            c.add(f"etc/mysql/my-{i}.cnf", f"[client]\nuser = backup\npassword = {pw}", "my-cnf", label_line=2)
        elif choice == 4:
            c.add("docker-compose.yml", f"      - POSTGRES_PASSWORD={pw}", "compose-env")
        elif choice == 5:
            c.add("infra/main.tf", f'  password = "{pw}"', "terraform")
        elif choice == 6:
            c.add(".github/workflows/deploy.yml", f"      API_TOKEN: {c.rand(36)}", "ci-env")
        else:
            c.add("appsettings.json", f'    "ConnectionString": "Server=sql.internal;Database=app;User Id=app;Password={pw};"',
                  "connection-string")


def gen_more_decoys(c: Corpus, n: int) -> None:
    """Things that look like credentials in real repositories and are not."""
    decoys = [
        ("infra/main.tf", "  password = var.db_password"),
        ("infra/main.tf", '  password = "${var.db_password}"'),
        ("ansible/group_vars/all.yml", 'db_password: "{{ vault_db_password }}"'),
        ("ansible/group_vars/all.yml", "db_password: !vault |"),
        ("secrets.enc.yaml", "    password: ENC[AES256_GCM,data:" + c.rand(24) + ",iv:" + c.rand(22) + "=,tag:" + c.rand(22) + "==,type:str]"),
        ("app/schemas.py", "    password: str = Field(..., min_length=12)"),
        ("tests/test_login.py", 'client.login(username="user", password="password")'),
        ("docker-compose.yml", "      - POSTGRES_PASSWORD=postgres"),
        ("docs/api.md", "curl https://user:pass@example.com/api"),
        ("db/seed.sql", "INSERT INTO users VALUES ('admin', '$2b$12$" + c.rand(53, ALNUM + "./") + "');"),
        ("app/forms.py", 'password = forms.CharField(widget=forms.PasswordInput, label="Password")'),
        ("web/Login.tsx", '<input type="password" name="password" placeholder="Password" />'),
        ("app/config.py", 'SECRET_KEY = os.environ.get("SECRET_KEY")'),
        (".github/workflows/deploy.yml", "      API_TOKEN: ${{ secrets.API_TOKEN }}"),
        ("k8s/deploy.yaml", "              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password"),
        ("README.md", "Set `DB_PASSWORD` to a strong password before deploying."),
    ]
    for _ in range(n):
        path, text = c.rng.choice(decoys)
        c.add(path, text, "decoy-real-world", positive=False)


def _jwt(c: Corpus, role: str) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

    claims = {"iss": "supabase", "ref": c.rand(20, string.ascii_lowercase), "role": role, "iat": 1700000000}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{c.rand(43, ALNUM + '-_')}"


def gen_more_public_by_design(c: Corpus, n: int) -> None:
    """Public keys of more providers beside their secret twins: the decoys must be notes at most."""
    hexd = "0123456789abcdef"
    for i in range(n):
        c.add(f"web/checkout-{i % 3}.js", f"const stripe = Stripe('pk_live_{c.rand(24)}');",
              "decoy-stripe-publishable", positive=False)
        uuid = "-".join(c.rand(k, hexd) for k in (8, 4, 4, 4, 12))
        c.add(f"web/signup-{i % 3}.html", f'<div class="h-captcha" data-sitekey="{uuid}"></div>', "decoy-hcaptcha",
              positive=False)
        c.add("deploy/.env.turnstile", f"TURNSTILE_SITE_KEY=0x4AAAAAAA{c.rand(14, ALNUM + '-_')}", "decoy-turnstile",
              positive=False)
        c.add(f"web/sentry-{i % 3}.ts", f"Sentry.init({{ dsn: 'https://{c.rand(32, hexd)}@o{c.rand(6, string.digits)}"
                                        f".ingest.sentry.io/{c.rand(7, string.digits)}' }});", "decoy-sentry-dsn",
              positive=False)
        c.add("deploy/.env.algolia", f"ALGOLIA_SEARCH_API_KEY={c.rand(32, hexd)}", "decoy-algolia-search",
              positive=False)
        c.add("deploy/.env.algolia", f"ALGOLIA_ADMIN_API_KEY={c.rand(32, hexd)}", "algolia-admin-key")
        path = f"android/app-{i}/google-services.json"
        c.add(path, '{\n  "project_info": {"project_number": "' + c.rand(12, string.digits) + '"},\n  "client": [{')
        c.add(path, '    "client_info": {"mobilesdk_app_id": "1:' + c.rand(12, string.digits) + ':android:'
                    + c.rand(16, hexd) + '"},')
        # a mobile config's key is judged a secret (CredData labels it one): see scan/rules/public.py
        c.add(path, f'    "api_key": [{{"current_key": "AIza{c.rand(35, ALNUM + "-_")}"}}]', "gcp-key-mobile-config")
        c.add(path, "  }]\n}")
        c.add("web/.env.supabase", f"NEXT_PUBLIC_SUPABASE_ANON_KEY={_jwt(c, 'anon')}", "decoy-supabase-anon",
              positive=False)
        c.add("web/.env.supabase", f"SUPABASE_SERVICE_ROLE_KEY={_jwt(c, 'service_role')}", "supabase-service-role")
        claims = base64.urlsafe_b64encode(json.dumps({"u": "acme", "a": c.rand(20).lower()}).encode()).decode()
        c.add("deploy/.env.mapbox", f"MAPBOX_UPLOAD_TOKEN=sk.{claims.rstrip('=')}.{c.rand(22, ALNUM + '-_')}",
              "mapbox-secret")


GENERATORS = (gen_passwords, gen_doppler, gen_netrc, gen_cli, gen_basic_auth, gen_db_urls, gen_generic_code,
              gen_comments, gen_concat, gen_env_files, gen_helm, gen_k8s, gen_notebooks, gen_encoded, gen_gcp,
              gen_public_by_design, gen_decoys, gen_more_syntaxes, gen_more_decoys, gen_more_public_by_design)


def build(root: Path, per_kind: int, seed: int) -> Corpus:
    corpus = Corpus(root=root, rng=random.Random(seed))
    for gen in GENERATORS:
        gen(corpus, per_kind)
    corpus.write()
    return corpus


def scan(root: Path, min_confidence: str) -> list[dict[str, object]]:
    out = root.parent / "findings.json"
    # run inside the tree: paths come out relative to it whichever base the reporters use
    subprocess.run([sys.executable, "-m", "secretwarden", "scan", ".", "--no-ignore", "--no-baseline",
                    "--min-confidence", min_confidence, "--format", "json", "-o", str(out)], check=False,
                   cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    findings: list[dict[str, object]] = json.loads(out.read_text())["findings"]
    return findings


def score(corpus: Corpus, findings: list[dict[str, object]], misses: int) -> None:
    # Notes (public-by-design keys) fail nothing: they are neither hits on a secret nor false
    # alarms on a decoy; the `notes` column counts the labelled lines listed as one.
    hit_lines = {(str(f["path"]).removeprefix("./"), int(str(f["line"]))) for f in findings
                 if f.get("severity") != "note"}
    note_lines = {(str(f["path"]).removeprefix("./"), int(str(f["line"]))) for f in findings
                  if f.get("severity") == "note"}
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0, "neg": 0, "notes": 0})
    examples: dict[str, list[str]] = defaultdict(list)
    for (path, line), label in sorted(corpus.labels.items()):
        row = per_kind[label.kind]
        hit = (path, line) in hit_lines
        row["notes"] += (path, line) in note_lines
        if label.positive:
            row["tp" if hit else "fn"] += 1
        else:
            row["neg"] += 1
            row["fp"] += hit
        if hit != label.positive:
            examples[label.kind].append(f"{path}:{line}: {corpus.files[path][line - 1].strip()[:140]}")
    unlabelled = sorted(hit_lines - corpus.labels.keys())
    total = {"tp": 0, "fn": 0, "fp": 0}
    print("| kind | planted | decoys | TP | FN | FP | notes | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in sorted(per_kind, key=lambda k: (k.startswith("decoy"), k)):
        r = per_kind[kind]
        for key in total:
            total[key] += r[key]
        print(_row(kind, r["tp"] + r["fn"], r["neg"], r["tp"], r["fn"], r["fp"], r["notes"]))
    total["fp"] += len(unlabelled)
    notes = sum(r["notes"] for r in per_kind.values())
    print(_row(f"**all** (+{len(unlabelled)} unlabelled)", total["tp"] + total["fn"], 0, total["tp"],
               total["fn"], total["fp"], notes))
    stray = len(note_lines - corpus.labels.keys())
    if stray:
        print(f"\n{stray} note(s) on unlabelled lines")
    if misses:
        for kind, lines in sorted(examples.items()):
            print(f"\n== {kind}: {len(lines)} wrong")
            for text in lines[:misses]:
                print("  " + text)
        if unlabelled:
            print(f"\n== unlabelled findings: {len(unlabelled)}")
            for path, line in unlabelled[:misses]:
                print(f"  {path}:{line}: {corpus.files[path][line - 1].strip()[:140]}")


def _row(kind: str, planted: int, decoys: int, tp: int, fn: int, fp: int, notes: int) -> str:
    dash = "—"
    if not planted:  # decoys only: what matters is how many were reported
        return f"| {kind} | 0 | {decoys} | — | — | {fp} | {notes} | {dash} | {dash} | {dash} |"
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f"| {kind} | {planted} | {decoys} | {tp} | {fn} | {fp} | {notes} | {p:.3f} | {r:.3f} | {f1:.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=40, help="planted items per generator (default 40)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--min-confidence", default="medium", choices=["low", "medium", "high"])
    parser.add_argument("--misses", type=int, default=0, help="print N wrong lines per kind")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="warden-corpus-"))
    root = (args.keep or base / "corpus").resolve()
    if root.exists():
        shutil.rmtree(root)
    try:
        corpus = build(root, args.per_kind, args.seed)
        findings = scan(root, args.min_confidence)
        print(f"corpus: {len(corpus.files)} files, {sum(len(v) for v in corpus.files.values())} lines, "
              f"{sum(1 for lb in corpus.labels.values() if lb.positive)} planted secrets, "
              f"{sum(1 for lb in corpus.labels.values() if not lb.positive)} decoys; "
              f"--min-confidence {args.min_confidence}\n")
        score(corpus, findings, args.misses)
        print(f"\nload average (1 min) after the scan: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
