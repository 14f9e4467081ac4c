"""Kubernetes object helpers shared by the workload and consistency rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from secretwarden.lint.context import K8sObject, LintContext
from secretwarden.lint.yamlpos import get, get_path, items, pos, scalar, seq

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"})


def pod_spec(obj: K8sObject) -> yaml.Node | None:
    if obj.kind == "Pod":
        return get(obj.node, "spec")
    if obj.kind == "CronJob":
        return get_path(obj.node, "spec", "jobTemplate", "spec", "template", "spec")
    return get_path(obj.node, "spec", "template", "spec")


def containers(obj: K8sObject) -> Iterator[yaml.Node]:
    spec = pod_spec(obj)
    for field in ("initContainers", "containers"):
        yield from seq(get(spec, field))


def workloads(ctx: LintContext) -> Iterator[K8sObject]:
    for obj in ctx.k8s_objects:
        if obj.kind in WORKLOAD_KINDS:
            yield obj


@dataclass(frozen=True)
class SecretUse:
    """A reference from a workload to a Kubernetes Secret."""

    file: str
    line: int
    column: int
    workload: K8sObject
    secret: str
    key: str | None  # None: the whole Secret (envFrom, volume)
    var: str | None  # the environment variable it feeds, when known


def secret_uses(obj: K8sObject) -> Iterator[SecretUse]:
    for container in containers(obj):
        for entry in seq(get(container, "env")):
            ref = get_path(entry, "valueFrom", "secretKeyRef")
            name, key = scalar(get(ref, "name")), scalar(get(ref, "key"))
            if ref is not None and name:
                line, col = pos(ref)
                yield SecretUse(obj.file, line, col, obj, name, key, scalar(get(entry, "name")))
        for source in seq(get(container, "envFrom")):
            ref = get(source, "secretRef")
            name = scalar(get(ref, "name"))
            if ref is not None and name:
                line, col = pos(ref)
                yield SecretUse(obj.file, line, col, obj, name, None, None)
    for volume in seq(get(pod_spec(obj), "volumes")):
        name = scalar(get_path(volume, "secret", "secretName"))
        if name:
            line, col = pos(volume)
            yield SecretUse(obj.file, line, col, obj, name, None, None)


def wired_vars(obj: K8sObject) -> set[str]:
    """Environment variables a workload fills from somewhere other than a literal."""
    out: set[str] = set()
    for container in containers(obj):
        for entry in seq(get(container, "env")):
            name = scalar(get(entry, "name"))
            if name and get(entry, "valueFrom") is not None:
                out.add(name)
    return out


def labels(obj: K8sObject) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in (get_path(obj.node, "metadata", "labels"), get_path(obj.node, "spec", "template", "metadata", "labels")):
        for key, value in items(node):
            text = scalar(value)
            if text:
                out[str(key.value)] = text
    return out
