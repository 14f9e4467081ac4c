"""Helm values files that name an `existingSecret` (and the keys read from it).

`existingSecret: NAME` names a Kubernetes Secret the chart expects to exist:
reported as a Secret. Sibling keys such as `existingSecretPasswordKey: KEY`
name keys inside it: reported as keys. Nothing else in values is looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y

KIND = "helm"
_VALUES_FILE = re.compile(r"values(?:[.-][\w.-]+)?\.ya?ml", re.I)
_SECRET_NAME_FIELD = re.compile(r"existingSecret(?:Name)?", re.I)
_SECRET_KEY_FIELD = re.compile(r"existingSecret\w*Key", re.I)
_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def wants(path: PurePosixPath) -> bool:
    return bool(_VALUES_FILE.fullmatch(path.name))


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if "existingsecret" not in text.lower():
        return
    for doc in y.documents(text):
        yield from _walk(doc)


def _walk(root: y.Node) -> Iterator[Hit]:
    seen: set[int] = set()
    stack: list[tuple[y.Node, str]] = [(root, "")]
    while stack:
        node, dotted = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for key, key_node, value in y.items(node):
            here = f"{dotted}.{key}" if dotted else key
            text = y.scalar(value)
            if _SECRET_NAME_FIELD.fullmatch(key):
                if text and _K8S_NAME.fullmatch(text):
                    yield Hit(text, y.line(key_node), detail=here, secret_object=True)
                elif y.is_mapping(value):
                    # existingSecret: {name: ..., key: ...} (some charts)
                    name = y.scalar(y.get(value, "name"))
                    if name and _K8S_NAME.fullmatch(name):
                        yield Hit(name, y.line(key_node), detail=here, secret_object=True)
                    for sub, sub_node, sub_value in y.items(value):
                        if sub == "key" or sub.lower().endswith("key"):
                            key_name = y.scalar(sub_value)
                            if key_name:
                                yield Hit(key_name, y.line(sub_node), detail=f"{here}.{sub}")
                    continue
            elif _SECRET_KEY_FIELD.fullmatch(key) and text:
                yield Hit(text, y.line(key_node), detail=here)
            if y.is_mapping(value):
                stack.append((value, here))
            for item in y.elements(value):
                if y.is_mapping(item):
                    stack.append((item, here))
