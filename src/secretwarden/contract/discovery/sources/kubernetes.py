"""Kubernetes manifests: `env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`, secret volumes.

A `secretKeyRef` gives the variable the container sees (`env[].name`, the
name reported) and where it comes from (Secret name and key, the detail).
`envFrom` and volumes name a whole Secret: reported as a Secret, not a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y
from secretwarden.contract.discovery.sources.base import suffix_in

KIND = "kubernetes"
_IMAGE_TAIL = re.compile(r"[:@].*$")  # tag or digest


def wants(path: PurePosixPath) -> bool:
    return suffix_in(path, {".yaml", ".yml"})


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "secretKeyRef" not in text and "secretRef" not in text and "secretName" not in text:
        return  # most YAML files are not manifests: do not parse them for nothing
    for doc in y.documents(text):
        deploys = _deploys(doc)
        for hit in _refs(doc):
            yield replace(hit, deploys=deploys)


def _deploys(doc: y.Node) -> tuple[str, ...]:
    """The workload's name, then its containers' names and image names (`ghcr.io/acme/web:1` -> `web`)."""
    out = [y.scalar(y.path_get(doc, "metadata", "name"))]
    for node in y.mappings(doc):
        image = y.scalar(y.get(node, "image"))
        if image:
            out.append(y.scalar(y.get(node, "name")))
            out.append(_IMAGE_TAIL.sub("", image.rsplit("/", 1)[-1]))
    return tuple(dict.fromkeys(n for n in out if n))


def _refs(doc: y.Node) -> Iterable[Hit]:
    for node in y.mappings(doc):
        ref = y.path_get(node, "valueFrom", "secretKeyRef")
        if ref is not None:
            secret, key = y.scalar(y.get(ref, "name")), y.scalar(y.get(ref, "key"))
            env_name = y.scalar(y.get(node, "name"))
            name = env_name or key
            if name:
                where = f"{secret or '?'}/{key or '?'}"
                yield Hit(name, y.line(node), detail=f"secretKeyRef {where}")
            if secret:
                yield Hit(secret, y.line(node), detail="secretKeyRef", secret_object=True)
        for item in y.elements(y.get(node, "envFrom")):
            secret = y.scalar(y.path_get(item, "secretRef", "name"))
            if secret:
                yield Hit(secret, y.line(item), detail="envFrom secretRef", secret_object=True)
        volume_secret = y.scalar(y.path_get(node, "secret", "secretName"))
        if volume_secret:
            yield Hit(volume_secret, y.line(node), detail="volume", secret_object=True)
