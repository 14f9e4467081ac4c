"""Fail-fast application settings built from the contract's entry for one service.

`load_settings("payment")` reads the service's keys (from the process
environment, or straight from the store for `access: direct-vault`
services), checks each against the contract with the same rules `warden set`
and `warden run` use (`contract/validation.py`), and returns a frozen pydantic
model: sensitive keys as `SecretStr`, plain config values typed from their
format (duration -> timedelta, integer -> int, percent -> float, boolean ->
bool). Any problem, in any number of keys, becomes one `SettingsInvalid`
listing every key by name and never a value.

Imports stay light at module level: pydantic and the contract model load on
the first call, so `import secretwarden.runtime` costs little.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import keyword
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from secretwarden.errors import SettingsInvalid, UsageError, WardenError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from secretwarden.contract.loader import LoadedContract
    from secretwarden.contract.plan import Requirement

ENV_VAR = "WARDEN_ENV"
INSTANCE_VAR = "WARDEN_INSTANCE"
CONTRACT_VAR = "WARDEN_CONTRACT"
_PLAN_FORMAT = 1


@dataclass(frozen=True)
class KeySpec:
    """What the application needs to know about one key (no slot, no store)."""

    var: str
    field: str  # python attribute name on the settings model
    required: bool
    sensitive: bool
    fmt: str | None
    regex: str | None
    min_length: int | None


@dataclass(frozen=True)
class ServicePlan:
    service: str
    env: str
    instance: str | None
    direct: bool  # `access: direct-vault`: read values from the store
    keys: tuple[KeySpec, ...]
    # Only for direct-vault services, which open the store (never from the plan cache):
    loaded: LoadedContract | None = None
    requirements: tuple[Requirement, ...] = ()


# --- contract -> plan ----------------------------------------------------------------


def plan_for(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServicePlan:
    """The service's requirements in `env` (or the one environment that makes sense).

    A plan for a service read from the environment is cached as JSON keyed by
    the contract's digest, so an application's start-up skips the contract
    model (pydantic validation of the whole document) after the first run.
    """
    from secretwarden.contract.loader import (
        contract_digest,
        read_contract_bytes,
        resolve_contract_path,
    )

    source = os.environ if environ is None else environ
    path = resolve_contract_path(contract_path or source.get(CONTRACT_VAR) or None).resolve()
    env = env or source.get(ENV_VAR) or None
    instance = instance or source.get(INSTANCE_VAR) or None
    cache_file = _plan_cache(contract_digest(read_contract_bytes(path)), service, env, instance)
    cached = _read_plan(cache_file, service) if cache_file is not None else None
    if cached is not None:
        return cached
    plan = _compile(path, service, env, instance, use_cache=cache_file is not None)
    if cache_file is not None and not plan.direct:
        _write_plan(cache_file, plan)
    return plan


def _compile(path: Path, service: str, env: str | None, instance: str | None, *, use_cache: bool = True) -> ServicePlan:
    from secretwarden.contract.loader import load_contract
    from secretwarden.contract.plan import (
        check_service,
        requirements,
        service_instances,
        service_runs_in,
    )

    loaded = load_contract(path, use_cache=use_cache)
    contract = loaded.contract
    svc = check_service(contract, service)
    direct = svc.access == "direct-vault"
    if svc.per_instance and instance is None:
        choices = service_instances(contract, svc)
        if direct or not choices:
            raise UsageError(
                f"service `{service}` is per-instance: pass instance= or set {INSTANCE_VAR}",
                hint="instances: " + ", ".join(str(i) for i in choices),
            )
        instance = choices[0]  # every instance has the same keys; only the slots differ
    if env is None:
        runs_in = [e for e in contract.environments if service_runs_in(svc, e)]
        shapes = {tuple(_key_spec(r) for r in requirements(contract, e, service=service, instance=instance)) for e in runs_in}
        if direct or len(shapes) != 1:
            raise UsageError(
                f"cannot tell which environment `{service}` runs in: pass env= or set {ENV_VAR}",
                hint="environments: " + ", ".join(runs_in),
            )
        env = runs_in[0]
    reqs = requirements(contract, env, service=service, instance=instance)
    if not reqs and not service_runs_in(svc, env):
        raise UsageError(f"service `{service}` does not run in environment `{env}`")
    keys = tuple(_key_spec(r) for r in reqs)
    if direct:
        return ServicePlan(service, env, instance, True, keys, loaded, tuple(reqs))
    return ServicePlan(service, env, instance, False, keys)


def _plan_cache(digest: str, service: str, env: str | None, instance: str | None) -> Path | None:
    from secretwarden.paths import cache_dir

    try:
        folder = cache_dir()
    except (RuntimeError, KeyError):  # no HOME in a minimal container: run without a cache
        return None
    return folder / "runtime" / digest / f"{service}--{env or '-'}--{instance or '-'}.json"


def _read_plan(path: Path, service: str) -> ServicePlan | None:
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != _PLAN_FORMAT:
            return None
        keys = tuple(KeySpec(**k) for k in data["keys"])
        return ServicePlan(service, data["env"], data["instance"], False, keys)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no or unreadable cache: compile from the contract


def _write_plan(path: Path, plan: ServicePlan) -> None:
    from dataclasses import asdict

    from secretwarden.paths import write_atomic

    payload = {"format": _PLAN_FORMAT, "env": plan.env, "instance": plan.instance, "keys": [asdict(k) for k in plan.keys]}
    with contextlib.suppress(OSError):  # a read-only cache only costs start-up time
        write_atomic(path, json.dumps(payload).encode())


def _field_name(var: str) -> str:
    name = var if var.isidentifier() else "".join(c if c.isalnum() or c == "_" else "_" for c in var)
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name.startswith("model_"):
        name = "k_" + name.lstrip("_")
    return name


def _key_spec(req: Requirement) -> KeySpec:
    return KeySpec(req.var, _field_name(req.var), req.required, req.sensitive, req.fmt, req.regex, req.min_length)


# --- values ------------------------------------------------------------------------------


def read_raw(plan: ServicePlan, environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Raw values by key name, plus problems found while reading (missing, compromised...)."""
    if plan.direct:
        return _read_store(plan)
    source = os.environ if environ is None else environ
    values: dict[str, str] = {}
    problems: list[str] = []
    for key in plan.keys:
        raw = source.get(key.var)
        if raw is None or raw == "":
            if key.required:
                problems.append(f"{key.var}: missing" + (" (empty)" if raw == "" else ""))
            continue
        values[key.var] = raw
    return values, problems


def _read_store(plan: ServicePlan) -> tuple[dict[str, str], list[str]]:
    """Read from the env's store through the workspace (any backend), audited like `run`."""
    from secretwarden.ops.run import PlanEntry, resolve_values
    from secretwarden.ops.secrets import audited
    from secretwarden.ops.workspace import Workspace

    assert plan.loaded is not None, "direct-vault plans carry the loaded contract"
    entries = [PlanEntry.from_json(r.to_json()) for r in plan.requirements]
    with Workspace(plan.loaded, command="runtime") as ws:
        store = ws.secrets(plan.env)
        with audited(ws, command="runtime", service=plan.service, env=plan.env, instance=plan.instance) as extra:
            res = resolve_values(store, entries)
            extra["keys"] = res.keys
    # resolve_values already checked formats; the second check in `validate` is cheap and harmless.
    return res.values, list(res.problems)


def secret_values(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The sensitive values of a service that are present, by key name (for redaction)."""
    plan = plan_for(service, env, instance=instance, contract_path=contract_path, environ=environ)
    values, _ = read_raw(plan, environ)
    sensitive = {k.var for k in plan.keys if k.sensitive}
    return {k: v for k, v in values.items() if k in sensitive}


# --- validation and typing --------------------------------------------------------------


def _duration(text: str) -> dt.timedelta:
    from secretwarden.contract.durations import parse_duration

    cleaned = text.strip().lower()
    if cleaned.endswith("ms") and cleaned[:-2].isdigit():
        return dt.timedelta(milliseconds=int(cleaned[:-2]))
    return parse_duration(cleaned)


_CONVERTERS: dict[str, tuple[type, Any]] = {
    "duration": (dt.timedelta, _duration),
    "integer": (int, int),
    "percent": (float, float),
    "boolean": (bool, lambda v: v.strip().lower() in {"true", "1", "yes"}),
}


def _python_type(key: KeySpec) -> Any:
    from pydantic import SecretStr

    if key.sensitive:
        return SecretStr
    return _CONVERTERS[key.fmt][0] if key.fmt in _CONVERTERS else str


@lru_cache(maxsize=64)
def settings_model(model_name: str, keys: tuple[KeySpec, ...]) -> type[BaseModel]:
    """A frozen pydantic model with one field per key (alias = the key's name)."""
    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for key in keys:
        typ = _python_type(key)
        if key.required:
            fields[key.field] = (typ, Field(alias=key.var, description=key.var))
        else:
            fields[key.field] = (typ | None, Field(None, alias=key.var, description=key.var))
    config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        hide_input_in_errors=True,  # a value must never reach an error message
        protected_namespaces=(),
    )
    model: type[BaseModel] = create_model(model_name, __config__=config, **fields)
    return model


def validate(keys: tuple[KeySpec, ...], raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Check raw values against the contract and convert plain config values."""
    from secretwarden.contract.validation import value_problems

    typed: dict[str, Any] = {}
    problems: list[str] = []
    for key in keys:
        value = raw.get(key.var)
        if value is None:
            continue
        bad = value_problems(value, key.fmt, key.regex, key.min_length)
        if bad:
            problems.append(f"{key.var}: invalid: " + "; ".join(bad))
            continue
        if not key.sensitive and key.fmt in _CONVERTERS:
            try:
                typed[key.var] = _CONVERTERS[key.fmt][1](value)
            except (ValueError, ArithmeticError):  # the exception text may quote the value
                problems.append(f"{key.var}: invalid: cannot be read as {key.fmt}")
            continue
        typed[key.var] = value
    return typed, problems


def build(plan: ServicePlan, raw: Mapping[str, str], problems: list[str]) -> BaseModel:
    typed, more = validate(plan.keys, raw)
    problems = _dedupe([*problems, *more], [k.var for k in plan.keys])
    if problems:
        raise _invalid(plan, problems)
    model = settings_model(_model_name(plan.service), plan.keys)
    from pydantic import ValidationError

    try:
        return model.model_validate(typed)
    except ValidationError as exc:  # a safety net: name the key and the kind, nothing else
        found = [f"{'.'.join(map(str, e['loc']))}: invalid ({e['type']})" for e in exc.errors(include_input=False)]
    raise _invalid(plan, found)


def _dedupe(problems: list[str], order: list[str]) -> list[str]:
    """One problem per key (the first found), in contract order."""
    seen: dict[str, str] = {}
    for p in problems:
        seen.setdefault(p.split(":", 1)[0], p)
    rank = {var: i for i, var in enumerate(order)}
    return sorted(seen.values(), key=lambda p: rank.get(p.split(":", 1)[0], len(rank)))


def _model_name(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("_", "-").split("-") if part) + "Settings"


def _invalid(plan: ServicePlan, problems: list[str]) -> SettingsInvalid:
    where = f"`{plan.service}` in {plan.env}" + (f"@{plan.instance}" if plan.instance else "")
    return SettingsInvalid(
        f"settings of {where}: {len(problems)} problem(s): " + "; ".join(problems),
        problems=problems,
        hint=f"`warden check --service {plan.service} --env {plan.env}` shows the store's side",
    )


# --- public entry points ----------------------------------------------------------------


def load_settings(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BaseModel:
    """The service's settings as a typed model, or one `SettingsInvalid` naming every problem."""
    plan = plan_for(service, env, instance=instance, contract_path=contract_path, environ=environ)
    raw, problems = read_raw(plan, environ)
    return build(plan, raw, problems)


def require(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BaseModel:
    """Start-up form of `load_settings`: on any problem, list it on stderr and exit non-zero."""
    try:
        return load_settings(service, env, instance=instance, contract_path=contract_path, environ=environ)
    except WardenError as exc:
        _exit(service, exc)


def _exit(service: str, exc: WardenError) -> NoReturn:
    if isinstance(exc, SettingsInvalid):
        lines = [f"{service}: cannot start: {len(exc.problems)} problem(s) with its settings"]
        lines += [f"  {p}" for p in exc.problems]
    else:
        lines = [f"{service}: cannot start: {exc.message}"]
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    raise SystemExit(exc.exit_code)
