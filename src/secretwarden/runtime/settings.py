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

import datetime as dt
import keyword
import os
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from secretwarden.errors import SettingsInvalid, UsageError, WardenError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from secretwarden.contract.plan import Requirement, ServicePlan
    from secretwarden.slots import SlotRef
    from secretwarden.verdict import Verdict

ENV_VAR = "WARDEN_ENV"
INSTANCE_VAR = "WARDEN_INSTANCE"
CONTRACT_VAR = "WARDEN_CONTRACT"

# What the application sees of a key: (name, required, sensitive, format, regex, min_length).
KeyShape = tuple[str, bool, bool, "str | None", "str | None", "int | None"]


# --- contract -> plan ----------------------------------------------------------------


def plan_for(
    service: str,
    env: str | None = None,
    *,
    instance: str | None = None,
    contract_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServicePlan:
    """The service's plan in `env` (or the one environment that makes sense).

    Plans come from the same sealed cache `warden run` uses
    (contract/plan_cache.py), keyed by the contract's path and bytes, the
    request and the environment variables that select stores and keys, so an
    application's start-up skips the contract model after the first run.
    """
    from secretwarden.contract import plan_cache
    from secretwarden.contract.locate import (
        contract_digest,
        read_contract_bytes,
        resolve_contract_path,
    )

    source = os.environ if environ is None else environ
    path = resolve_contract_path(contract_path or source.get(CONTRACT_VAR) or None).resolve()
    env = env or source.get(ENV_VAR) or None
    instance = instance or source.get(INSTANCE_VAR) or None
    request = (service, env, instance, True)
    digest = contract_digest(read_contract_bytes(path))
    cached = plan_cache.load(path, digest, request, os.environ)
    if cached is not None:
        return cached
    plan = _compile(path, service, env, instance)
    plan_cache.save(plan, path, request, os.environ)
    return plan


def _compile(path: Path, service: str, env: str | None, instance: str | None) -> ServicePlan:
    from secretwarden.contract.loader import load_contract
    from secretwarden.contract.plan import check_service, service_plan, service_runs_in

    loaded = load_contract(path)
    contract = loaded.contract
    svc = check_service(contract, service)
    direct = svc.access == "direct-vault"
    if svc.per_instance and instance is None and direct:
        raise UsageError(
            f"service `{service}` is per-instance: pass instance= or set {INSTANCE_VAR}",
            hint="direct-vault services read their own instance's slots",
        )
    if env is None:
        runs_in = [e for e in contract.environments if service_runs_in(svc, e)]
        shapes = {
            tuple(r.shape for r in service_plan(loaded, service, e, instance, any_instance=True).entries) for e in runs_in
        }
        if direct or len(shapes) != 1:
            raise UsageError(
                f"cannot tell which environment `{service}` runs in: pass env= or set {ENV_VAR}",
                hint="environments: " + ", ".join(runs_in),
            )
        env = runs_in[0]
    return service_plan(loaded, service, env, instance, any_instance=not direct)


def _field_name(var: str) -> str:
    name = var if var.isidentifier() else "".join(c if c.isalnum() or c == "_" else "_" for c in var)
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name.startswith("model_"):
        name = "k_" + name.lstrip("_")
    return name


# --- values ------------------------------------------------------------------------------


def read_raw(plan: ServicePlan, environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Raw values by key name, plus what keeps the service from starting (a direct-vault read
    is judged here, with the store's compromise marks and the incident register; values from
    the environment are judged in `build`, where their formats are checked)."""
    if plan.direct:
        return _read_store(plan)
    source = os.environ if environ is None else environ
    return {k.var: source[k.var] for k in plan.entries if source.get(k.var)}, []


def judged(
    plan: ServicePlan,
    readings: list[tuple[Requirement, str, tuple[str, ...]]],
    register: Mapping[tuple[str, SlotRef], str] | None = None,
) -> Verdict:
    """The one verdict (secretwarden/verdict.py) over what the application got for each key.

    A direct-vault read also weighs the incident register; values from the
    environment were passed by `warden run`, which weighed it (and its audited
    `--allow-compromised`) already.
    """
    from secretwarden.verdict import SlotFacts, judge

    register = register if plan.direct and register is not None else {}  # read with the values (_read_store)
    facts = [
        SlotFacts(
            req.var, req.slot, req.required, state, problems,  # type: ignore[arg-type]
            register.get((plan.store.name, req.slot)) if register else None,
            req.deprecated, req.deprecated_hold_until, req.past_hold,  # type: ignore[arg-type]
        )
        for req, state, problems in readings
    ]
    return judge(facts, dt.datetime.now(dt.UTC).date())


def _read_store(plan: ServicePlan) -> tuple[dict[str, str], list[str]]:
    """Read from the plan's store (any backend, through the registry), audited like `run`."""
    from secretwarden.runtime.store_values import (
        audited,
        open_plan_store,
        plan_audit_log,
        resolve_values,
    )
    from secretwarden.stores.base import shared_index
    from secretwarden.verdict import open_incidents

    store = open_plan_store(plan)
    try:
        log = plan_audit_log(plan, store)
        with audited(log, command="runtime", service=plan.service, env=plan.env, instance=plan.instance) as extra:
            res = resolve_values(store, plan.entries)
            extra["keys"] = res.keys
        register = open_incidents([shared_index(store, "incidents")], Path(plan.audit_path))
    finally:
        store.close()
    verdict = judged(plan, res.readings, register)
    # resolve_values already checked formats; the second check in `validate` is cheap and harmless.
    values = {k: v for k, v in res.values.items() if k not in verdict.withheld}
    return values, [r.line for r in verdict.blockers]


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
    return plan.sensitive_values(values)


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


def _python_type(sensitive: bool, fmt: str | None) -> Any:
    from pydantic import SecretStr

    if sensitive:
        return SecretStr
    return _CONVERTERS[fmt][0] if fmt in _CONVERTERS else str


@lru_cache(maxsize=64)
def settings_model(model_name: str, keys: tuple[KeyShape, ...]) -> type[BaseModel]:
    """A frozen pydantic model with one field per key (alias = the key's name)."""
    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for var, required, sensitive, fmt, _regex, _min in keys:
        typ = _python_type(sensitive, fmt)
        if required:
            fields[_field_name(var)] = (typ, Field(alias=var, description=var))
        else:
            fields[_field_name(var)] = (typ | None, Field(None, alias=var, description=var))
    config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        hide_input_in_errors=True,  # a value must never reach an error message
        protected_namespaces=(),
    )
    model: type[BaseModel] = create_model(model_name, __config__=config, **fields)
    return model


def validate(keys: tuple[Requirement, ...], raw: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """Check raw values against the contract and convert plain config values.

    Returns the typed values and, by key name, why a value is invalid (never the value).
    """
    from secretwarden.contract.validation import value_problems

    typed: dict[str, Any] = {}
    invalid: dict[str, tuple[str, ...]] = {}
    for key in keys:
        value = raw.get(key.var)
        if value is None:
            continue
        bad = value_problems(value, key.fmt, key.regex, key.min_length)
        if bad:
            invalid[key.var] = tuple(bad)
            continue
        if not key.sensitive and key.fmt in _CONVERTERS:
            try:
                typed[key.var] = _CONVERTERS[key.fmt][1](value)
            except (ValueError, ArithmeticError):  # the exception text may quote the value
                invalid[key.var] = (f"cannot be read as {key.fmt}",)
            continue
        typed[key.var] = value
    return typed, invalid


def build(plan: ServicePlan, raw: Mapping[str, str], problems: list[str]) -> BaseModel:
    """The settings model, or one `SettingsInvalid` with every reason the verdict blocks on."""
    typed, invalid = validate(plan.entries, raw)
    readings = [
        (req, "invalid" if req.var in invalid else "present" if req.var in raw else "missing", invalid.get(req.var, ()))
        for req in plan.entries
    ]
    if plan.direct:  # judged when read; only a conversion can still fail
        verdict = judged(plan, [r for r in readings if r[1] == "invalid"])
    else:
        verdict = judged(plan, readings)
    typed = {k: v for k, v in typed.items() if k not in verdict.withheld}
    problems = _dedupe([*problems, *(r.line for r in verdict.blockers)], [k.var for k in plan.entries])
    if problems:
        raise _invalid(plan, problems)
    model = settings_model(_model_name(plan.service), tuple(k.shape for k in plan.entries))
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
