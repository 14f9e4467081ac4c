"""`discover(root)`: walk the tree, run every source that wants a file, keep good names."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from secretwarden.contract.discovery.files import iter_files, read_text
from secretwarden.contract.discovery.model import KEY_NAME_RE, Finding, Inventory, Place, Skipped
from secretwarden.contract.discovery.names import is_well_known, looks_secret
from secretwarden.contract.discovery.services import safe_name, service_dir, service_for
from secretwarden.contract.discovery.sources import SourceError, load_sources
from secretwarden.contract.discovery.sources.dotenv import is_real_env_file
from secretwarden.errors import InputError

# Contract files describe secrets; they are not a place that uses them.
_OWN_FILES = frozenset({"warden.yaml", "warden.yml"})
# Kinds of file that list the names of a whole repository rather than use them.
_LISTING_SOURCES = frozenset({"dotenv", "compose"})
# folders that hold how the repository is run, not a service of their own (as service names)
_DEPLOY_DIRS = frozenset({"docker", "deploy", "deployment", "deployments", "compose", "devcontainer", "podman", "env", "envs",
                          "k8s", "kubernetes", "manifests", "infra", "ops"})
# folders of examples: they show how the repository's own service is used
_EXAMPLE_DIRS = frozenset({"examples", "example", ".examples", "samples", "sample"})
_CHART_NAME = re.compile(r"^name:[ \t]*(\S+)", re.MULTILINE)
# DNS-1123 subdomain: what a Kubernetes Secret may be called
_K8S_OBJECT_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")
_HELM_UNITTEST = re.compile(r"^suite:", re.MULTILINE)
_HELM_UNITTEST_TESTS = re.compile(r"^tests:", re.MULTILINE)


def discover(root: Path) -> Inventory:
    """Every secret name used under `root`, with where it was seen. Never reads a value."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    root = root.resolve()
    inventory = Inventory(root=root, repo_service=safe_name(root.name) or "app")
    sources = load_sources()
    found: list[Finding] = []
    listing = list(iter_files(root, inventory.skipped))
    charts = _charts(listing)
    for rel, path in listing:
        if rel.as_posix() in _OWN_FILES:
            continue
        wanting = [s for s in sources if s.wants(rel)]
        if not wanting:
            continue
        text = read_text(path, rel, inventory.skipped)
        if text is None:
            continue
        inventory.files_scanned += 1
        if rel.suffix in {".yaml", ".yml"} and _HELM_UNITTEST.search(text) and _HELM_UNITTEST_TESTS.search(text):
            continue  # a helm-unittest suite: the values and manifests it asserts are test expectations
        service = service_for(rel, inventory.repo_service, charts)
        kept_before = len(found)
        for source in wanting:
            try:
                hits = list(source.scan(text, rel))
            except SourceError as exc:
                inventory.skipped.append(Skipped(rel.as_posix(), f"{source.KIND}: {exc}"))
                continue
            except Exception as exc:  # a parser bug must not stop the inventory
                inventory.skipped.append(
                    Skipped(rel.as_posix(), f"{source.KIND}: could not be read ({type(exc).__name__})")
                )
                continue
            for hit in hits:
                if not KEY_NAME_RE.fullmatch(hit.name):
                    continue
                if hit.secret_object and not _K8S_OBJECT_NAME.fullmatch(hit.name):
                    continue  # not a name Kubernetes accepts (`eyJzdWIi...`: a test's token, `{{ x }}`): never echo it
                if not hit.secret_object and is_well_known(hit.name):
                    continue
                place = Place(rel.as_posix(), hit.line, source.KIND, hit.detail, hit.has_default)
                found.append(Finding(service, hit.name, place, hit.weak, hit.secret_object, hit.deploys))
        if any(s.KIND == "dotenv" for s in wanting) and is_real_env_file(rel):
            inventory.notes.append(f"{rel.as_posix()}: a real env file, read for names only (no value kept)")
        folder = _chart_dir(rel, charts) or service_dir(rel)
        if folder is not None and len(found) > kept_before:
            inventory.service_dirs.setdefault(service, set()).add(folder.as_posix())
    strong = {f.name for f in found if not f.weak and not f.secret_object}
    kept = [f for f in found if not f.weak or f.name in strong or looks_secret(f.name)]
    given = _give_deploy_folders_away(kept, inventory.repo_service)
    inventory.findings = _fold_root_into_services(given, inventory.repo_service)
    gone = (_DEPLOY_DIRS | _EXAMPLE_DIRS) - {f.service for f in inventory.findings}
    inventory.service_dirs = {svc: dirs for svc, dirs in inventory.service_dirs.items() if svc not in gone}
    return inventory


def _folder_service(f: Finding) -> str | None:
    """The top folder of deployment files or examples `f` was found in, when it was made a
    service only because of that folder (not a chart inside it, not a group like services/)."""
    top = PurePosixPath(f.place.path).parts[0]
    if top in _DEPLOY_DIRS | _EXAMPLE_DIRS and f.service == safe_name(top) and "/" in f.place.path:
        return f.service
    return None


def _give_deploy_folders_away(findings: list[Finding], repo_service: str) -> list[Finding]:
    """`k8s/`, `deploy/`, `examples/` are not services: what they name belongs to the service
    they deploy, else to the repository's own service.

    A manifest deploys the service whose name is its workload's, a container's or an
    image's name (`image: ghcr.io/acme/web:1` deploys `web`), when such a service was
    found outside those folders. Only that evidence counts: a folder's name says nothing.
    """
    real = {f.service for f in findings if _folder_service(f) is None}
    out: list[Finding] = []
    for f in findings:
        if _folder_service(f) is None:
            out.append(f)
            continue
        target = next((safe_name(n) for n in f.deploys if safe_name(n) in real), repo_service)
        out.append(replace(f, service=target))
    return out


def _charts(listing: list[tuple[PurePosixPath, Path]]) -> dict[str, str]:
    """Helm chart folder -> chart name (`name:` of its Chart.yaml, else the folder's name)."""
    out: dict[str, str] = {}
    for rel, path in listing:
        if rel.name != "Chart.yaml":
            continue
        folder = rel.parent.as_posix()
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:4096]
        except OSError:
            head = ""
        match = _CHART_NAME.search(head)
        out[folder] = match.group(1).strip("'\"") if match else (rel.parent.name or "chart")
    return out


def _chart_dir(rel: PurePosixPath, charts: dict[str, str]) -> PurePosixPath | None:
    for depth in range(len(rel.parts) - 1, 0, -1):
        folder = PurePosixPath(*rel.parts[:depth])
        if folder.as_posix() in charts:
            return folder
    return None


def _fold_root_into_services(findings: list[Finding], repo_service: str) -> list[Finding]:
    """Give a name listed at the root to the services that also use it.

    A root `.env.example` or `docker-compose.yml` usually lists the names the
    services read: counting them again under the repository's own service
    would put each secret in the contract twice. Names only the root lists,
    and names that root-level code reads, stay with the repository's service.
    A folder of deployment files (`docker/.env.example`, `deploy/compose.yml`)
    lists names the same way: a name the app in `hc/` reads is given to `hc`; what
    no code reads stays with the folder.
    """
    users: dict[str, set[str]] = {}  # services other than the repository's that use a name
    code_users: dict[str, set[str]] = {}  # the same, leaving out folders of deployment files
    for f in findings:
        if f.service != repo_service and not f.secret_object:
            users.setdefault(f.name, set()).add(f.service)
            if f.service not in _DEPLOY_DIRS:
                code_users.setdefault(f.name, set()).add(f.service)
    folded: list[Finding] = []
    for f in findings:
        listed = f.place.source in _LISTING_SOURCES and not f.secret_object
        if f.service == repo_service and listed and f.name in users:
            folded.extend(replace(f, service=svc) for svc in sorted(users[f.name]))
        elif f.service in _DEPLOY_DIRS and listed and f.name in code_users:
            folded.extend(replace(f, service=svc) for svc in sorted(code_users[f.name]))
        else:
            folded.append(f)
    return folded
