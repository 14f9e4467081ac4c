"""`discover(root)`: walk the tree, run every source that wants a file, keep good names."""

from __future__ import annotations

from pathlib import Path

from secretwarden.contract.discovery.files import iter_files, read_text
from secretwarden.contract.discovery.model import KEY_NAME_RE, Finding, Inventory, Place, Skipped
from secretwarden.contract.discovery.names import is_well_known, looks_secret
from secretwarden.contract.discovery.services import safe_name, service_dir, service_for
from secretwarden.contract.discovery.sources import SourceError, load_sources
from secretwarden.errors import InputError

# Contract files describe secrets; they are not a place that uses them.
_OWN_FILES = frozenset({"warden.yaml", "warden.yml"})


def discover(root: Path) -> Inventory:
    """Every secret name used under `root`, with where it was seen. Never reads a value."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    root = root.resolve()
    inventory = Inventory(root=root, repo_service=safe_name(root.name) or "app")
    sources = load_sources()
    found: list[Finding] = []
    for rel, path in iter_files(root, inventory.skipped):
        if rel.as_posix() in _OWN_FILES:
            continue
        wanting = [s for s in sources if s.wants(rel)]
        if not wanting:
            continue
        text = read_text(path, rel, inventory.skipped)
        if text is None:
            continue
        inventory.files_scanned += 1
        service = service_for(rel, inventory.repo_service)
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
                if not hit.secret_object and is_well_known(hit.name):
                    continue
                place = Place(rel.as_posix(), hit.line, source.KIND, hit.detail)
                found.append(Finding(service, hit.name, place, hit.weak, hit.secret_object))
        folder = service_dir(rel)
        if folder is not None and len(found) > kept_before:
            inventory.service_dirs.setdefault(service, set()).add(folder.as_posix())
    strong = {f.name for f in found if not f.weak and not f.secret_object}
    inventory.findings = [f for f in found if not f.weak or f.name in strong or looks_secret(f.name)]
    return inventory
