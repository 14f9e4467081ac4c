"""Helm charts: values files, and the env entries of template helpers.

`existingSecret: NAME` names a Kubernetes Secret the chart expects to exist:
reported as a Secret. Sibling keys such as `existingSecretPasswordKey: KEY`
name keys inside it: reported as keys. Environment maps and lists in values
(`environment:`, `env:`, `extraEnv:`, `envVars:`; CI values files set them per
run) name variables. In `.tpl` helper files, `- name: X` inside a `define`
block is an env entry a template includes.

Values files are any YAML a chart is installed with: `values.yaml`,
`values-prod.yaml`, `ci/prod-values.yaml`, `api.values.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from secretwarden.contract.discovery.model import Hit
from secretwarden.contract.discovery.sources import yamldocs as y
from secretwarden.contract.discovery.sources.base import Lines

KIND = "helm"
_VALUES_FILE = re.compile(r"(?:values(?:[._-][\w.-]*)?|[\w.-]+[._-]values)\.ya?ml", re.I)
_ENV_FIELDS = frozenset({"environment", "env", "extraenv", "extraenvvars", "envvars", "envs", "extraenvironment"})
_ENV_VAR = re.compile(r"[A-Z][A-Z0-9_]*")
_DEFINE = re.compile(r"\{\{-?\s*define\s+\"[^\"]+\"\s*-?\}\}")
_END = re.compile(r"\{\{-?\s*end\s*-?\}\}")
_HELPER_ENV = re.compile(r"^[ \t]*-[ \t]+name:[ \t]*['\"]?(?P<name>[A-Z][A-Z0-9_]*)['\"]?[ \t]*$", re.M)
_SECRET_NAME_FIELD = re.compile(r"existingSecret(?:Name)?", re.I)
_SECRET_KEY_FIELD = re.compile(r"existingSecret\w*Key", re.I)
_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def wants(path: PurePosixPath) -> bool:
    if path.parts and path.parts[0] == ".github":
        return False  # a workflow named `values-check.yml` is CI, not chart values
    return bool(_VALUES_FILE.fullmatch(path.name)) or path.suffix == ".tpl"


def scan(text: str, path: PurePosixPath) -> Iterable[Hit]:
    if path.suffix == ".tpl":
        yield from _helper_env(text)
        return
    lowered = text.lower()
    if "existingsecret" in lowered:
        for doc in y.documents(text):
            yield from _walk(doc)
    if "env" in lowered:
        for doc in y.documents(text):
            yield from _env_maps(doc)


def _helper_env(text: str) -> Iterator[Hit]:
    """`- name: X` lines between a `define` and its `end` (nesting is not tracked: a define never nests)."""
    if "define" not in text:
        return
    lines = Lines(text)
    spans = [(m.end(), text.find("{{- define", m.end())) for m in _DEFINE.finditer(text)]
    for start, stop in spans:
        block = text[start : stop if stop != -1 else len(text)]
        entries = list(_HELPER_ENV.finditer(block))
        for i, m in enumerate(entries):
            # Strong when the entry reads a Secret; a plain setting (`BITNAMI_DEBUG`, `POD_IP`)
            # is weak: kept only if it looks secret or another source found it.
            body = block[m.end() : entries[i + 1].start() if i + 1 < len(entries) else len(block)]
            weak = "secretKeyRef" not in body
            yield Hit(m.group("name"), lines.number(start + m.start("name")), detail="helper env entry", weak=weak)


def _env_maps(root: y.Node) -> Iterator[Hit]:
    for node in y.mappings(root):
        for key, _key_node, value in y.items(node):
            if key.lower() not in _ENV_FIELDS:
                continue
            if y.is_mapping(value):
                for name, name_node, _ in y.items(value):
                    if _ENV_VAR.fullmatch(name):
                        yield Hit(name, y.line(name_node), detail=f"values {key}", weak=True)
            for item in y.elements(value):
                entry = y.scalar(y.get(item, "name")) if y.is_mapping(item) else None
                if entry and _ENV_VAR.fullmatch(entry):
                    weak = y.path_get(item, "valueFrom", "secretKeyRef") is None
                    yield Hit(entry, y.line(item), detail=f"values {key}", weak=weak)


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
