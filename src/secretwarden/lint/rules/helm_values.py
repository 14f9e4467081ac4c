"""Helm values must name Secrets that something produces, and the service's own.

`helm-values-unknown-secret`: a values file (`values*.yaml`, `*.values.yaml`,
or a file passed to `helm -f`) points a chart at an existing Secret
(`existingSecret`, `existingSecretName`, `envFrom[].secretRef.name`,
`extraSecretRefs`) that no ExternalSecret, committed Secret or
`lint.existing_secrets` entry produces. The chart installs fine and the pod
then waits for a Secret that never comes: the finding names the Secret the
service's ExternalSecret makes (`warden render helm-values` writes it).

`helm-values-cross-service`: the values file of one service (or instance)
names a Secret another service (or instance) owns: a key shared across
services is an explicit contract `ref`, brought by the reader's own
ExternalSecret, never a borrowed Secret.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.rules.consistency import produced_secrets, service_by_secret
from secretwarden.lint.values_refs import NAME_KEYS, SecretMention, mentions, values_service
from secretwarden.lint.yamlpos import pos


def right_secret(ctx: LintContext, path: str, mention: SecretMention, produced: set[str]) -> tuple[str | None, str | None]:
    """(the Secret the finding suggests, the values file's service).

    For a file of a known service: its Secret for `existingSecret`, the closest of its
    Secrets (optional keys' own included) for a ref. Otherwise a close produced name, if any."""
    owner = values_service(ctx, path)
    if owner is None or ctx.contract is None:
        close = difflib.get_close_matches(mention.secret, sorted(produced), n=1, cutoff=0.8)  # typos only
        return (close[0] if close else None), None
    from secretwarden.contract.kubernetes import optional_secret_name, secret_name
    from secretwarden.contract.plan import service_instances

    service, instance = owner
    svc = ctx.contract.services[service]
    instances = [instance] if instance is not None else service_instances(ctx.contract, svc)
    candidates = [secret_name(service, svc, i) for i in instances]
    if mention.key not in NAME_KEYS:
        optional = [var for var, spec in svc.secrets.items() if not spec.required]
        candidates += [optional_secret_name(service, svc, i, var) for i in instances for var in optional]
    return difflib.get_close_matches(mention.secret, candidates, n=1, cutoff=0.0)[0], service


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
                right, service = right_secret(ctx, path, m, names)
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


def own_secrets(ctx: LintContext, service: str, instance: str | None) -> set[str]:
    """The Secrets a values file of `service` (one `instance`, or any) may name."""
    from secretwarden.contract.kubernetes import optional_secret_name, secret_name, secret_names

    assert ctx.contract is not None
    if instance is None:
        return set(secret_names(ctx.contract, service))
    svc = ctx.contract.services[service]
    optional = [var for var, spec in svc.secrets.items() if not spec.required]
    return {secret_name(service, svc, instance)} | {optional_secret_name(service, svc, instance, v) for v in optional}


def check_values_cross(ctx: LintContext) -> Iterator[Finding]:
    owners = service_by_secret(ctx)
    for path in ctx.files:
        if not ctx.is_values_file(path):
            continue
        owner = values_service(ctx, path)
        if owner is None:
            continue
        service, instance = owner
        own = own_secrets(ctx, service, instance)
        for doc in ctx.yaml(path).documents:
            for m in mentions(doc):
                other = owners.get(m.secret)
                if other is None or m.secret in own:
                    continue
                whose = f"service `{other}`" if other != service else "another instance"
                line, col = pos(m.node)
                yield VALUES_CROSS.finding(
                    path, line, col,
                    f"values of `{service}{'/' + instance if instance else ''}` name Secret `{m.secret}` of {whose}",
                    service=service,
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
                           "deploy/dev/api.values.yaml": _VALUES_BAD,
                           "deploy/dev/redis-values.yaml": "auth:\n  existingSecret: redis-auth\n"},
                    expect=(("helm-values-unknown-secret", "deploy/dev/api.values.yaml", 1),
                            ("helm-values-unknown-secret", "deploy/dev/api.values.yaml", 4),
                            ("helm-values-unknown-secret", "deploy/dev/redis-values.yaml", 2))),
    passing=Example(contract=CONTRACT,
                    files={"deploy/es.yaml": _ES, "charts/api/Chart.yaml": _CHART,
                           "charts/api/values.yaml": 'existingSecret: ""\nenvFrom: []\n',
                           "deploy/dev/api.values.yaml": _VALUES_OK}),
)
_CROSS_CONTRACT = CONTRACT.replace(
    "services:\n", "  worker: {path: /services/worker}\nservices:\n  worker:\n    namespace: worker\n"
    "    secrets: {QUEUE_TOKEN: {}}\n", 1)
_WORKER_ES = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: worker}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: worker-secrets}
  data:
    - secretKey: QUEUE_TOKEN
      remoteRef: {key: services/worker, property: QUEUE_TOKEN}
"""
VALUES_CROSS = Rule(
    id="helm-values-cross-service",
    title="Helm values of one service name another service's Secret",
    severity="error",
    rationale="A chart mounting another service's Secret reads every key of it: services never share "
    "credentials implicitly, and instances never read each other's.",
    fix="Declare the shared key with `ref: <namespace>/<KEY>` so the service's own ExternalSecret brings it, "
    "and point the values at the service's own Secret (`warden render helm-values`).",
    check=check_values_cross,
    needs_contract=True,
    failing=Example(contract=_CROSS_CONTRACT,
                    files={"deploy/es.yaml": _ES + "---\n" + _WORKER_ES,
                           "deploy/dev/api.values.yaml": _VALUES_OK.replace(
                               "  - secretRef: {name: api-secrets}\n",
                               "  - secretRef: {name: api-secrets}\n  - secretRef: {name: worker-secrets}\n")},
                    expect=(("helm-values-cross-service", "deploy/dev/api.values.yaml", 4),)),
    passing=Example(contract=_CROSS_CONTRACT,
                    files={"deploy/es.yaml": _ES + "---\n" + _WORKER_ES,
                           "deploy/dev/api.values.yaml": _VALUES_OK,
                           "deploy/dev/worker.values.yaml": "existingSecret: worker-secrets\n"}),
)
RULES = (VALUES_REF, VALUES_CROSS)
