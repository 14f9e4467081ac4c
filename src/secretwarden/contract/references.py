"""Whole-document rules of the contract: names that must exist, refs that must resolve.

Problems are collected with the path of the field they concern, so the loader
can point at `file:line:column`. Raised as `ReferenceProblems`, which pydantic
lets through untouched (it only wraps ValueError).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from secretwarden.contract.suggest import closest

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract, Secret

Loc = tuple[str | int, ...]


class ReferenceProblems(Exception):
    def __init__(self, problems: list[tuple[Loc, str]]):
        super().__init__(f"{len(problems)} reference problem(s)")
        self.problems = problems


def _unknown(kind: str, name: str, choices: list[str]) -> str:
    guess = closest(name, choices)
    tip = f"; did you mean `{guess}`?" if guess else ""
    return f"unknown {kind} `{name}`{tip}"


def declared_keys(contract: Contract) -> dict[tuple[str, str], tuple[str, Secret]]:
    """(namespace, key) -> (declaring service, spec), for keys declared without `ref`."""
    held = _DECLARED[0] if _DECLARED else None
    if held is contract:  # reports ask this of one contract many times: walk it once
        return dict(_DECLARED[1])
    found: dict[tuple[str, str], tuple[str, Secret]] = {}
    for svc_name, svc in contract.services.items():
        for key, spec in svc.secrets.items():
            if spec.ref is None:
                found.setdefault((svc.namespace, key), (svc_name, spec))
    _DECLARED[:] = [contract, found]
    return dict(found)


# The most recent contract and its declared keys; the contract is held, so its id is never reused
# while cached (a contract is frozen: its keys cannot change under the cache).
_DECLARED: list[Any] = []


_SPEC_FIELDS = ("format", "min_length", "generate", "sensitive")


def check_references(contract: Contract) -> None:
    problems: list[tuple[Loc, str]] = []
    envs = list(contract.environments)
    stores = list(contract.stores)
    namespaces = list(contract.namespaces)
    instances = list(contract.instances)

    if not contract.stores:
        problems.append((("stores",), "at least one store is needed"))
    for env_name, env in contract.environments.items():
        if env.store is not None and env.store not in contract.stores:
            problems.append((("environments", env_name, "store"), _unknown("store", env.store, stores)))
        elif env.store is None and len(contract.stores) > 1:
            problems.append(
                (("environments", env_name), "several stores are declared: name this environment's `store`")
            )

    for ns_name, ns in contract.namespaces.items():
        if ns.replaced_by is not None and ns.replaced_by not in contract.namespaces:
            problems.append(
                (("namespaces", ns_name, "replaced_by"), _unknown("namespace", ns.replaced_by, namespaces))
            )

    declared = declared_keys(contract)
    for svc_name, svc in contract.services.items():
        base: Loc = ("services", svc_name)
        if svc.namespace not in contract.namespaces:
            problems.append(((*base, "namespace"), _unknown("namespace", svc.namespace, namespaces)))
        for env_name in svc.environments or []:
            if env_name not in contract.environments:
                problems.append(((*base, "environments"), _unknown("environment", env_name, envs)))
        if svc.per_instance and not contract.instances:
            problems.append(((*base, "per_instance"), "`per_instance: true` needs top-level `instances`"))
        if svc.instances is not None:
            if not svc.per_instance:
                problems.append(((*base, "instances"), "`instances` only applies to `per_instance: true` services"))
            for inst in svc.instances:
                if inst not in contract.instances:
                    problems.append(((*base, "instances"), _unknown("instance", inst, instances)))
        svc_envs = set(svc.environments or envs)
        for key, spec in svc.secrets.items():
            kloc = (*base, "secrets", key)
            for env_name in spec.environments or []:
                if env_name not in contract.environments:
                    problems.append(((*kloc, "environments"), _unknown("environment", env_name, envs)))
                elif env_name not in svc_envs:
                    problems.append(
                        ((*kloc, "environments"), f"environment `{env_name}` is not one the service runs in")
                    )
            if spec.ref is None:
                other = declared.get((svc.namespace, key))
                if other is not None and other[0] != svc_name:
                    for field in _SPEC_FIELDS:
                        if getattr(other[1], field) != getattr(spec, field):
                            problems.append(
                                (
                                    kloc,
                                    f"`{key}` is also declared by service `{other[0]}` in namespace "
                                    f"`{svc.namespace}` with a different `{field}`; declare it once "
                                    f"and use `ref: {svc.namespace}/{key}`",
                                )
                            )
                            break
                continue
            for field in (*_SPEC_FIELDS, "path"):
                if field in spec.model_fields_set:
                    problems.append(
                        ((*kloc, field), f"a `ref` key takes `{field}` from the key it references")
                    )
            ns_name, _, target_key = spec.ref.partition("/")
            if ns_name not in contract.namespaces:
                problems.append(((*kloc, "ref"), _unknown("namespace", ns_name, namespaces)))
                continue
            target = declared.get((ns_name, target_key))
            if target is None:
                choices = [k for (n, k) in declared if n == ns_name]
                problems.append(
                    ((*kloc, "ref"), _unknown(f"key in namespace `{ns_name}`", target_key, choices))
                )
                continue
            target_svc = contract.services[target[0]]
            if svc.per_instance and not target_svc.per_instance:
                problems.append(
                    (
                        (*kloc, "ref"),
                        f"per-instance service `{svc_name}` cannot use the shared key `{spec.ref}`: "
                        "instances never fall back to shared credentials",
                    )
                )
            elif target_svc.per_instance and not svc.per_instance:
                problems.append(
                    (
                        (*kloc, "ref"),
                        f"`{spec.ref}` exists once per instance; a service that is not per-instance "
                        "cannot pick one",
                    )
                )
    if problems:
        raise ReferenceProblems(problems)
