"""`startup-validation`: each service with source code validates its secrets at start-up.

Evidence of fail-fast validation, strongest first: `warden check` / `warden
run` in the service's files (entrypoint, Dockerfile, package scripts); the
project's runtime helper (`secretwarden.runtime`); or a settings schema that
names every required key (pydantic-settings `BaseSettings`, zod `z.object`,
envalid `cleanEnv`, Go `envconfig`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import normalise

WARDEN_GATE = re.compile(r"\bwarden\b[^\n]{0,80}?\b(?:check|run)\b|secretwarden\.runtime\b")
SCHEMA = re.compile(
    r"\bBaseSettings\b|\bz\.object\s*\(|\bcleanEnv\s*\(|\benvconfig\b"
    # modules written by `warden render schema` (the dependency-free TypeScript one has no library name)
    r"|warden render schema --service \S+ --lang (?:zod|pydantic|envconfig|ts-types)\b"
)


def _required(ctx: LintContext, service: str) -> list[str]:
    from secretwarden.lint.rules.consistency import service_needs

    return sorted(service_needs(ctx)[service].required)


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, info in ctx.services.items():
        if info.source is None:
            continue
        prefix = "" if info.source == "." else info.source + "/"
        files = ctx.files_under(prefix)
        if not files:
            continue
        schema_text: list[str] = []
        gated = False
        for path in files:
            text = ctx.text(path) or ""
            if WARDEN_GATE.search(text):
                gated = True
                break
            if SCHEMA.search(text):
                schema_text.append(text)
        if gated:
            continue
        line, col = ctx.contract_position("services", name, "source")
        where = ctx.contract_file or "warden.yaml"
        if not schema_text:
            yield RULE.finding(
                where, line, col,
                f"service `{name}` ({info.source}) has no fail-fast validation of its secrets at start-up",
                service=name,
            )
            continue
        blob = "\n".join(schema_text)
        folded = normalise(blob)
        missing = [k for k in _required(ctx, name) if k not in blob and normalise(k) not in folded]
        if missing:
            yield RULE.finding(
                where, line, col,
                f"service `{name}`: the settings schema does not name required key(s) {', '.join(missing)}",
                service=name,
            )


CONTRACT = """\
version: 1
project: demo
environments: {dev: {}}
namespaces:
  api: {path: /services/api}
  web: {path: /services/web}
  worker: {path: /services/worker}
services:
  api:
    namespace: api
    source: services/api
    secrets: {API_TOKEN: {}, DB_PASSWORD: {}, FEATURE_FLAGS: {required: false}}
  web:
    namespace: web
    source: services/web
    secrets: {SESSION_SECRET: {}}
  worker:
    namespace: worker
    source: services/worker
    secrets: {QUEUE_PASSWORD: {}}
"""

RULE = Rule(
    id="startup-validation",
    title="No fail-fast validation of secrets at start-up",
    severity="warning",
    rationale="A service that starts without its secrets fails later, on a customer's request, with a worse error.",
    fix="Start through `warden check`/`warden run`, call `secretwarden.runtime.require(...)`, or declare every required key in a settings schema.",
    check=check,
    needs_contract=True,
    failing=Example(
        contract=CONTRACT,
        files={
            "services/api/settings.py": "from pydantic_settings import BaseSettings\n\n"
            "class Settings(BaseSettings):\n    api_token: str\n",
            "services/web/server.js": "const s = process.env.SESSION_SECRET\n",
            "services/worker/main.go": "package main\n",
        },
        expect=(
            ("startup-validation", "warden.yaml", 11),
            ("startup-validation", "warden.yaml", 15),
            ("startup-validation", "warden.yaml", 19),
        ),
    ),
    passing=Example(
        contract=CONTRACT,
        files={
            "services/api/settings.py": "from pydantic_settings import BaseSettings\n\n"
            "class Settings(BaseSettings):\n    api_token: str\n    db_password: str\n",
            "services/web/env.ts": "export const env = z.object({ SESSION_SECRET: z.string().min(32) }).parse(process.env)\n",
            "services/worker/Dockerfile": 'ENTRYPOINT ["warden", "run", "--service", "worker", "--env", "prod", "--", "/worker"]\n',
        },
    ),
)
RULES = (RULE,)
