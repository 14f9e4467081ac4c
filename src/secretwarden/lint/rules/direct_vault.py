"""`direct-vault`: application code importing a Vault client without the contract's consent.

The default path is External Secrets Operator -> Kubernetes Secret -> env var.
A service may talk to Vault directly only when its contract entry says
`access: direct-vault` with a written justification. With a contract, a
service's application source is its `source:` folder and files outside every
service's source are not judged. Without a contract every application file
that imports a Vault client is reported (declare the service with
`access: direct-vault` once a contract exists). Tests and benchmarks are not
application code, nor is a module dedicated to Vault (a path part naming
`vault` or `bao`): that is the adapter a justification would describe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.rules import line_col

VAULT_IMPORTS = {
    "python": re.compile(r"^[ \t]*(?:import[ \t]+hvac\b|from[ \t]+hvac\b)", re.MULTILINE),
    "js": re.compile(
        r"""(?:require\(\s*|from\s+|import\s+)['"](?:node-vault|hashi-vault-js|@hashicorp/vault[\w/-]*)['"]"""
    ),
    "go": re.compile(r'"github\.com/(?:hashicorp/vault|openbao/openbao)/api(?:/v\d+)?"'),
}

CONTRACT = """\
version: 1
project: demo
environments: {dev: {}}
namespaces:
  billing: {path: /services/billing}
  reports: {path: /services/reports}
services:
  billing:
    namespace: billing
    source: services/billing
    secrets: {BILLING_TOKEN: {}}
  reports:
    namespace: reports
    source: services/reports
    access: direct-vault
    justification: reads short-lived database credentials from Vault's database engine
    secrets: {REPORTS_DB_ROLE: {sensitive: false}}
"""


NOT_APPLICATION = re.compile(
    r"(^|/)(tests?|testing|spec|bench|benchmarks?|e2e|fixtures|examples?)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$"
)
VAULT_MODULE = re.compile(r"(^|/)[^/]*(vault|bao)[^/]*/|(^|/)[^/]*(vault|bao)[^/]*\.\w+$", re.IGNORECASE)


def check(ctx: LintContext) -> Iterator[Finding]:
    for path, lang in ctx.source_files():
        info = ctx.service_of(path)
        if ctx.contract is None:
            if NOT_APPLICATION.search(path) or VAULT_MODULE.search(path):
                continue
        elif info is None or info.access == "direct-vault":
            continue
        text = ctx.text(path)
        if not text:
            continue
        match = VAULT_IMPORTS[lang].search(text)
        if match is None:
            continue
        line, col = line_col(text, match.start())
        while col <= len(text.splitlines()[line - 1]) and text.splitlines()[line - 1][col - 1] in " \t":
            col += 1
        if info is None:
            yield RULE.finding(
                path, line, col, "application code imports a Vault client directly (no warden.yaml declares it)",
                fix="read the value from the environment, or, once a warden.yaml exists, declare the service "
                "with `access: direct-vault` and a `justification`",
            )
            continue
        yield RULE.finding(
            path, line, col,
            f"service `{info.name}` imports a Vault client but its contract access is `{info.access}`",
            service=info.name,
        )


RULE = Rule(
    id="direct-vault",
    title="Vault client in application code without `access: direct-vault`",
    severity="error",
    rationale="Direct Vault access bypasses the External Secrets bridge and spreads Vault tokens into apps; it needs a written reason.",
    fix="Read the value from the environment (ExternalSecret -> Secret -> env), or declare `access: direct-vault` with a `justification`.",
    check=check,
    failing=Example(
        contract=CONTRACT,
        files={"services/billing/app.py": "import os\nimport hvac\n",
               "services/billing/web/index.ts": "import Vault from 'node-vault'\n"},
        expect=(("direct-vault", "services/billing/app.py", 2),
                ("direct-vault", "services/billing/web/index.ts", 1)),
    ),
    passing=Example(
        contract=CONTRACT,
        files={"services/billing/app.py": "import os\nTOKEN = os.environ['BILLING_TOKEN']\n",
               "services/reports/main.go": 'package main\n\nimport vault "github.com/hashicorp/vault/api"\n',
               "tools/sync.py": "import hvac\n"},
    ),
)
RULES = (RULE,)
