"""Resolve the contract into requirements: which slot each service reads in each environment.

This is the one place that applies routing (namespace, explicit `ref`,
per-instance slots), environment subsets and rotation defaults. Every command
that compares the contract with a store starts from `requirements()`.

A `Requirement` is the one resolved type of a key (slot, sensitivity, format,
instance...). `ServicePlan` is what one service needs in one environment:
its requirements plus where its store and audit log are. `warden run`, the
runtime's `load_settings`/`require()` and redaction all work from it, and it
is the one thing the plan cache (`contract/plan_cache.py`) keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from secretwarden.contract.validation import spec_digest, spec_fields
from secretwarden.errors import UsageError
from secretwarden.lazy_names import LazyNames
from secretwarden.slots import SlotRef
from secretwarden.value_class import FrozenValue

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from typing import Any

    from secretwarden.contract.facts import (
        path_overrides as path_overrides,  # re-exported: its old home (loaded on use, see __getattr__)
    )
    from secretwarden.contract.loader import LoadedContract
    from secretwarden.contract.model import Contract, Secret, Service
else:
    # contract/facts.py (two dataclasses) is loaded on first use: `warden run`'s fast path
    # imports this module for the plan's classes and never asks for the facts.
    __getattr__ = LazyNames(__name__, {"secretwarden.contract.facts": ("path_overrides",)})


# The three classes below are written out rather than dataclasses: `warden run`'s fast path
# loads this module, and each dataclass costs start-up (value_class.py).


class Requirement(FrozenValue):
    """One key one service reads in one environment (and instance), resolved from the contract."""

    _fields = (
        "service", "var", "slot", "store", "required", "sensitive", "fmt", "regex", "min_length", "generate",
        "rotate_every", "owner", "description", "via_ref", "deprecated", "deprecated_hold_until", "past_hold",
        "path_override", "runbook",
    )
    _unhashed = frozenset({"generate"})  # a dict
    service: str
    var: str  # name of the environment variable the service reads
    slot: SlotRef
    store: str
    required: bool
    sensitive: bool
    fmt: str | None
    regex: str | None
    min_length: int | None
    generate: dict[str, Any] | None
    rotate_every: dt.timedelta | None
    owner: str | None
    description: str | None
    via_ref: str | None  # `namespace/KEY` when read through an explicit reference
    deprecated: bool  # the slot's namespace is deprecated
    deprecated_hold_until: dt.date | None  # legacy reads allowed until this date
    past_hold: str  # what a read past the hold date does: block | warn
    path_override: str | None
    runbook: tuple[str, ...]

    def __init__(
        self,
        service: str,
        var: str,
        slot: SlotRef,
        store: str,
        required: bool,
        sensitive: bool,
        fmt: str | None,
        regex: str | None,
        min_length: int | None,
        generate: dict[str, Any] | None,
        rotate_every: dt.timedelta | None,
        owner: str | None,
        description: str | None,
        via_ref: str | None = None,
        deprecated: bool = False,
        deprecated_hold_until: dt.date | None = None,
        past_hold: str = "block",
        path_override: str | None = None,
        runbook: tuple[str, ...] = (),
    ) -> None:
        self.__dict__.update(
            service=service, var=var, slot=slot, store=store, required=required, sensitive=sensitive, fmt=fmt,
            regex=regex, min_length=min_length, generate=generate, rotate_every=rotate_every, owner=owner,
            description=description, via_ref=via_ref, deprecated=deprecated,
            deprecated_hold_until=deprecated_hold_until, past_hold=past_hold, path_override=path_override,
            runbook=runbook,
        )

    @property
    def digest(self) -> str:
        return spec_digest(self.fmt, self.regex, self.min_length)

    @property
    def shape(self) -> tuple[str, bool, bool, str | None, str | None, int | None]:
        """What an application sees of the key (no slot): equal across environments when the key is."""
        return (self.var, self.required, self.sensitive, self.fmt, self.regex, self.min_length)


class StoreRef(FrozenValue):
    """The store an environment uses, as the contract names it (opened by `stores/registry.py`)."""

    _fields = ("name", "backend", "options", "root", "project", "path_overrides")
    _unhashed = frozenset({"options"})  # a dict
    name: str
    backend: str
    options: dict[str, Any]
    root: str  # folder of the contract: relative store paths start here
    project: str
    path_overrides: tuple[tuple[str, str, str], ...]  # (namespace, key, path)

    def __init__(
        self,
        name: str,
        backend: str,
        options: dict[str, Any],
        root: str,
        project: str,
        path_overrides: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        d = self.__dict__
        d["name"] = name
        d["backend"] = backend
        d["options"] = options
        d["root"] = root
        d["project"] = project
        d["path_overrides"] = path_overrides


class ServicePlan(FrozenValue):
    """One service in one environment (and instance): what it reads, from which store, audited where."""

    _fields = ("service", "env", "instance", "direct", "contract_path", "digest", "store", "audit_path", "entries")
    service: str
    env: str
    instance: str | None
    direct: bool  # `access: direct-vault`: the application reads its values from the store itself
    contract_path: str
    digest: str  # SHA-256 of the contract's bytes
    store: StoreRef
    audit_path: str
    entries: tuple[Requirement, ...]

    def __init__(
        self,
        service: str,
        env: str,
        instance: str | None,
        direct: bool,
        contract_path: str,
        digest: str,
        store: StoreRef,
        audit_path: str,
        entries: tuple[Requirement, ...],
    ) -> None:
        d = self.__dict__
        d["service"] = service
        d["env"] = env
        d["instance"] = instance
        d["direct"] = direct
        d["contract_path"] = contract_path
        d["digest"] = digest
        d["store"] = store
        d["audit_path"] = audit_path
        d["entries"] = entries

    def sensitive_values(self, values: Mapping[str, str]) -> dict[str, str]:
        """The values of this plan's sensitive keys (what `run --redact` hides)."""
        sensitive = {e.var for e in sensitive_only(self.entries)}
        return {k: v for k, v in values.items() if k in sensitive}


def sensitive_only(entries: Iterable[Requirement]) -> list[Requirement]:
    """The one place that decides whose values are kept out of output: keys the contract marks sensitive."""
    return [e for e in entries if e.sensitive]


def check_env(contract: Contract, env: str) -> None:
    if env not in contract.environments:
        from secretwarden.contract.suggest import closest

        guess = closest(env, contract.environments)
        raise UsageError(
            f"unknown environment `{env}`" + (f"; did you mean `{guess}`?" if guess else ""),
            hint="environments: " + ", ".join(contract.environments),
        )


def check_service(contract: Contract, service: str) -> Service:
    svc = contract.services.get(service)
    if svc is None:
        from secretwarden.contract.suggest import closest

        guess = closest(service, contract.services)
        raise UsageError(
            f"unknown service `{service}`" + (f"; did you mean `{guess}`?" if guess else ""),
            hint="`warden status` lists the services of the contract",
        )
    return svc


def service_runs_in(svc: Service, env: str) -> bool:
    return svc.environments is None or env in svc.environments


def service_instances(contract: Contract, svc: Service) -> list[str | None]:
    if not svc.per_instance:
        return [None]
    return list(svc.instances if svc.instances is not None else contract.instances)


def _cadence(contract: Contract, env: str, ns: str, spec: Secret) -> dt.timedelta | None:
    for candidate in (
        spec.rotate_every,
        contract.namespaces[ns].rotate_every if ns in contract.namespaces else None,
        contract.environments[env].rotate_every,
        contract.rotate_every,
    ):
        if candidate:
            # Here: only plans made from the contract need it, and `warden run` reads a cached plan.
            from secretwarden.contract.durations import parse_duration

            return parse_duration(candidate)
    return None


def requirements(
    contract: Contract,
    env: str,
    *,
    service: str | None = None,
    instance: str | None = None,
) -> list[Requirement]:
    """Every (service, key) the contract expects in `env`, in contract order."""
    check_env(contract, env)
    if service is not None:
        chosen = check_service(contract, service)
        if instance is not None and not chosen.per_instance:
            raise UsageError(f"service `{service}` is not per-instance; drop --instance")
        if instance is not None and instance not in service_instances(contract, chosen):
            raise UsageError(f"unknown instance `{instance}` for service `{service}`")
    hit = _RESOLVED.get((id(contract), env))
    if hit is not None and hit[0] is contract:
        everything = hit[1]
    elif service is not None:
        everything = _resolve(contract, env, only=service)  # one service: not worth caching
    else:
        everything = _env_requirements(contract, env)
    if service is None and instance is None:
        return list(everything)
    return [
        r
        for r in everything
        if (service is None or r.service == service) and (instance is None or r.slot.instance == instance)
    ]


# Resolved requirements of the most recent contract object, per environment. Reports call
# `requirements` many times on one contract (status, rotation, isolation, a dashboard
# build), so the resolution runs once per environment. Only one contract is kept (a long
# running server loads a new one per request), and it is kept alive with its entries, so
# its id cannot be reused while cached.
_RESOLVED: dict[tuple[int, str], tuple[Contract, list[Requirement]]] = {}


def _env_requirements(contract: Contract, env: str) -> list[Requirement]:
    out = _resolve(contract, env)
    if any(held is not contract for held, _ in _RESOLVED.values()):
        _RESOLVED.clear()
    _RESOLVED[(id(contract), env)] = (contract, out)
    return out


def _resolve(contract: Contract, env: str, *, only: str | None = None) -> list[Requirement]:
    from secretwarden.contract.references import declared_keys

    declared = declared_keys(contract)
    store = contract.store_for(env)
    out: list[Requirement] = []
    # What a key's spec decides, computed once per spec (a shared key is read by many services,
    # and a per-instance key once per instance): reports resolve tens of thousands of slots.
    per_spec: dict[tuple[str, int], tuple[Any, ...]] = {}
    for svc_name, svc in contract.services.items():
        if only is not None and svc_name != only:
            continue
        if not service_runs_in(svc, env):
            continue
        for inst in service_instances(contract, svc):
            for var, spec in svc.secrets.items():
                if spec.environments is not None and env not in spec.environments:
                    continue
                ns, key, target = svc.namespace, var, spec
                if spec.ref is not None:
                    ns, _, key = spec.ref.partition("/")
                    target = declared[(ns, key)][1]
                namespace = contract.namespaces[ns]
                decided = per_spec.get((ns, id(target)))
                if decided is None:
                    gen = target.generator
                    decided = per_spec[(ns, id(target))] = (
                        *spec_fields(target),
                        gen.model_dump() if gen is not None else None,
                        _cadence(contract, env, ns, target),
                        tuple(step.step for step in target.runbook),
                    )
                fmt, regex, min_length, generate, cadence, runbook = decided
                out.append(
                    _requirement(
                        {
                            "service": svc_name,
                            "var": var,
                            "slot": SlotRef(env, ns, key, inst),
                            "store": store,
                            "required": spec.required,
                            "sensitive": target.sensitive,
                            "fmt": fmt,
                            "regex": regex,
                            "min_length": min_length,
                            "generate": generate,
                            "rotate_every": cadence,
                            "owner": target.owner or svc.owner or namespace.owner,
                            "description": spec.description or target.description,
                            "via_ref": spec.ref,
                            "deprecated": namespace.deprecated,
                            "deprecated_hold_until": namespace.hold_until,
                            "past_hold": namespace.past_hold,
                            "path_override": target.path,
                            "runbook": runbook,
                        }
                    )
                )
    return out


def _requirement(fields: dict[str, Any]) -> Requirement:
    """A `Requirement` from every one of its fields, without a call through its __init__.

    Resolving a large contract makes 30,000 requirements; filling the instance dictionary in
    one update is the cheapest way. The instance is the same (equal, same hash, still frozen);
    tests/contract/test_report_plan.py checks every field is set.
    """
    req = object.__new__(Requirement)
    req.__dict__.update(fields)
    return req


def expected_slots(reqs: list[Requirement]) -> dict[SlotRef, list[Requirement]]:
    """Group requirements by slot: a shared key is one slot read by several services."""
    grouped: dict[SlotRef, list[Requirement]] = {}
    for req in reqs:
        grouped.setdefault(req.slot, []).append(req)
    return grouped


def audit_log_path(contract: Contract, root: Path) -> Path:
    """Where the contract's audit log is (relative paths start at the contract's folder)."""
    path = Path(contract.audit.path or ".warden/audit.jsonl").expanduser()
    return path if path.is_absolute() else root / path


def store_ref(contract: Contract, env: str, root: Path) -> StoreRef:
    name = contract.store_for(env)
    cfg = contract.stores[name]
    from secretwarden.contract.facts import path_overrides

    overrides = tuple((ns, key, path) for (ns, key), path in path_overrides(contract).items())
    return StoreRef(name, cfg.backend, dict(cfg.options), str(root), contract.project, overrides)


def service_plan(
    loaded: LoadedContract, service: str, env: str, instance: str | None, *, any_instance: bool = False
) -> ServicePlan:
    """Resolve one service's plan; with `any_instance`, a per-instance service may leave out the instance
    (its first instance stands for all: every instance has the same keys, only the slots differ)."""
    contract: Contract = loaded.contract
    check_env(contract, env)
    svc = check_service(contract, service)
    if svc.per_instance and instance is None:
        choices = service_instances(contract, svc)
        if not any_instance or not choices:
            raise UsageError(
                f"service `{service}` is per-instance: pass --instance",
                hint="instances: " + ", ".join(str(i) for i in choices),
            )
        instance = choices[0]
    reqs = requirements(contract, env, service=service, instance=instance)
    if not reqs and not service_runs_in(svc, env):
        raise UsageError(f"service `{service}` does not run in environment `{env}`")
    return ServicePlan(
        service=service,
        env=env,
        instance=instance,
        direct=svc.access == "direct-vault",
        contract_path=str(loaded.path),
        digest=loaded.digest,
        store=store_ref(contract, env, loaded.root),
        audit_path=str(audit_log_path(contract, loaded.root)),
        entries=tuple(reqs),
    )
