"""Which Secrets Helm values files hand to charts, and which service a values file is for.

Shared by the `helm-values-unknown-secret` rule (is each named Secret produced?)
and `unwired-key` (a chart template's `envFrom` is filled from its values).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from secretwarden.contract.kubernetes import EXISTING_SECRET_KEYS
from secretwarden.lint.context import LintContext, basename
from secretwarden.lint.yamlpos import get, items, scalar, seq

# Keys whose value is the name of one Secret the chart mounts instead of creating its own.
NAME_KEYS = frozenset(EXISTING_SECRET_KEYS)
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
