"""The "Secrets architecture" README section of a service, rendered from the contract.

`render_section` is the single source of the text; `warden render secrets-doc`
prints or writes it and the `secrets-doc` lint rule compares a README with it.
The generated block sits between two HTML comments so it can be replaced in
place without touching the rest of the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract
    from secretwarden.contract.plan import Requirement

HEADING = "## Secrets architecture"
BEGIN = "<!-- warden:secrets-doc service={service} -->"
END = "<!-- /warden:secrets-doc -->"
BEGIN_RE = re.compile(r"<!-- warden:secrets-doc service=(?P<service>[A-Za-z0-9_.-]+) -->")
HEADING_RE = re.compile(r"^#{1,6}\s+Secrets architecture\b.*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class KeyRow:
    var: str
    path: str
    required: bool
    sensitive: bool
    purpose: str
    environments: tuple[str, ...]


Resolved = dict[str, dict[str, list["Requirement"]]]  # env -> service -> requirements


def all_requirements(contract: Contract, by_env: dict[str, list[Requirement]] | None = None) -> Resolved:
    """Every requirement per environment and service; resolve once when rendering many services."""
    from secretwarden.contract.plan import requirements

    out: Resolved = {}
    for env in contract.environments:
        per_service: dict[str, list[Requirement]] = {}
        for req in by_env[env] if by_env is not None else requirements(contract, env):
            per_service.setdefault(req.service, []).append(req)
        out[env] = per_service
    return out


def key_rows(
    contract: Contract, service: str, resolved: Resolved | None = None
) -> list[KeyRow]:
    from secretwarden.contract.plan import requirements

    rows: dict[str, KeyRow] = {}
    envs: dict[str, list[str]] = {}
    for env in contract.environments:
        reqs = resolved[env].get(service, []) if resolved is not None else requirements(contract, env, service=service)
        for req in reqs:
            if req.service != service:
                continue
            envs.setdefault(req.var, [])
            if env not in envs[req.var]:
                envs[req.var].append(env)
            if req.var in rows:
                continue
            ns_path = contract.namespaces[req.slot.namespace].path.rstrip("/")
            inst = "/{instance}" if req.slot.instance is not None else ""
            path = req.path_override or f"{ns_path}{inst}/{req.slot.key}"
            rows[req.var] = KeyRow(req.var, path, req.required, req.sensitive, req.description or "", ())
    return [
        KeyRow(r.var, r.path, r.required, r.sensitive, r.purpose, tuple(envs.get(r.var, ())))
        for r in rows.values()
    ]


def store_paths(contract: Contract, service: str) -> list[str]:
    svc = contract.services[service]
    namespaces = [svc.namespace] + [
        spec.ref.partition("/")[0] for spec in svc.secrets.values() if spec.ref is not None
    ]
    seen = dict.fromkeys(namespaces)
    return [f"`{contract.namespaces[ns].path}` (namespace `{ns}`)" for ns in seen if ns in contract.namespaces]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def render_section(
    contract: Contract, service: str, resolved: Resolved | None = None
) -> str:
    """The full section, heading and markers included, ending with a newline."""
    from secretwarden.contract.plan import check_service

    svc = check_service(contract, service)
    secret_name = svc.secret_name or f"{service}-secrets"
    if svc.access == "direct-vault":
        delivery = f"Direct Vault access. Justification: {_cell(svc.justification or '')}"
    elif svc.access == "env":
        delivery = "Environment variables injected by `warden run` (no Kubernetes Secret)."
    else:
        delivery = (
            f"External Secrets bridge: ExternalSecret -> Kubernetes Secret `{secret_name}` "
            "-> environment variables (`secretKeyRef` / `envFrom`)."
        )
    lines = [
        HEADING,
        "",
        BEGIN.format(service=service),
        f"Generated from warden.yaml by `warden render secrets-doc --service {service}`; edit the contract, not this block.",
        "",
        f"- Service: `{service}`" + (f" (owner: {svc.owner})" if svc.owner else ""),
        f"- Delivery: {delivery}",
        "- Store paths: " + ", ".join(store_paths(contract, service)),
        "",
        "| Key | Required | Store path | Environments | Purpose |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in key_rows(contract, service, resolved):
        required = "yes" if row.required else "no"
        kind = "" if row.sensitive else " (config)"
        lines.append(
            f"| `{row.var}`{kind} | {required} | `{row.path}` | {', '.join(row.environments)} | {_cell(row.purpose) or '-'} |"
        )
    lines += [END, ""]
    return "\n".join(lines)


def readme_for(contract: Contract, contract_root: Path, service: str) -> Path:
    """Where the service's section lives: its source folder's README, else the repository's."""
    source = contract.services[service].source
    folder = (contract_root / source) if source else contract_root
    return folder / "README.md"


def find_block(text: str, service: str) -> tuple[int, int] | None:
    """Character span of the service's generated section, heading included when directly above."""
    for match in BEGIN_RE.finditer(text):
        if match.group("service") != service:
            continue
        end = text.find(END, match.end())
        if end < 0:
            return None
        start = match.start()
        before = text[:start].rstrip("\n")
        heading = before.rfind("\n") + 1
        if HEADING_RE.fullmatch(before[heading:]):
            start = heading
        stop = end + len(END)
        if text[stop : stop + 1] == "\n":
            stop += 1
        return start, stop
    return None


def updated_readme(
    text: str, contract: Contract, service: str, resolved: Resolved | None = None
) -> str:
    section = render_section(contract, service, resolved)
    span = find_block(text, service)
    if span is not None:
        return text[: span[0]] + section + text[span[1] :]
    if text and not text.endswith("\n"):
        text += "\n"
    return text + ("\n" if text else "") + section


def write_sections(contract: Contract, contract_root: Path, services: list[str]) -> list[Path]:
    """Write each service's section into its README (created when absent); returns changed files."""
    from secretwarden.paths import write_atomic

    changed: list[Path] = []
    resolved = all_requirements(contract) if len(services) > 1 else None
    for service in services:
        path = readme_for(contract, contract_root, service)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        new = updated_readme(old, contract, service, resolved)
        if new != old:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, new.encode("utf-8"))
            changed.append(path)
    return changed
