"""Contract consistency: manifests and `warden.yaml` must agree, in both directions.

- `unknown-secret-ref`: a `secretKeyRef`/`envFrom`/volume names a Secret (or
  a key of it) that no ExternalSecret, committed Secret or declared
  `lint.existing_secrets` entry produces.
- `undeclared-remote-key`: an ExternalSecret fetches a store path the contract
  does not declare for the service that owns the target Secret, or fills a
  Secret no service owns, or reaches into another instance.
- `unwired-key`: a required contract key of a service is not brought by its
  ExternalSecret or not wired into its workload.
- `cross-service-ref`: a workload reads another service's Secret without an
  explicit contract reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from secretwarden.lint.context import K8sObject, LintContext
from secretwarden.lint.k8s import labels, secret_uses, wired_vars, workloads
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.lint.yamlpos import get, get_path, items, pos, scalar, seq

ESO_GROUP = "external-secrets.io/"


@dataclass
class Produced:
    keys: set[str] | None  # None: any key (dataFrom, existing Secret)
    source: str


@dataclass
class ServiceNeeds:
    required: set[str] = field(default_factory=set)
    vars: set[str] = field(default_factory=set)
    refs: dict[str, str] = field(default_factory=dict)  # var -> referenced namespace
    slots: set[tuple[str, str]] = field(default_factory=set)  # (namespace, key)


def external_secrets(ctx: LintContext) -> list[K8sObject]:
    return [o for o in ctx.k8s_objects if o.kind == "ExternalSecret" and o.api_version.startswith(ESO_GROUP)]


def target_name(obj: K8sObject) -> str | None:
    return scalar(get_path(obj.node, "spec", "target", "name")) or obj.name


def produced_secrets(ctx: LintContext) -> dict[str, Produced]:
    out: dict[str, Produced] = {}
    for name in ctx.policy.existing_secrets if ctx.policy else []:
        out[name] = Produced(None, "lint.existing_secrets")
    for obj in ctx.k8s_objects:
        if obj.kind == "Secret" and obj.name:
            carried = {str(k.value) for sec in ("data", "stringData") for k, _ in items(get(obj.node, sec))}
            have = out.setdefault(obj.name, Produced(set(), obj.file))
            if have.keys is not None:
                have.keys |= carried
    for obj in external_secrets(ctx):
        target = target_name(obj)
        if not target:
            continue
        spec = get(obj.node, "spec")
        fetched: set[str] | None = {k for k in (scalar(get(d, "secretKey")) for d in seq(get(spec, "data"))) if k}
        if seq(get(spec, "dataFrom")) or get_path(spec, "target", "template") is not None:
            fetched = None
        current = out.get(target)
        if current is None:
            out[target] = Produced(fetched, obj.file)
        elif current.keys is not None:
            current.keys = None if fetched is None else current.keys | fetched
    return out


def service_needs(ctx: LintContext) -> dict[str, ServiceNeeds]:
    """Per service: the vars, required vars, refs and slots over every environment."""
    cached = ctx.memo.get("consistency.needs")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    contract = ctx.contract
    out: dict[str, ServiceNeeds] = {name: ServiceNeeds() for name in contract.services} if contract else {}
    if contract is None:
        return out
    from secretwarden.contract.direct_vault import CREDENTIAL_FIELDS, credentials_namespace

    for reqs in ctx.requirements_by_env().values():
        for req in reqs:
            needs = out[req.service]
            needs.vars.add(req.var)
            needs.slots.add((req.slot.namespace, req.slot.key))
            if contract.services[req.service].access == "direct-vault":  # its AppRole credentials, synced
                needs.slots |= {(credentials_namespace(req.service), fld) for fld in CREDENTIAL_FIELDS}
            if req.required:
                needs.required.add(req.var)
            if req.via_ref:
                needs.refs[req.var] = req.via_ref.partition("/")[0]
    ctx.memo["consistency.needs"] = out
    return out


def service_by_secret(ctx: LintContext) -> dict[str, str]:
    """Secret name -> service, per-instance Secrets included (names as the renderer makes them)."""
    out = {info.secret_name: name for name, info in ctx.services.items()}
    if ctx.contract is not None:
        from secretwarden.contract.kubernetes import secret_names

        for name in ctx.contract.services:
            out.update(dict.fromkeys(secret_names(ctx.contract, name), name))
    return out


def workload_service(ctx: LintContext, obj: K8sObject) -> str | None:
    if obj.name in ctx.services:
        return obj.name
    tags = labels(obj)
    for key in ("app.kubernetes.io/name", "app.kubernetes.io/component", "app"):
        if tags.get(key) in ctx.services:
            return tags[key]
    info = ctx.service_of(obj.file)
    return info.name if info else None


def _instance_of(ctx: LintContext, path: str) -> str | None:
    instances = set(ctx.contract.instances) if ctx.contract else set()
    for part in PurePosixPath(path).parts[:-1]:
        if part in instances:
            return part
    return None


def _store_located(ctx: LintContext) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(remoteRef.key, property) -> the (namespace, key) slots a store's layout puts there, in any
    environment (Vault path templates: a fixed field such as `value` names no key)."""
    cached = ctx.memo.get("store-located")
    if cached is None:
        from secretwarden.render.secrets_doc import store_locator

        cached = {}
        assert ctx.contract is not None
        locate = store_locator(ctx.contract)
        for env, reqs in ctx.requirements_by_env().items():
            for req in reqs:
                found = locate(env, req.slot)
                if found is not None:
                    cached.setdefault((found[1], found[2]), set()).add((req.slot.namespace, req.slot.key))
        ctx.memo["store-located"] = cached
    return cached


def remote_matches(ctx: LintContext, remote: str, prop: str | None, slots: set[tuple[str, str]]) -> bool:
    """Does `remote` (+ property) name one of the slots? Exactly where the store's layout puts
    them; else `<ns path>/<KEY>`, `<ns>/<KEY>`, with any mount/env/instance segments around them."""
    contract = ctx.contract
    if contract is not None and prop and _store_located(ctx).get((remote.strip("/"), prop), set()) & slots:
        return True
    parts = [p for p in remote.split("/") if p]
    if prop:
        parts.append(prop)
    if not parts or contract is None:
        return False
    key, folder = parts[-1], parts[:-1]
    for ns, slot_key in slots:
        if slot_key != key:
            continue
        ns_parts = [p for p in contract.namespaces[ns].path.split("/") if p] if ns in contract.namespaces else []
        if ns in folder:
            return True
        n = len(ns_parts)
        if n and any(folder[i : i + n] == ns_parts for i in range(len(folder) - n + 1)):
            return True
    return False


def check_refs(ctx: LintContext) -> Iterator[Finding]:
    produced = produced_secrets(ctx)
    for obj in workloads(ctx):
        for use in secret_uses(obj):
            have = produced.get(use.secret)
            if have is None:
                yield UNKNOWN_REF.finding(
                    use.file, use.line, use.column,
                    f"{obj.kind} `{obj.name or '?'}` reads Secret `{use.secret}`, which no ExternalSecret "
                    "or declared existing Secret produces",
                )
            elif use.key and have.keys is not None and use.key not in have.keys:
                yield UNKNOWN_REF.finding(
                    use.file, use.line, use.column,
                    f"{obj.kind} `{obj.name or '?'}` reads key `{use.key}` that Secret `{use.secret}` does not carry",
                )


def check_remote(ctx: LintContext) -> Iterator[Finding]:
    owners = service_by_secret(ctx)
    needs = service_needs(ctx)
    instances = set(ctx.contract.instances) if ctx.contract else set()
    for obj in external_secrets(ctx):
        target = target_name(obj) or "?"
        service = owners.get(target)
        line, col = pos(obj.node)
        if service is None:
            yield UNDECLARED_REMOTE.finding(
                obj.file, line, col,
                f"ExternalSecret `{obj.name or '?'}` fills Secret `{target}`, which no contract service uses "
                "(a service's Secret is `secret_name`, default `<service>-secrets`)",
            )
            continue
        here = _instance_of(ctx, obj.file)
        spec = get(obj.node, "spec")
        refs = [(get(d, "remoteRef"), scalar(get(d, "secretKey"))) for d in seq(get(spec, "data"))]
        refs += [(get(d, "extract"), None) for d in seq(get(spec, "dataFrom"))]
        for ref, secret_key in refs:
            remote = scalar(get(ref, "key"))
            if ref is None or remote is None:
                continue
            rline, rcol = pos(ref)
            other = [p for p in remote.split("/") if p in instances and p != here]
            if here is not None and other:
                yield UNDECLARED_REMOTE.finding(
                    obj.file, rline, rcol,
                    f"ExternalSecret `{obj.name or '?'}` of instance `{here}` reads instance `{other[0]}`'s path `{remote}`",
                    service=service,
                )
                continue
            if secret_key is None:
                continue  # dataFrom: the whole path; its keys are checked by `unwired-key`
            prop = scalar(get(ref, "property"))
            if not remote_matches(ctx, remote, prop, needs[service].slots):
                shown = remote + (f" (property {prop})" if prop else "")
                yield UNDECLARED_REMOTE.finding(
                    obj.file, rline, rcol,
                    f"remoteRef `{shown}` is not a key the contract declares for service `{service}`",
                    service=service,
                )


def check_wired(ctx: LintContext) -> Iterator[Finding]:
    produced = produced_secrets(ctx)
    needs = service_needs(ctx)
    owners = service_by_secret(ctx)
    main: set[str] | None = None
    if ctx.contract is not None:
        from secretwarden.contract.kubernetes import main_secret_names

        main = {n for svc in ctx.contract.services for n in main_secret_names(ctx.contract, svc)}
    for obj in external_secrets(ctx):
        service = owners.get(target_name(obj) or "")
        have = produced.get(target_name(obj) or "")
        if service is None or have is None or have.keys is None:
            continue
        if main is not None and target_name(obj) not in main:
            continue  # an optional key's own Secret: it carries that key alone, by design
        for var in sorted(needs[service].required - have.keys):
            line, col = pos(obj.node)
            yield UNWIRED.finding(
                obj.file, line, col,
                f"ExternalSecret `{obj.name or '?'}` does not bring required key `{var}` of service `{service}`",
                service=service,
            )
    for obj in workloads(ctx):
        service = workload_service(ctx, obj)
        if service is None or ctx.services[service].access != "external-secrets":
            continue
        wired = wired_vars(obj)
        secrets = [use.secret for use in secret_uses(obj) if use.key is None]
        if ctx.is_chart_template(obj.file):  # its envFrom comes from the values (checked by helm_values)
            from secretwarden.lint.values_refs import secrets_named_by_values

            secrets += sorted(secrets_named_by_values(ctx, service, ctx.chart_of(obj.file)))
        for secret in secrets:
            have = produced.get(secret)
            wired |= needs[service].required if have is None or have.keys is None else have.keys
        line, col = pos(obj.node)
        for var in sorted(needs[service].required - wired):
            yield UNWIRED.finding(
                obj.file, line, col,
                f"required key `{var}` of service `{service}` is not wired into {obj.kind} `{obj.name or '?'}`",
                service=service,
            )


def check_cross(ctx: LintContext) -> Iterator[Finding]:
    owners = service_by_secret(ctx)
    needs = service_needs(ctx)
    contract = ctx.contract
    instances = set(contract.instances) if contract else set()
    for obj in workloads(ctx):
        here = _instance_of(ctx, obj.file)
        for use in secret_uses(obj):
            other = [t for t in use.secret.split("-") if t in instances and t != here]
            if here is not None and other:
                yield CROSS.finding(
                    use.file, use.line, use.column,
                    f"{obj.kind} `{obj.name or '?'}` of instance `{here}` reads instance `{other[0]}`'s Secret `{use.secret}`",
                )
        service = workload_service(ctx, obj)
        if service is None:
            continue
        for use in secret_uses(obj):
            owner = owners.get(use.secret)
            if owner is None or owner == service:
                continue
            owner_ns = contract.services[owner].namespace if contract else ""
            if use.key is not None and needs[service].refs.get(use.var or use.key) == owner_ns:
                continue
            yield CROSS.finding(
                use.file, use.line, use.column,
                f"service `{service}` reads Secret `{use.secret}` of service `{owner}` without a contract `ref`",
                service=service,
            )


CONTRACT = """\
version: 1
project: demo
environments: {dev: {}, prod: {}}
namespaces:
  api: {path: /services/api}
  shared: {path: /shared}
services:
  shared:
    namespace: shared
    secrets: {DATABASE_URL: {}}
  api:
    namespace: api
    secrets:
      API_TOKEN: {}
      LOG_LEVEL: {sensitive: false, required: false}
      DATABASE_URL: {ref: shared/DATABASE_URL}
lint:
  existing_secrets: [registry-pull]
"""

_ES_OK = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: api-secrets}
  data:
    - secretKey: API_TOKEN
      remoteRef: {key: services/api, property: API_TOKEN}
    - secretKey: DATABASE_URL
      remoteRef: {key: shared/DATABASE_URL}
"""
_DEPLOY_OK = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      imagePullSecrets: [{name: registry-pull}]
      containers:
        - name: api
          env:
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: api-secrets, key: API_TOKEN}}
          envFrom:
            - secretRef: {name: api-secrets}
"""
_ES_BAD = """\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: api}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: api-secrets}
  data:
    - secretKey: API_TOKEN
      remoteRef: {key: services/billing/API_TOKEN}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: orphan}
spec:
  target: {name: orphan-secrets}
  data: []
"""
_DEPLOY_BAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: api-secrets, key: API_TOKN}}
            - name: PAYMENT_KEY
              valueFrom: {secretKeyRef: {name: payments-secrets, key: KEY}}
          envFrom:
            - secretRef: {name: shared-secrets}
"""

UNKNOWN_REF = Rule(
    id="unknown-secret-ref",
    title="Workload references a Secret or key nothing produces",
    severity="error",
    rationale="A reference to a Secret no ExternalSecret makes fails at pod start, in production, not in review.",
    fix="Add the key to the service's ExternalSecret (and the contract), or list a Secret made elsewhere in `lint.existing_secrets`.",
    check=check_refs,
    needs_contract=True,
    failing=Example(contract=CONTRACT, files={"k8s/es.yaml": _ES_OK, "k8s/deploy.yaml": _DEPLOY_BAD},
                    expect=(("unknown-secret-ref", "k8s/deploy.yaml", 11),
                            ("unknown-secret-ref", "k8s/deploy.yaml", 13),
                            ("unknown-secret-ref", "k8s/deploy.yaml", 15))),
    passing=Example(contract=CONTRACT, files={"k8s/es.yaml": _ES_OK, "k8s/deploy.yaml": _DEPLOY_OK}),
)
UNDECLARED_REMOTE = Rule(
    id="undeclared-remote-key",
    title="ExternalSecret fetches a path the contract does not declare",
    severity="error",
    rationale="Every secret a workload receives must be one the contract names, so status, rotation and audit see it.",
    fix="Point remoteRef at `<namespace path>/<KEY>` of a key the service declares, or declare the key in warden.yaml.",
    check=check_remote,
    needs_contract=True,
    failing=Example(contract=CONTRACT, files={"k8s/es.yaml": _ES_BAD},
                    expect=(("undeclared-remote-key", "k8s/es.yaml", 9),
                            ("undeclared-remote-key", "k8s/es.yaml", 11))),
    passing=Example(contract=CONTRACT, files={"k8s/es.yaml": _ES_OK}),
)
UNWIRED = Rule(
    id="unwired-key",
    title="Required contract key not wired into the service",
    severity="error",
    rationale="A key the contract requires but the manifests never deliver is a start-up failure waiting for a deploy.",
    fix="Add the key to the service's ExternalSecret and reference it from the workload (`secretKeyRef` or `envFrom`).",
    check=check_wired,
    needs_contract=True,
    failing=Example(
        contract=CONTRACT,
        files={"k8s/es.yaml": _ES_BAD.split("---")[0],
               "k8s/deploy.yaml": _DEPLOY_OK.replace("          envFrom:\n            - secretRef: {name: api-secrets}\n", "")},
        expect=(("unwired-key", "k8s/deploy.yaml", 1), ("unwired-key", "k8s/es.yaml", 1)),
    ),
    passing=Example(contract=CONTRACT, files={"k8s/es.yaml": _ES_OK, "k8s/deploy.yaml": _DEPLOY_OK}),
)
CROSS = Rule(
    id="cross-service-ref",
    title="Workload reads another service's or instance's Secret",
    severity="error",
    rationale="Services never share credentials implicitly; a shared key is an explicit `ref` in the contract.",
    fix="Declare the key with `ref: <namespace>/<KEY>` and bring it through the service's own ExternalSecret.",
    check=check_cross,
    needs_contract=True,
    failing=Example(contract=CONTRACT, files={"k8s/deploy.yaml": _DEPLOY_BAD},
                    expect=(("cross-service-ref", "k8s/deploy.yaml", 15),)),
    passing=Example(
        contract=CONTRACT,
        files={"k8s/deploy.yaml": _DEPLOY_OK.replace(
            "          envFrom:",
            "            - name: DATABASE_URL\n"
            "              valueFrom: {secretKeyRef: {name: shared-secrets, key: DATABASE_URL}}\n"
            "          envFrom:",
        )},
    ),
)
RULES = (UNKNOWN_REF, UNDECLARED_REMOTE, UNWIRED, CROSS)
