"""Inline secrets in manifests and charts.

Workloads must get secrets from a Kubernetes Secret made by an ExternalSecret
or supplied as `existingSecret`; a committed Secret with real data, a literal
credential in Helm values, a chart that renders secret names without
`required`, or a `createSecret` toggle all open a path around the store.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

import yaml

from secretwarden.helm_template import actions, enclosing_conditions, guarded_by, values_refs
from secretwarden.lint.context import YAML_SUFFIXES, K8sObject, LintContext, basename, dirname
from secretwarden.lint.k8s import containers, pod_spec
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.names import (
    is_not_credential,
    looks_secret,
    named_after_folder,
    names_a_secret_object,
    normalise,
)
from secretwarden.lint.yamlpos import get, get_path, is_string, items, pos, scalar, seq

CREATE_TOGGLE = re.compile(r"^create[A-Za-z]*(secret|credentials?|password)s?$", re.IGNORECASE)
# A `.Values` path that names an existing Secret (not one of its keys).
EXISTING_SECRET_PATH = re.compile(r"(^|\.)existingSecret(Name)?$", re.IGNORECASE)
# Keys of a Secret that hold who or where, not a credential.
PLAIN_SECRET_KEY = re.compile(
    r"((^|[_.-])(user|username|user_name|login|email|host|hostname|port|database|db|dbname|db_name|schema|"
    r"namespace|region|realm|name|url|uri|endpoint|address|addr|client_id|app_id|account_id|issuer|audience)"
    r"|username|accountname|account_name|hostname|dbname)(_in|_out)?$",
    re.IGNORECASE,
)
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----(?P<body>.*?)-----END [A-Z0-9 ]+-----", re.DOTALL)
_B64_RUN = re.compile(r"[A-Za-z0-9+/=]{40,}")
IF_INCLUDE = re.compile(r"\{\{-?\s*if\b[^}]*\b(?:include|template)\s+\"(?P<name>[^\"]+)\"")
DEFINE = re.compile(r"\{\{-?\s*define\s+\"(?P<name>[^\"]+)\"\s*-?\}\}")


def handled(action: str) -> bool:
    """An action that cannot render an empty value: it fails, falls back to something, or hands
    the value to a helper (`include "common.secrets.name" (dict "existingSecret" ...)`) that decides."""
    if re.search(r"\b(include|template)\s+\"", action):
        return True
    return re.search(r"\b(required|fail)\b", action) is not None or re.search(
        r"\bdefault\s+(?!\"\"|''|\)|\s*$)\S", action
    ) is not None


def _decoded(section: str, text: str) -> str:
    """The value as the Secret holds it: `data` is base64 (judged in memory, never shown)."""
    if section != "data":
        return text
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text


def _placeholder_pem(value: str) -> bool:
    """PEM markers around a body that cannot be a key (empty, `...`, `<key here>`)."""
    blocks = list(PEM_BLOCK.finditer(value))
    return bool(blocks) and all(_B64_RUN.search(m.group("body")) is None for m in blocks)


def credential_value(key: str, value: str) -> bool:
    """Could `value` under `key` be a working credential? Names of users and hosts are not."""
    if is_not_credential(value) or _placeholder_pem(value) or names_a_secret_object(key, value):
        return False
    who_or_where = PLAIN_SECRET_KEY.search(normalise(key)) is not None
    return not who_or_where or re.match(r"^[a-z][a-z0-9+.-]*://[^/@\s]+@", value, re.IGNORECASE) is not None


def _sops_encrypted(node: yaml.Node) -> bool:
    return get(node, "sops") is not None


def check_k8s_secret(ctx: LintContext) -> Iterator[Finding]:
    for obj in ctx.k8s_objects:
        if obj.kind != "Secret" or ctx.is_chart_template(obj.file) or _sops_encrypted(obj.node):
            continue
        for section in ("data", "stringData"):
            for key, value in items(get(obj.node, section)):
                text = scalar(value)
                if text is None or not credential_value(str(key.value), _decoded(section, text)):
                    continue
                line, col = pos(value)
                yield K8S_SECRET.finding(
                    obj.file, line, col,
                    f"Secret `{obj.name or '?'}` commits a value for `{key.value}` in `{section}`",
                )
    yield from _kustomize_generators(ctx)


def _kustomize_generators(ctx: LintContext) -> Iterator[Finding]:
    """`secretGenerator` entries of a kustomization: `literals:` values and committed `envs:`/`files:`."""
    for path in ctx.yaml_files:
        if basename(path) not in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            continue
        folder = dirname(path)
        for doc in ctx.yaml(path).documents:
            for gen in seq(get(doc, "secretGenerator")):
                gen_name = scalar(get(gen, "name")) or "?"
                for literal in seq(get(gen, "literals")):
                    text = scalar(literal) or ""
                    key, sep, value = text.partition("=")
                    if sep and credential_value(key.strip(), value):
                        line, col = pos(literal)
                        yield K8S_SECRET.finding(
                            path, line, col, f"secretGenerator `{gen_name}` commits a literal value for `{key.strip()}`"
                        )
                for field in ("envs", "files"):
                    for entry in seq(get(gen, field)):
                        ref = (scalar(entry) or "").rpartition("=")[2].strip()
                        target = ref if folder == "." else f"{folder}/{ref}"
                        target = posixpath.normpath(target)
                        if not ref or target not in ctx.repo_files or not _has_values(ctx, target, field):
                            continue
                        line, col = pos(entry)
                        yield K8S_SECRET.finding(
                            path, line, col, f"secretGenerator `{gen_name}` reads committed file `{target}`"
                        )


def _has_values(ctx: LintContext, path: str, field: str) -> bool:
    """Does a generator's source file hold a credential (not only placeholders)?"""
    text = ctx.text(path) or ""
    if field == "files":
        return bool(text.strip()) and credential_value(basename(path), text.strip())
    from secretwarden.dotenv_text import parse  # the one KEY=value reader

    return any(credential_value(a.name, a.value) for a in parse(text).assignments)


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
                if not credential_value(name, scalar(value) or "") or named_after_folder(scalar(value) or "", path):
                    continue
                line, col = pos(value)
                yield HELM_LITERAL.finding(path, line, col, f"Helm value `{dotted}` holds a literal credential")
    yield from _create_secret_helpers(ctx)


def _required_fix(ref: str) -> str:
    return f"wrap it: `{{{{ required \"{ref} is required\" .Values.{ref} }}}}`"


def _unguarded_refs(source: str, want: re.Pattern[str] | None = None, data_key: str = "") -> list[str]:
    """`.Values` paths an action renders without `required`: names of existing Secrets (`want`),
    or secret material (a secret-named path, or any path under a secret-named data key)."""
    out: list[str] = []
    for action in actions(source):
        if handled(action):
            continue
        for ref in values_refs(action):
            last = ref.rpartition(".")[2]
            if want is not None:
                keep = want.search(ref) is not None
            else:
                keep = (looks_secret(last) or looks_secret(data_key)) and not PLAIN_SECRET_KEY.search(normalise(last))
            if keep:
                out.append(ref)
    return out


def _secret_name_nodes(obj: K8sObject) -> Iterator[yaml.Node]:
    for container in containers(obj):
        for entry in seq(get(container, "env")):
            ref = get_path(entry, "valueFrom", "secretKeyRef")
            if ref is not None and get(ref, "name") is not None:
                yield get(ref, "name")  # type: ignore[misc]
        for source in seq(get(container, "envFrom")):
            node = get_path(source, "secretRef", "name")
            if node is not None:
                yield node
    for volume in seq(get(pod_spec(obj), "volumes")):
        node = get_path(volume, "secret", "secretName")
        if node is not None:
            yield node
        for projected in seq(get_path(volume, "projected", "sources")):
            node = get_path(projected, "secret", "name")
            if node is not None:
                yield node


def check_chart_templates(ctx: LintContext) -> Iterator[Finding]:
    """Only values that become Secret data, and the names that resolve an existing Secret."""
    for obj in ctx.k8s_objects:
        if not ctx.is_chart_template(obj.file):
            continue
        if obj.kind == "Secret":
            for section in ("data", "stringData"):
                for key, value in items(get(obj.node, section)):
                    refs = _unguarded_refs(ctx.source_of(obj.file, value), data_key=str(key.value))
                    if refs:
                        # Inside `{{- if .Values.smtpPassword }}` the key renders only when the value is set.
                        conditions = enclosing_conditions(ctx.text(obj.file) or "", value.start_mark.index)
                        refs = [r for r in refs if not guarded_by(conditions, r)]
                    for ref in dict.fromkeys(refs):
                        line, col = pos(value)
                        yield HELM_REQUIRED.finding(
                            obj.file, line, col,
                            f"Secret key `{key.value}` renders `.Values.{ref}` without `required`",
                            fix=_required_fix(ref),
                        )
            continue
        for node in _secret_name_nodes(obj):
            refs = _unguarded_refs(ctx.source_of(obj.file, node), EXISTING_SECRET_PATH)
            if refs:
                # Inside `{{- if .Values.x.existingSecret }}` the name cannot be empty.
                conditions = enclosing_conditions(ctx.text(obj.file) or "", node.start_mark.index)
                refs = [r for r in refs if not guarded_by(conditions, r)]
            for ref in dict.fromkeys(refs):
                line, col = pos(node)
                yield HELM_REQUIRED.finding(
                    obj.file, line, col,
                    f"Secret name resolves from `.Values.{ref}` without `required`",
                    fix=_required_fix(ref),
                )


def _defines(ctx: LintContext, chart: str) -> dict[str, str]:
    """`define` name -> body over a chart's template files (helpers included)."""
    key = f"helm-defines:{chart}"
    found = ctx.memo.get(key)
    if found is None:
        found = {}
        prefix = "" if chart == "." else chart + "/"
        for path in ctx.files_under(prefix + "templates/"):
            text = ctx.text(path) or ""
            if "define" not in text:
                continue
            marks = list(DEFINE.finditer(text))
            for i, m in enumerate(marks):
                end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
                found[m.group("name")] = text[m.end() : end]
        ctx.memo[key] = found
    return found


def _create_secret_helpers(ctx: LintContext) -> Iterator[Finding]:
    """A Secret rendered under `if include "<helper>"` where the helper decides to create it from values."""
    for path in ctx.files:
        if not path.endswith(YAML_SUFFIXES) or not ctx.is_chart_template(path):
            continue
        text = ctx.text(path) or ""
        if "include" not in text or re.search(r"^kind:\s*Secret\s*$", text, re.MULTILINE) is None:
            continue
        chart = ctx.chart_of(path) or "."
        for number, line in enumerate(text.splitlines(), start=1):
            match = IF_INCLUDE.search(line)
            if match is None:
                continue
            if not any(looks_secret(ref.rpartition(".")[2]) for ref in values_refs(text)):
                break  # the Secret holds generated material (certificates), not inline values
            body = _defines(ctx, chart).get(match.group("name"), "")
            creates = re.search(r"create\w*secret", match.group("name"), re.IGNORECASE) is not None
            fallback = "existingSecret" in body and "true" in body
            if creates or fallback:
                yield CREATE_SECRET.finding(
                    path, number, match.start() + 1,
                    f"the chart creates a Secret from inline values when helper `{match.group('name')}` says so",
                )
                break


K8S_SECRET = Rule(
    id="inline-k8s-secret",
    title="Kubernetes Secret with committed values",
    severity="error",
    rationale="A Secret manifest in git is a secret in git: base64 is an encoding, not encryption.",
    fix="Delete the manifest, rotate the values, and let an ExternalSecret create the Secret from the store.",
    check=check_k8s_secret,
    failing=Example(
        files={"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: api-secrets}\n"
               "stringData:\n  DB_PASSWORD: literal-example-pw\ndata:\n  EMPTY: ''\n",
               "deploy/overlays/prod/kustomization.yaml": "secretGenerator:\n  - name: api\n    literals:\n"
               "      - DB_USER=api\n      - DB_PASSWORD=literal-example-pw\n    envs:\n      - secrets.env\n",
               "deploy/overlays/prod/secrets.env": "API_TOKEN=literal-example-token\n"},
        expect=(("inline-k8s-secret", "k8s/secret.yaml", 5),
                ("inline-k8s-secret", "deploy/overlays/prod/kustomization.yaml", 5),
                ("inline-k8s-secret", "deploy/overlays/prod/kustomization.yaml", 7)),
    ),
    passing=Example(
        files={"k8s/es.yaml": "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
               "metadata: {name: api}\nspec:\n  target: {name: api-secrets}\n",
               "k8s/empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: shell}\n"
               "stringData:\n  DB_PASSWORD: <set-by-operator>\n  username: api\n  DB_HOST: db:5432\n"
               "  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n    ...\n    -----END PRIVATE KEY-----\n"
               "  API_TOKEN: '********'\n  NOTE: put the real token here\n  storageaccountname: examplestore\n"
               "  node.session.auth.username_in: api\n",
               "k8s/sops.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: enc}\n"
               "stringData:\n  DB_PASSWORD: ENC[AES256_GCM,data:abcd,iv:efgh,tag:ijkl,type:str]\n"
               "sops:\n  version: 3.8.1\n",
               "k8s/kustomization.yaml": "secretGenerator:\n  - name: api\n    literals: [DB_USER=api, DB_PASSWORD=changeme]\n"},
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
               "redis:\n  apiKey: \"another-example-literal\"\n  adminPassword: 12345678\n",
               "charts/api/ci/prod-values.yaml": "auth:\n  password: literal-example-pw\n",
               "deploy/api.values.yaml": "db:\n  dsn: postgres://api:literal-example-pw@db:5432/api\n"},
        expect=(("helm-literal-secret", "charts/api/ci/prod-values.yaml", 2),
                ("helm-literal-secret", "charts/api/values.yaml", 2),
                ("helm-literal-secret", "charts/api/values.yaml", 5),
                ("helm-literal-secret", "charts/api/values.yaml", 6),
                ("helm-literal-secret", "deploy/api.values.yaml", 2)),
    ),
    passing=Example(
        files={"charts/api/Chart.yaml": "name: api\nversion: 0.1.0\n",
               "charts/api/values.yaml": "auth:\n  existingSecret: api-secrets\n  password: \"\"\n"
               "  passwordKey: DB_PASSWORD\n  tokenTTL: 15m\n  allowEmptyPassword: \"yes\"\n"
               "serviceAccount:\n  automountServiceAccountToken: false\nredis:\n  password: \"false\"\n"
               "  connection_string: redis-master.default.svc:6379\n",
               "charts/api/ci/prod-values.yaml": "auth:\n  password: \"\"\n"},
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
               "            - secretRef:\n                name: {{ .Values.auth.existingSecret }}\n",
               "charts/api/templates/secret.yaml": "{{- if not .Values.db.existingSecret }}\napiVersion: v1\n"
               "kind: Secret\nmetadata:\n  name: {{ include \"api.fullname\" . }}-db\n  labels:\n"
               "    chart: {{ .Chart.Name }}-{{ .Chart.Version }}\ndata:\n"
               "  password: {{ .Values.db.password | b64enc | quote }}\n"
               "  user: {{ required \"db.user is required\" .Values.db.user | b64enc }}\n{{- end }}\n"},
        expect=(("helm-secret-without-required", "charts/api/templates/deploy.yaml", 10),
                ("helm-secret-without-required", "charts/api/templates/secret.yaml", 9)),
    ),
    passing=Example(
        files={"charts/api/Chart.yaml": "name: api\n",
               "charts/api/templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n"
               "  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n"
               "        - name: api\n          envFrom:\n            - secretRef:\n"
               "                name: {{ required \"auth.existingSecret is required\" .Values.auth.existingSecret }}\n"
               "          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n"
               "                  name: {{ .Values.db.existingSecret | default (include \"api.fullname\" .) }}\n"
               "                  key: {{ .Values.db.existingSecretPasswordKey }}\n"
               "      serviceAccountName: {{ .Values.serviceAccount.name }}\n"
               "      {{- if and .Values.tls.enabled .Values.tls.existingSecret }}\n      volumes:\n"
               "        - name: certs\n          secret:\n            secretName: {{ .Values.tls.existingSecret }}\n"
               "      {{- end }}\n"
               "{{- if .Values.auth.existingSecret }}\n---\napiVersion: v1\nkind: ServiceAccount\n"
               "metadata:\n  name: {{ .Values.serviceAccount.name }}\n{{- end }}\n---\nkind: Secret\n"
               "metadata:\n  name: {{ .Release.Name }}-tls\ndata:\n  tls.crt: {{ .Files.Get \"tls.crt\" | b64enc }}\n"
               "  password: {{ .Values.db.password | default (randAlphaNum 16) | b64enc }}\n"},
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
        files={"charts/db/Chart.yaml": "name: db\n", "charts/db/values.yaml": "auth:\n  createSecret: true\n",
               "charts/cache/Chart.yaml": "name: cache\n",
               "charts/cache/templates/_helpers.tpl": "{{- define \"cache.needsSecret\" -}}\n"
               "{{- if not .Values.auth.existingSecret -}}true{{- end -}}\n{{- end -}}\n",
               "charts/cache/templates/secret.yaml": "{{- if (include \"cache.needsSecret\" .) }}\napiVersion: v1\n"
               "kind: Secret\nmetadata:\n  name: cache\nstringData:\n"
               "  password: {{ required \"auth.password\" .Values.auth.password }}\n{{- end }}\n"},
        expect=(("helm-create-secret", "charts/cache/templates/secret.yaml", 1),
                ("helm-create-secret", "charts/db/values.yaml", 2)),
    ),
    passing=Example(
        files={"charts/db/Chart.yaml": "name: db\n",
               "charts/db/values.yaml": "auth:\n  createSecret: false\n  existingSecret: db-secrets\n"},
    ),
)
RULES = (K8S_SECRET, HELM_LITERAL, HELM_REQUIRED, CREATE_SECRET)
