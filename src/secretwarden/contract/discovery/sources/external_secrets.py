"""ExternalSecret manifests (External Secrets Operator): `spec.data[].secretKey`.

The remote location (`remoteRef.key`/`property`) is a path in the backing
store, not a value; it is kept as the detail so the scaffold can say where a
key lives today. `spec.target.name` is the Kubernetes Secret it fills.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y
from secretwarden.contract.discovery.sources.base import suffix_in

KIND = "external-secret"


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".yaml", ".yml"})


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "ExternalSecret" not in text:
        return
    for doc in y.documents(text):
        kind = y.scalar(y.get(doc, "kind"))
        if kind == "ClusterExternalSecret":
            spec = y.path_get(doc, "spec", "externalSecretSpec")
        elif kind == "ExternalSecret":
            spec = y.get(doc, "spec")
        else:
            continue
        if spec is None:
            continue
        target = y.path_get(spec, "target", "name")
        if y.scalar(target):
            yield Hit(str(y.scalar(target)), y.line(target), detail=f"{kind} target", secret_object=True)
        for item in y.elements(y.get(spec, "data")):
            name_node = y.get(item, "secretKey")
            name = y.scalar(name_node)
            if not name or name_node is None:
                continue
            remote = y.get(item, "remoteRef")
            key, prop = y.scalar(y.get(remote, "key")), y.scalar(y.get(remote, "property"))
            detail = f"remoteRef {key or '?'}" + (f" property {prop}" if prop else "")
            yield Hit(name, y.line(name_node), detail=detail)
