"""Env files where they must not be: tracked `.env`, env files in deploy paths,
and `.env.example` files holding values that could work."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.lint.context import ENV_EXAMPLE_NAMES, LintContext, basename, is_env_file
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import is_placeholder

ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<var>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")


# `.env.production.example`, `.env.docker.sample`, `.env.dist`: a template, whatever comes between
_EXAMPLE_PART = frozenset(["example", "sample", "template", "dist", "defaults", "tmpl", "tpl"])
# `.env.patch`, `.env.d.ts`, `.env.md`: a patch, code or a page about env files, not one
_NOT_ENV_SUFFIX = frozenset(["patch", "diff", "orig", "rej", "md", "rst", "txt", "ts", "js", "mjs", "cjs", "py",
                             "go", "rb", "json", "schema", "sh", "bak", "swp", "lock"])


def _is_example(path: str) -> bool:
    name = basename(path)
    return name in ENV_EXAMPLE_NAMES or bool(_EXAMPLE_PART & set(name.lower().split(".")[2:]))


def _is_env_name(name: str) -> bool:
    if not (name == ".env" or name.startswith(".env.")):
        return False
    return name.rsplit(".", 1)[-1].lower() not in _NOT_ENV_SUFFIX


def check_tracked(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        if not _is_env_name(basename(path)) or _is_example(path):
            continue
        if ctx.tracked is not None and path not in ctx.tracked:
            continue  # present but untracked: the ignore rules keep it out (or `required-ignore` says so)
        yield TRACKED.finding(path, 1, 1, f"env file `{path}` is committed to git")


def check_deploy(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        name = basename(path)
        if name.startswith(".env") and (not _is_env_name(name) or _is_example(path)):
            continue  # a template or a patch, not values delivered to a server
        if is_env_file(path) and ctx.in_deploy_path(path):
            yield DEPLOY.finding(path, 1, 1, f"env file `{path}` sits in a deployment path")


def _strip_value(raw: str) -> str:
    value = raw
    if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
        return value[1:-1]
    return value.split(" #", 1)[0].strip()


def check_example(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        if not _is_example(path):
            continue
        for number, line in enumerate(ctx.lines(path), start=1):
            match = ASSIGNMENT.match(line)
            if not match or not ctx.is_secret(match.group("var")):
                continue
            value = _strip_value(match.group("value"))
            if value and not is_placeholder(value):
                yield EXAMPLE_VALUE.finding(
                    path, number, match.start("value") + 1,
                    f"`{match.group('var')}` in `{path}` has a value that is not a clear placeholder",
                )


TRACKED = Rule(
    id="env-file-tracked",
    title="Env file committed to git",
    severity="error",
    rationale="A committed .env file puts live values in every clone and in history forever.",
    fix="`git rm --cached` the file, ignore it, rotate what it held; commit a .env.example instead.",
    check=check_tracked,
    failing=Example(files={".env": "PORT=3000\n", "svc/.env.local": "PORT=1\n"},
                    expect=(("env-file-tracked", ".env", 1), ("env-file-tracked", "svc/.env.local", 1))),
    passing=Example(files={".env.example": "PORT=3000\n", ".gitignore": ".env\n", "src/app.py": "x = 1\n"}),
)
DEPLOY = Rule(
    id="env-file-in-deploy-path",
    title="Env file in a deployment path",
    severity="error",
    rationale="Deployment paths ship to servers; an env file there is a secret delivery channel outside the contract.",
    fix="Deliver values through the store (ExternalSecret or `warden run`); keep env files out of deploy paths.",
    check=check_deploy,
    failing=Example(
        files={"deploy/prod.env": "PORT=1\n", "instances/acme/app.env": "PORT=2\n"},
        expect=(("env-file-in-deploy-path", "deploy/prod.env", 1),
                ("env-file-in-deploy-path", "instances/acme/app.env", 1)),
    ),
    passing=Example(files={"deploy/app.yaml": "kind: x\n", "app/.env.example": "PORT=3000\n"}),
)
EXAMPLE_VALUE = Rule(
    id="env-example-value",
    title=".env.example with a working-looking value",
    severity="error",
    rationale="Example files are copied verbatim; a real-looking value becomes a shared credential.",
    fix="Replace the value with an empty string or an obvious placeholder such as <set-me>.",
    check=check_example,
    failing=Example(
        files={".env.example": "PORT=3000\nDB_PASSWORD=example-pw-4f9a\n"},
        expect=(("env-example-value", ".env.example", 2),),
    ),
    passing=Example(files={".env.example": "PORT=3000\nDB_PASSWORD=\nAPI_TOKEN=<your-token>\nJWT_SECRET=changeme\n"}),
)
RULES = (TRACKED, DEPLOY, EXAMPLE_VALUE)
