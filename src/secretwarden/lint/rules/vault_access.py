"""`vault-overgrant`: a Vault/OpenBao policy can only be as narrow as the store's layout.

A Vault policy grants whole KV secrets. Where the store's layout (a named
layout or a `path` template) puts several keys as fields of one secret — the
per-namespace layout, `path: "k3s/{namespace}"` — a service that reads some
keys of such a secret (a shared namespace, through `ref:`) can read all of
them. The rule names each such service, secret and environment, so the
over-grant is a decision someone made, not an accident; a template with
`{key}` in the path (per-key) removes it. The paths are the store's own
(`VaultLayout.locate`), exactly what `render vault-policy` grants.
"""

from __future__ import annotations

from collections.abc import Iterator

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Example, Finding, Rule
from secretwarden.slots import SlotRef


def check(ctx: LintContext) -> Iterator[Finding]:
    from secretwarden.contract.plan import path_overrides
    from secretwarden.errors import ContractError
    from secretwarden.stores.vault.backend import build_layout

    contract = ctx.contract
    assert contract is not None
    where = ctx.contract_file or "warden.yaml"
    overrides = path_overrides(contract)
    for env, reqs in ctx.requirements_by_env().items():
        store = contract.stores[contract.store_for(env)]
        if store.backend != "vault":
            continue
        try:
            layout = build_layout(contract.store_for(env), dict(store.options), contract.project, overrides=overrides)
        except ContractError:
            continue  # the contract check reports unsound options
        held: dict[str, set[SlotRef]] = {}  # the slots each KV secret holds
        reads: dict[tuple[str, str], set[SlotRef]] = {}  # (service, secret) -> the slots it reads there
        for req in reqs:
            path = layout.locate(req.slot).path
            held.setdefault(path, set()).add(req.slot)
            reads.setdefault((req.service, path), set()).add(req.slot)
        for (service, path), mine in sorted(reads.items()):
            others = held[path] - mine
            if not others:
                continue
            names = sorted({s.key if s.namespace == next(iter(mine)).namespace else f"{s.namespace}/{s.key}" for s in others})
            line, col = ctx.contract_position("services", service)
            yield RULE.finding(
                where, line, col,
                f"in `{env}`, service `{service}` reads {len(mine)} of {len(mine) + len(others)} keys of the KV "
                f"secret `{layout.mount}/{path}`, but its Vault policy grants all of them ({', '.join(names)} too): "
                f"the layout ({layout.describe()}) keeps them as fields of one secret",
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
    fix="Give the vault store `layout: per-key` or a path template with `{key}` in the path (one KV secret "
    "per key, e.g. `path: \"{env}/{namespace}/{key}\"`), or move the shared keys a service reads into a "
    "namespace of their own.",
    check=check,
    needs_contract=True,
    failing=Example(contract=CONTRACT.format(layout="per-namespace"), files={}, expect=(("vault-overgrant", "warden.yaml", 14),)),
    passing=Example(contract=CONTRACT.format(layout="per-key"), files={}),
)
RULES = (RULE,)
