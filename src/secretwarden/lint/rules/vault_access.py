"""`vault-overgrant`: a Vault/OpenBao policy can only be as narrow as the store's layout.

With the per-namespace layout every key of a namespace is a field of one KV
secret, and a Vault policy grants a whole secret: a service that reads some
keys of a shared namespace (through `ref:`) can read all of them. The rule
names each such service, namespace and environment, so the over-grant is a
decision someone made, not an accident; the per-key layout removes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule


def check(ctx: LintContext) -> Iterator[Finding]:
    contract = ctx.contract
    assert contract is not None
    where = ctx.contract_file or "warden.yaml"
    for env, reqs in ctx.requirements_by_env().items():
        store = contract.stores[contract.store_for(env)]
        if store.backend != "vault" or store.options.get("layout", "per-namespace") != "per-namespace":
            continue
        held: dict[tuple[str, str | None], set[str]] = {}  # the keys of each namespace path
        reads: dict[tuple[str, str, str | None], set[str]] = {}  # the keys each service reads there
        for req in reqs:
            held.setdefault((req.slot.namespace, req.slot.instance), set()).add(req.slot.key)
            reads.setdefault((req.service, req.slot.namespace, req.slot.instance), set()).add(req.slot.key)
        for (service, namespace, instance), keys in sorted(reads.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")):
            others = held[(namespace, instance)] - keys
            if not others:
                continue
            line, col = ctx.contract_position("services", service)
            yield RULE.finding(
                where, line, col,
                f"in `{env}`, service `{service}` reads {len(keys)} of {len(keys) + len(others)} keys of namespace "
                f"`{namespace}`, but its Vault policy grants all of them ({', '.join(sorted(others))} too): "
                "the per-namespace layout keeps a namespace in one KV secret",
                service=service,
            )


CONTRACT = """\
version: 1
project: demo
environments: {{dev: {{}}}}
stores:
  vault: {{backend: vault, options: {{layout: {layout}}}}}
namespaces:
  shared: {{path: /shared}}
  api: {{path: /services/api}}
services:
  shared:
    namespace: shared
    secrets: {{DATABASE_URL: {{}}, ADMIN_DSN: {{}}}}
  api:
    namespace: api
    secrets: {{API_TOKEN: {{}}, DATABASE_URL: {{ref: shared/DATABASE_URL}}}}
"""

RULE = Rule(
    id="vault-overgrant",
    title="Vault policy wider than what the service reads",
    severity="warning",
    rationale="Least privilege: with one KV secret per namespace, reading one shared key grants every key of "
    "that namespace. Whoever compromises the service gets them all.",
    fix="Give the vault store `layout: per-key` (one KV secret per key), or move the shared keys a service "
    "reads into a namespace of their own.",
    check=check,
    needs_contract=True,
    failing=Example(contract=CONTRACT.format(layout="per-namespace"), files={}, expect=(("vault-overgrant", "warden.yaml", 14),)),
    passing=Example(contract=CONTRACT.format(layout="per-key"), files={}),
)
RULES = (RULE,)
