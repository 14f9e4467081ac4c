"""Helm values must name Secrets that something produces.

`helm-values-unknown-secret`: a values file (`values*.yaml`, `*.values.yaml`,
or a file passed to `helm -f`) points a chart at an existing Secret
(`existingSecret`, `existingSecretName`, `envFrom[].secretRef.name`,
`extraSecretRefs`) that no ExternalSecret, committed Secret or
`lint.existing_secrets` entry produces. The chart installs fine and the pod
then waits for a Secret that never comes: the finding names the Secret the
service's ExternalSecret makes (`warden render helm-values` writes it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from secretwarden.lint.context import LintContext, basename
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.rules.consistency import produced_secrets
from secretwarden.lint.yamlpos import get, items, pos, scalar, seq

# Keys whose value is the name of one Secret the chart mounts instead of creating its own.
NAME_KEYS = frozenset({"existingSecret", "existingSecretName"})
# Keys whose value lists Secret names (plain names or `{name: ...}` maps).
LIST_KEYS = frozenset({"extraSecretRefs", "existingSecrets"})
VALUES_SUFFIXES = (".values.yaml", ".values.yml", "-values.yaml", "-values.yml", "_values.yaml", "_values.yml")


@dataclass(frozen=True)
class SecretMention:
    key: str  # the values key that names the Secret, as a user would search for it
    secret: str
    node: yaml.Node


def mentions(node: yaml.Node | None) -> Iterator[SecretMention]:
    """Every Secret name a values document hands to a chart, at any depth."""
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from mentions(child)
        return
    for key_node, value in items(node):
        key = str(key_node.value)
        if key in NAME_KEYS:
            name = scalar(value)
            if name:  # charts default to "" (create a Secret): nothing to check
                yield SecretMention(key, name, value)
        elif key in LIST_KEYS:
            for entry in seq(value):
                ref = get(entry, "name") if isinstance(entry, yaml.MappingNode) else entry
                name = scalar(ref)
                if name and ref is not None:
                    yield SecretMention(key, name, ref)
        elif key == "secretRef":
            ref = get(value, "name")
            name = scalar(ref)
            if name and ref is not None:
                yield SecretMention("secretRef.name", name, ref)
        else:
            yield from mentions(value)


def values_service(ctx: LintContext, path: str) -> tuple[str, str | None] | None:
    """(service, instance) a values file is for: its name as `render helm-values` writes it
    (`<service>[-<instance>].values.yaml`), its chart's folder name, or the service's source folder."""
    contract = ctx.contract
    if contract is None:
        return None
    from secretwarden.contract.kubernetes import object_name
    from secretwarden.contract.plan import service_instances

    stems = {object_name(s, i): (s, i) for s, svc in contract.services.items() for i in service_instances(contract, svc)}
    name = basename(path)
    for suffix in VALUES_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in stems:
            return stems[name[: -len(suffix)]]
    chart = ctx.chart_of(path)
    if chart is not None and basename(chart) in contract.services:
        return basename(chart), None
    info = ctx.service_of(path)
    return (info.name, None) if info else None


def right_secret(ctx: LintContext, path: str, wrong: str, produced: set[str]) -> tuple[str | None, str | None]:
    """(the Secret the finding suggests, its service): the service's own Secrets first."""
    owner = values_service(ctx, path)
    candidates = sorted(produced)
    if owner is not None and ctx.contract is not None:
        from secretwarden.contract.kubernetes import secret_name, secret_names

        service, instance = owner
        if instance is not None:
            return secret_name(service, ctx.contract.services[service], instance), service
        candidates = secret_names(ctx.contract, service)
    close = difflib.get_close_matches(wrong, candidates, n=1, cutoff=0.0)
    return (close[0] if close else None), (owner[0] if owner else None)


def secrets_named_by_values(ctx: LintContext, service: str, chart: str | None) -> set[str]:
    """Secret names the values files of a service's chart hand to it: a chart template's
    `envFrom` comes from these, so `unwired-key` counts their keys as wired."""
    named: dict[tuple[str, str | None], set[str]] | None = ctx.memo.get("helm_values.named")
    if named is None:
        named = {}
        for path in ctx.repo_files:
            if not ctx.is_values_file(path):
                continue
            owner = values_service(ctx, path)
            found = {m.secret for doc in ctx.yaml(path).documents for m in mentions(doc)}
            named.setdefault((owner[0] if owner else "", None), set()).update(found)
            named.setdefault(("", ctx.chart_of(path)), set()).update(found)
        ctx.memo["helm_values.named"] = named
    return named.get((service, None), set()) | (named.get(("", chart), set()) if chart else set())


def check_values_refs(ctx: LintContext) -> Iterator[Finding]:
    produced = produced_secrets(ctx)
    names = set(produced)
    for path in ctx.files:
        if not ctx.is_values_file(path):
            continue
        for doc in ctx.yaml(path).documents:
            for m in mentions(doc):
                if m.secret in produced:
                    continue
                line, col = pos(m.node)
                right, service = right_secret(ctx, path, m.secret, names)
                hint = f"; service `{service}`'s Secret is `{right}`" if right and service else (
                    f"; did you mean `{right}`?" if right else "")
                fix = (f"Set `{m.key}` to `{right}` (`warden render helm-values` writes it), or list the Secret "
                       "in `lint.existing_secrets` when something else creates it."
                       if right else None)
                yield VALUES_REF.finding(
                    path, line, col,
                    f"values `{m.key}` names Secret `{m.secret}`, which no ExternalSecret or declared "
                    f"existing Secret produces{hint}",
                    service=service, fix=fix,
                )


CONTRACT = """\
version: 1
project: demo
environments: {dev: {}}
namespaces:
  api: {path: /services/api}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {}
      LOG_HOOK: {required: false}
lint:
  existing_secrets: [postgres-auth]
"""
_ES = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: api-secrets}
  data:
    - secretKey: API_TOKEN
      remoteRef: {key: services/api, property: API_TOKEN}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api-secrets-log-hook}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: api-secrets-log-hook}
  data:
    - secretKey: LOG_HOOK
      remoteRef: {key: services/api, property: LOG_HOOK}
"""
_CHART = "apiVersion: v2\nname: api\nversion: 0.1.0\n"
_VALUES_OK = """\
existingSecret: api-secrets
envFrom:
  - secretRef: {name: api-secrets}
  - secretRef: {name: api-secrets-log-hook, optional: true}
postgresql:
  auth: {existingSecret: postgres-auth}
"""
_VALUES_BAD = """\
existingSecret: api-secret
envFrom:
  - secretRef: {name: api-secrets}
  - secretRef: {name: api-log-hook, optional: true}
"""

VALUES_REF = Rule(
    id="helm-values-unknown-secret",
    title="Helm values name a Secret nothing produces",
    severity="error",
    rationale="A chart told to use an existing Secret installs cleanly and its pods then wait for a Secret no "
    "ExternalSecret makes: the mistake shows at deploy time, not in review.",
    fix="Use the Secret the service's ExternalSecret makes (`warden render helm-values` writes the values), or "
    "list a Secret created elsewhere in `lint.existing_secrets`.",
    check=check_values_refs,
    needs_contract=True,
    failing=Example(contract=CONTRACT,
                    files={"deploy/es.yaml": _ES, "charts/api/Chart.yaml": _CHART,
                           "deploy/dev/api.values.yaml": _VALUES_BAD},
                    expect=(("helm-values-unknown-secret", "deploy/dev/api.values.yaml", 1),
                            ("helm-values-unknown-secret", "deploy/dev/api.values.yaml", 4))),
    passing=Example(contract=CONTRACT,
                    files={"deploy/es.yaml": _ES, "charts/api/Chart.yaml": _CHART,
                           "charts/api/values.yaml": 'existingSecret: ""\nenvFrom: []\n',
                           "deploy/dev/api.values.yaml": _VALUES_OK}),
)
RULES = (VALUES_REF,)
