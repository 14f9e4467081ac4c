"""The new-service bootstrap checklist (`warden lint --checklist`).

Per service of the contract, each gate is passed or failed by facts the lint
run already established; a failed gate names the finding that decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.lint.context import LintContext
from secretwarden.lint.model import Finding, LintResult


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    ok: bool
    detail: str


@dataclass
class ServiceChecklist:
    service: str
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)


def _first(findings: list[Finding], service: str, *rule_ids: str) -> Finding | None:
    for f in findings:
        if f.service == service and f.rule_id in rule_ids:
            return f
    return None


def _said(f: Finding) -> str:
    return f"{f.location()} [{f.rule_id}] {f.message}"


def build_checklist(result: LintResult, ctx: LintContext) -> list[ServiceChecklist]:
    from secretwarden.lint.k8s import workloads
    from secretwarden.lint.rules.consistency import external_secrets, target_name, workload_service

    contract = ctx.contract
    if contract is None:
        return []
    active = result.active
    es_targets = {target_name(o) for o in external_secrets(ctx)}
    workload_of = {workload_service(ctx, o) for o in workloads(ctx)}
    out: list[ServiceChecklist] = []
    for name, svc in contract.services.items():
        info = ctx.services[name]
        items: list[ChecklistItem] = []
        ns = contract.namespaces[svc.namespace]
        items.append(ChecklistItem("store path provisioned in the contract", True, f"{ns.path} (namespace {svc.namespace})"))
        doc = _first(active, name, "secrets-doc")
        items.append(ChecklistItem("keys documented", doc is None, _said(doc) if doc else "Secrets architecture section up to date"))
        bridged = svc.access == "external-secrets"
        if bridged:
            has_es = info.secret_name in es_targets
            items.append(ChecklistItem("ExternalSecret committed", has_es,
                                       f"targets Secret {info.secret_name}" if has_es
                                       else f"no ExternalSecret targets Secret {info.secret_name}"))
            wiring = _first(active, name, "unwired-key", "cross-service-ref", "undeclared-remote-key")
            if name not in workload_of:
                items.append(ChecklistItem("workload wired through secretKeyRef", False, "no workload of this service found"))
            else:
                items.append(ChecklistItem("workload wired through secretKeyRef", wiring is None,
                                           _said(wiring) if wiring else "every required key is wired"))
        else:
            items.append(ChecklistItem("ExternalSecret committed", True, f"not needed (access: {svc.access})"))
            items.append(ChecklistItem("workload wired through secretKeyRef", True, f"not needed (access: {svc.access})"))
        startup = _first(active, name, "startup-validation")
        if info.source is None:
            items.append(ChecklistItem("start-up validation present", False, "no `source` folder in the contract to look in"))
        else:
            items.append(ChecklistItem("start-up validation present", startup is None,
                                       _said(startup) if startup else "fail-fast validation found"))
        vault = _first(active, name, "direct-vault")
        if svc.access == "direct-vault":
            items.append(ChecklistItem("direct-Vault justification", bool((svc.justification or "").strip()),
                                       "justified in the contract"))
        else:
            items.append(ChecklistItem("direct-Vault justification", vault is None,
                                       _said(vault) if vault else "no direct Vault access"))
        out.append(ServiceChecklist(name, items))
    return out
