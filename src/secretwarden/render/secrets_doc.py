"""The "Secrets architecture" README section of a service, rendered from the contract.

`render_section` is the single source of the text; `warden render secrets-doc`
prints or writes it and the `secrets-doc` lint rule compares a README with it.
The generated block sits between two HTML comments so it can be replaced in
place without touching the rest of the README.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secretwarden.slots import printable

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract
    from secretwarden.contract.plan import Requirement
    from secretwarden.slots import SlotRef

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
    # (path, field or None for a contract path, environments) per distinct place
    places: tuple[tuple[str, str | None, tuple[str, ...]], ...] = ()


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


def store_locator(contract: Contract) -> Callable[[str, SlotRef], tuple[str, str, str] | None]:
    """(env, slot) -> (mount, path, field) for stores whose locations are computed (a Vault KV
    path and field, from the store's layout), None for the others. Offline; also used by lint."""
    from secretwarden.contract.plan import path_overrides
    from secretwarden.stores.registry import StoreSpec, offline_locator

    overrides = path_overrides(contract)
    by_store: dict[str, Callable[[SlotRef], tuple[str, str, str]] | None] = {}
    for name, cfg in contract.stores.items():
        envs = tuple(e for e in contract.environments if contract.store_for(e) == name)
        spec = StoreSpec(name, cfg.backend, dict(cfg.options), Path("."), contract.project, overrides, envs=envs)
        by_store[name] = offline_locator(spec)

    def locate(env: str, slot: SlotRef) -> tuple[str, str, str] | None:
        found = by_store.get(contract.store_for(env))
        return found(slot) if found is not None else None

    return locate


def _generic(path: str, slot: SlotRef) -> str:
    """A located path with the environment and instance segments written as placeholders."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part == slot.env:
            parts[i] = "{env}"
        elif slot.instance and part == f"@{slot.instance}":
            parts[i] = "@{instance}"
    return "/".join(parts)


def key_rows(
    contract: Contract, service: str, resolved: Resolved | None = None,
    locate: Callable[[str, SlotRef], tuple[str, str, str] | None] | None = None,
) -> list[KeyRow]:
    """One row per variable. Its store path is the real one where the store computes it (a
    Vault KV path and field, `{env}`/`@{instance}` standing for the varying segments), else the
    contract's namespace path; environments whose stores differ are listed apart."""
    from secretwarden.contract.plan import requirements

    locate = locate or store_locator(contract)
    rows: dict[str, KeyRow] = {}
    envs: dict[str, list[str]] = {}
    places: dict[str, dict[tuple[str, str | None], list[str]]] = {}  # var -> (path, field) -> envs
    for env in contract.environments:
        reqs = resolved[env].get(service, []) if resolved is not None else requirements(contract, env, service=service)
        for req in reqs:
            if req.service != service:
                continue
            envs.setdefault(req.var, [])
            if env not in envs[req.var]:
                envs[req.var].append(env)
            real = locate(env, req.slot)
            if real is not None:
                where: tuple[str, str | None] = (_generic(f"{real[0]}/{real[1]}", req.slot), real[2])
            else:
                ns_path = contract.namespaces[req.slot.namespace].path.rstrip("/")
                inst = "/{instance}" if req.slot.instance is not None else ""
                where = (req.path_override or f"{ns_path}{inst}/{req.slot.key}", None)
            shown = places.setdefault(req.var, {}).setdefault(where, [])
            if env not in shown:
                shown.append(env)
            if req.var not in rows:
                rows[req.var] = KeyRow(req.var, "", req.required, req.sensitive, req.description or "", ())
    out = []
    for r in rows.values():
        found = tuple((p, f, tuple(e)) for (p, f), e in places[r.var].items())
        out.append(KeyRow(r.var, found[0][0], r.required, r.sensitive, r.purpose, tuple(envs[r.var]), found))
    return out


def _place(path: str, fld: str | None) -> str:
    return f"`{path}`" + (f" field `{fld}`" if fld is not None else "")


def location_cell(row: KeyRow) -> str:
    """Where the value lives, as markdown: one place, or each place with its environments."""
    if len(row.places) <= 1:
        return _place(row.path, row.places[0][1] if row.places else None)
    return "; ".join(f"{_place(p, f)} ({', '.join(e)})" for p, f, e in row.places)


def store_paths(contract: Contract, service: str, rows: list[KeyRow] | None = None) -> list[str]:
    """The service's KV secrets where the store computes them, else its namespaces' paths."""
    located = {p for row in rows or [] for p, f, _ in row.places if f is not None}
    svc = contract.services[service]
    namespaces = [svc.namespace] + [
        spec.ref.partition("/")[0] for spec in svc.secrets.values() if spec.ref is not None
    ]
    seen = dict.fromkeys(namespaces)
    out = [f"`{p}`" for p in sorted(located)]
    if not rows or any(f is None for row in rows for _, f, _ in row.places):
        out += [f"`{contract.namespaces[ns].path}` (namespace `{ns}`)" for ns in seen if ns in contract.namespaces]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def render_section(
    contract: Contract, service: str, resolved: Resolved | None = None
) -> str:
    """The full section, heading and markers included, ending with a newline."""
    from secretwarden.contract.plan import check_service

    svc = check_service(contract, service)
    rows = key_rows(contract, service, resolved)
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
        "- Store paths: " + ", ".join(store_paths(contract, service, rows)),
        "",
        "| Key | Required | Store path | Environments | Purpose |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        required = "yes" if row.required else "no"
        kind = "" if row.sensitive else " (config)"
        lines.append(
            f"| `{row.var}`{kind} | {required} | {location_cell(row)} | {', '.join(row.environments)} | {_cell(row.purpose) or '-'} |"
        )
    lines += [END, ""]
    # Owners, justifications and descriptions are free text: a line break in one must not end
    # the block early (its markers are what `--write` replaces), nor a control character reach
    # whoever prints the README.
    return "\n".join(printable(line) for line in lines)


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
