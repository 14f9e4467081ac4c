"""`plain-env-secret`: a secret in a container env var's `value:`.

Either a literal under a secret name (a Kubernetes `$(VAR)` reference, a
path and a placeholder are not secrets), or, in a chart template, a value
rendered from a secret-named `.Values` path: a secret routed through a plain
env var instead of a `secretKeyRef`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from secretwarden.helm_template import actions, values_refs
from secretwarden.lint.context import K8sObject, LintContext
from secretwarden.lint.k8s import containers, workloads
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import is_not_credential, looks_secret
from secretwarden.lint.yamlpos import get, pos, scalar, seq

# Template functions whose result says something about a value (set or not, equal or not)
# without rendering it.
_DERIVED = re.compile(r"^\s*\(?\s*(?:ternary|not|empty|eq|ne|and|or|len|hasKey|kindIs|typeIs|lt|gt|le|ge)\b")


def _secret_values_ref(source: str) -> str | None:
    """The secret-named `.Values` path a templated value renders, if any."""
    for action in actions(source):
        if _DERIVED.match(action):
            continue  # `ternary "yes" "no" (not .Values.auth.password)`: a switch derived from the secret
        for ref in values_refs(action):
            if looks_secret(ref.rpartition(".")[2]):
                return ref
    return None


def _what(obj: K8sObject) -> str:
    return f"{obj.kind} `{obj.name}`" if obj.name else f"a {obj.kind}"


def check(ctx: LintContext) -> Iterator[Finding]:
    for obj in workloads(ctx):
        for container in containers(obj):
            for entry in seq(get(container, "env")):
                name = scalar(get(entry, "name")) or "?"
                value = get(entry, "value")
                if value is None:
                    continue
                text = scalar(value)
                line, col = pos(value)
                if text is None:
                    ref = _secret_values_ref(ctx.source_of(obj.file, value))
                    if ref is not None:
                        yield RULE.finding(
                            obj.file, line, col,
                            f"{_what(obj)} routes `.Values.{ref}` into plain env `{name}`",
                            fix=f"keep `.Values.{ref}` in a Secret and read it with `valueFrom.secretKeyRef`",
                        )
                    continue
                if not ctx.is_secret(name) or is_not_credential(text):
                    continue
                yield RULE.finding(
                    obj.file, line, col,
                    f"{_what(obj)} sets secret `{name}` from a literal `value:`",
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
               "            - name: DB_PASSWORD\n              value: literal-example-pw\n",
               "charts/api/Chart.yaml": "name: api\n",
               "charts/api/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n"
               "metadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\nspec:\n  template:\n    spec:\n"
               "      containers:\n        - name: api\n          env:\n            - name: DATABASE_PASS\n"
               "              value: {{ .Values.db.password | quote }}\n"
               "            - name: LOG_LEVEL\n              value: {{ .Values.logLevel }}\n"},
        expect=(("plain-env-secret", "charts/api/templates/deploy.yaml", 12), ("plain-env-secret", "k8s/api.yaml", 13)),
    ),
    passing=Example(
        files={"k8s/api.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\nspec:\n"
               "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
               "            - name: job\n              env:\n                - name: DB_PASSWORD\n"
               "                  valueFrom:\n                    secretKeyRef: {name: job-secrets, key: DB_PASSWORD}\n"
               "                - name: DATABASE_URL\n                  value: postgres://app:$(DB_PASSWORD)@db:5432/app\n"
               "                - name: GOOGLE_APPLICATION_CREDENTIALS\n                  value: /var/run/gcp/key.json\n"
               "                - name: API_TOKEN\n                  value: INSERT_TOKEN_HERE\n"
               "                - name: CLIENT_SECRET\n                  value: $(CLIENT_SECRET_FROM_VOLUME)\n"},
    ),
)
RULES = (RULE,)
