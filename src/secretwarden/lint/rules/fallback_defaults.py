"""`fallback-default`: `${VAR:-default}` for a required value hides a missing secret."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.lint.context import LintContext, basename, is_env_file
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import normalise
from secretwarden.lint.rules import line_col

# ${VAR:-x}, ${VAR-x}, ${VAR:-}, ${VAR:=x} (assigns the default); not ${VAR:?msg}, ${VAR?msg}, ${VAR:+x}.
FALLBACK = re.compile(r"\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-=])(?P<default>[^}]*)\}")
SAFE_DEFAULT = re.compile(r"#\s*safe-default:\s*\S")
_SHELL_SUFFIXES = (".sh", ".bash")


def applies_to(path: str) -> bool:
    name = basename(path)
    return path.endswith((".yaml", ".yml", *_SHELL_SUFFIXES)) or is_env_file(path) or name == "Dockerfile"


def check(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        if not applies_to(path):
            continue
        text = ctx.text(path)
        if not text or "${" not in text:
            continue
        for match in FALLBACK.finditer(text):
            var = match.group("var")
            # A key the contract declares is judged by `required` alone (an optional
            # key may default); any other key by its name.
            declared = normalise(var) in ctx.declared
            required = normalise(var) in ctx.required
            if not (required if declared else ctx.is_secret(var)):
                continue
            default = match.group("default")
            if default.startswith("$"):
                continue  # falls back to another variable or a file read, not to a literal
            # (also `\"${VAR:-}\"`, the same test written inside a quoted YAML string)
            quoted = text[match.start() - 1 : match.start()] == '"' and text[match.end() : match.end() + 1] in ('"', "\\")
            if not default and quoted:
                continue  # `"${VAR:-}"`: a shell's presence test under `set -u`, no fallback value
            line, col = line_col(text, match.start())
            if SAFE_DEFAULT.search(text.splitlines()[line - 1]):
                continue
            why = "the contract marks it required" if required else "its name marks it as a secret"
            yield RULE.finding(
                path, line, col,
                f"`{var}` falls back to a default ({match.group('op')}) although {why}",
                fix=f"use ${{{var}:?{var} is required}} so a missing value stops the start",
            )


RULE = Rule(
    id="fallback-default",
    title="Untagged fallback default for a required value",
    severity="error",
    rationale="A default for a required secret turns a missing secret into a silently weak one.",
    fix="Use `${VAR:?VAR is required}`; tag a deliberate default with `# safe-default: <reason>`.",
    check=check,
    failing=Example(
        files={
            "docker-compose.yml": "services:\n  api:\n    environment:\n"
            "      DB_PASSWORD: ${DB_PASSWORD:-changeme}\n      API_TOKEN: ${API_TOKEN:-}\n"
            "      SMTP_PASS: ${SMTP_PASS:-x}\n      LDAP_PWD: ${LDAP_PWD-x}\n"
            "      GCP_CREDENTIALS: ${GCP_CREDENTIALS:-{}}\n      SENTRY_DSN: ${SENTRY_DSN:=https://k@o.example/1}\n",
            "deploy/.env.example": "SESSION_SECRET=${SESSION_SECRET-dev}\n",
        },
        expect=(
            ("fallback-default", "deploy/.env.example", 1),
            ("fallback-default", "docker-compose.yml", 4),
            ("fallback-default", "docker-compose.yml", 5),
            ("fallback-default", "docker-compose.yml", 6),
            ("fallback-default", "docker-compose.yml", 7),
            ("fallback-default", "docker-compose.yml", 8),
            ("fallback-default", "docker-compose.yml", 9),
        ),
    ),
    passing=Example(
        files={
            "docker-compose.yml": "services:\n  api:\n    environment:\n"
            "      DB_PASSWORD: ${DB_PASSWORD:?DB_PASSWORD is required}\n"
            "      PORT: ${PORT:-3000}\n"
            "      LOG_TOKEN_TTL: ${LOG_TOKEN_TTL:-15m}\n      BYPASS: ${BYPASS:-0}\n"
            "      SMTP_PASS_FILE: ${SMTP_PASS_FILE:-/run/secrets/smtp}\n"
            "      PGPASSWORD: ${PGPASSWORD:-$(cat /run/secrets/pg)}\n"
            "    command: ['sh', '-c', 'pw=\"${DB_PASSWORD:-}\"; [ -n \"$pw\" ] || exit 1']\n"
            "      API_TOKEN: ${API_TOKEN:-} # safe-default: local mock server ignores it\n",
        },
    ),
)
RULES = (RULE,)
