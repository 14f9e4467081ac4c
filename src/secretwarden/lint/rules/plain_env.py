"""`plain-env-secret`: a secret-named container env var with a literal `value:`."""

from __future__ import annotations

from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.k8s import containers, workloads
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.yamlpos import get, pos, scalar, seq


def check(ctx: LintContext) -> Iterator[Finding]:
    for obj in workloads(ctx):
        for container in containers(obj):
            for entry in seq(get(container, "env")):
                name = scalar(get(entry, "name"))
                value = get(entry, "value")
                if not name or value is None or scalar(value) is None or not ctx.is_secret(name):
                    continue
                line, col = pos(value)
                yield RULE.finding(
                    obj.file, line, col,
                    f"{obj.kind} `{obj.name or '?'}` sets secret `{name}` from a literal `value:`",
                )


RULE = Rule(
    id="plain-env-secret",
    title="Secret in a plain env entry",
    severity="error",
    rationale="A literal env value lives in the manifest, the API server and every `kubectl get -o yaml`.",
    fix="Use `valueFrom.secretKeyRef` pointing at the service's Secret (made by its ExternalSecret).",
    check=check,
    failing=Example(
        files={"k8s/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
               "  template:\n    spec:\n      containers:\n        - name: api\n          env:\n"
               "            - name: PORT\n              value: \"3000\"\n"
               "            - name: DB_PASSWORD\n              value: literal-example-pw\n"},
        expect=(("plain-env-secret", "k8s/api.yaml", 13),),
    ),
    passing=Example(
        files={"k8s/api.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\nspec:\n"
               "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
               "            - name: job\n              env:\n                - name: DB_PASSWORD\n"
               "                  valueFrom:\n                    secretKeyRef: {name: job-secrets, key: DB_PASSWORD}\n"},
    ),
)
RULES = (RULE,)
