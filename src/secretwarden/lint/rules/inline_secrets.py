"""Inline secrets in manifests and charts.

Workloads must get secrets from a Kubernetes Secret made by an ExternalSecret
or supplied as `existingSecret`; a committed Secret with real data, a literal
credential in Helm values, a chart that renders secret names without
`required`, or a `createSecret` toggle all open a path around the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import is_placeholder, looks_secret
from secretwarden.lint.yamlpos import get, is_string, items, pos, scalar

ACTION = re.compile(r"\{\{-?(?P<body>.*?)-?\}\}")
CREATE_TOGGLE = re.compile(r"^create[A-Za-z]*(secret|credentials?|password)s?$", re.IGNORECASE)
EXISTING_SECRET_REF = re.compile(r"\.Values\.[\w.]*existingSecret\w*", re.IGNORECASE)


def check_k8s_secret(ctx: LintContext) -> Iterator[Finding]:
    for obj in ctx.k8s_objects:
        if obj.kind != "Secret" or ctx.is_chart_template(obj.file):
            continue
        for section in ("data", "stringData"):
            for key, value in items(get(obj.node, section)):
                text = scalar(value)
                if text is None or is_placeholder(text):
                    continue
                line, col = pos(value)
                yield K8S_SECRET.finding(
                    obj.file, line, col,
                    f"Secret `{obj.name or '?'}` commits a value for `{key.value}` in `{section}`",
                )


def _walk_values(
    node: yaml.Node, trail: str, seen: set[int] | None = None
) -> Iterator[tuple[str, yaml.ScalarNode, yaml.Node]]:
    # Aliases make the node graph a DAG (or a cycle): visit each mapping once,
    # so an alias bomb or a recursive anchor costs one pass, not an explosion.
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    for key, value in items(node):
        here = f"{trail}.{key.value}" if trail else str(key.value)
        if isinstance(value, yaml.MappingNode):
            yield from _walk_values(value, here, seen)
        else:
            yield here, key, value


def _literal(node: yaml.Node) -> bool:
    """A string or number: `password: 123456` is as literal as a quoted one."""
    return is_string(node) or (
        isinstance(node, yaml.ScalarNode) and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    )


def check_helm_values(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.yaml_files:
        if not ctx.is_values_file(path):
            continue
        for doc in ctx.yaml(path).documents:
            for dotted, key, value in _walk_values(doc, ""):
                name = str(key.value)
                if CREATE_TOGGLE.match(name):
                    if scalar(value) in ("true", "True", "yes"):
                        line, col = pos(value)
                        yield CREATE_SECRET.finding(
                            path, line, col,
                            f"`{dotted}: true` lets the chart create a Secret from inline values",
                        )
                    continue
                if not looks_secret(name) or not _literal(value):
                    continue
                text = scalar(value) or ""
                if is_placeholder(text):
                    continue
                line, col = pos(value)
                yield HELM_LITERAL.finding(path, line, col, f"Helm value `{dotted}` holds a literal credential")


def check_chart_templates(ctx: LintContext) -> Iterator[Finding]:
    for path in ctx.files:
        if not ctx.is_chart_template(path):
            continue
        text = ctx.text(path) or ""
        if "{{" not in text:
            continue
        renders_secret = re.search(r"^kind:\s*Secret\s*$", text, re.MULTILINE) is not None
        for number, line in enumerate(text.splitlines(), start=1):
            for match in ACTION.finditer(line):
                body = match.group("body")
                if "required" in body or ".Values" not in body:
                    continue
                if EXISTING_SECRET_REF.search(body):
                    what = "an existingSecret name"
                elif renders_secret and not re.match(r"\s*(if|else|end|range|with|define|include|template)\b", body):
                    what = "a value into a Secret"
                else:
                    continue
                yield HELM_REQUIRED.finding(
                    path, number, match.start() + 1,
                    f"template renders {what} from `.Values` without `required`",
                )


K8S_SECRET = Rule(
    id="inline-k8s-secret",
    title="Kubernetes Secret with committed values",
    severity="error",
    rationale="A Secret manifest in git is a secret in git: base64 is an encoding, not encryption.",
    fix="Delete the manifest, rotate the values, and let an ExternalSecret create the Secret from the store.",
    check=check_k8s_secret,
    failing=Example(
        files={"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: api-secrets}\n"
               "stringData:\n  DB_PASSWORD: literal-example-pw\ndata:\n  EMPTY: ''\n"},
        expect=(("inline-k8s-secret", "k8s/secret.yaml", 5),),
    ),
    passing=Example(
        files={"k8s/es.yaml": "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
               "metadata: {name: api}\nspec:\n  target: {name: api-secrets}\n",
               "k8s/empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: shell}\n"
               "stringData:\n  DB_PASSWORD: <set-by-operator>\n"},
    ),
)
HELM_LITERAL = Rule(
    id="helm-literal-secret",
    title="Literal credential in Helm values",
    severity="error",
    rationale="Values files are committed and copied between environments; a credential there leaks with them.",
    fix="Leave the value empty and point the chart at an existing Secret (`existingSecret`).",
    check=check_helm_values,
    failing=Example(
        files={"charts/api/Chart.yaml": "name: api\nversion: 0.1.0\n",
               "charts/api/values.yaml": "auth:\n  password: literal-example-pw\n  passwordKey: DB_PASSWORD\n"
               "redis:\n  apiKey: \"another-example-literal\"\n  adminPassword: 12345678\n"},
        expect=(("helm-literal-secret", "charts/api/values.yaml", 2),
                ("helm-literal-secret", "charts/api/values.yaml", 5),
                ("helm-literal-secret", "charts/api/values.yaml", 6)),
    ),
    passing=Example(
        files={"charts/api/Chart.yaml": "name: api\nversion: 0.1.0\n",
               "charts/api/values.yaml": "auth:\n  existingSecret: api-secrets\n  password: \"\"\n"
               "  passwordKey: DB_PASSWORD\n  tokenTTL: 15m\n"},
    ),
)
HELM_REQUIRED = Rule(
    id="helm-secret-without-required",
    title="Chart renders secret material without `required`",
    severity="error",
    rationale="Without `required`, a missing existingSecret name renders an empty reference and the pod starts without its secret.",
    fix="Wrap the value: `{{ required \"auth.existingSecret is required\" .Values.auth.existingSecret }}`.",
    check=check_chart_templates,
    failing=Example(
        files={"charts/api/Chart.yaml": "name: api\n",
               "charts/api/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n"
               "  template:\n    spec:\n      containers:\n        - name: api\n          envFrom:\n"
               "            - secretRef:\n                name: {{ .Values.auth.existingSecret }}\n"},
        expect=(("helm-secret-without-required", "charts/api/templates/deploy.yaml", 10),),
    ),
    passing=Example(
        files={"charts/api/Chart.yaml": "name: api\n",
               "charts/api/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n"
               "  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n"
               "        - name: api\n          envFrom:\n            - secretRef:\n"
               "                name: {{ required \"auth.existingSecret is required\" .Values.auth.existingSecret }}\n"},
    ),
)
CREATE_SECRET = Rule(
    id="helm-create-secret",
    title="Chart toggle that creates a Secret from inline values",
    severity="error",
    rationale="A `createSecret: true` default lets the chart fall back to inline credentials instead of the store.",
    fix="Default the toggle to false and require `existingSecret`.",
    check=check_helm_values,
    failing=Example(
        files={"charts/db/Chart.yaml": "name: db\n", "charts/db/values.yaml": "auth:\n  createSecret: true\n"},
        expect=(("helm-create-secret", "charts/db/values.yaml", 2),),
    ),
    passing=Example(
        files={"charts/db/Chart.yaml": "name: db\n",
               "charts/db/values.yaml": "auth:\n  createSecret: false\n  existingSecret: db-secrets\n"},
    ),
)
RULES = (K8S_SECRET, HELM_LITERAL, HELM_REQUIRED, CREATE_SECRET)
