"""`warden run` and `warden check`: resolve a service's secrets, fail closed.

The resolving core (`resolve_values`) works on plain plan entries and imports
nothing heavy, so the fast path of `warden run` (ops/fastrun.py) and the full
path share it. The compiled plan of a (service, environment) is cached, keyed
by the contract's digest, for that fast path.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from secretwarden.contract.validation import value_problems
from secretwarden.errors import CompromisedSecret, PolicyError, UsageError
from secretwarden.paths import cache_dir, write_atomic
from secretwarden.slots import SlotRef

if TYPE_CHECKING:
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.base import SecretStore

PLAN_FORMAT = 1


@dataclass(frozen=True)
class PlanEntry:
    var: str
    slot: SlotRef
    required: bool
    fmt: str | None
    regex: str | None
    min_length: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanEntry:
        env, ns, key, inst = data["slot"]
        return cls(data["var"], SlotRef(env, ns, key, inst), data["required"], data["fmt"], data["regex"], data["min_length"])


@dataclass
class Resolution:
    values: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one line per key, never a value
    compromised: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # slot labels that were read


def resolve_values(store: SecretStore, entries: list[PlanEntry], *, allow_compromised: bool = False) -> Resolution:
    """Read and validate every entry. Missing or invalid required keys become problems."""
    from secretwarden.errors import SecretNotFound

    res = Resolution()
    for entry in entries:
        meta = store.key_meta(entry.slot)
        if meta is None or meta.current is None:
            if entry.required:
                res.problems.append(f"{entry.var}: missing ({entry.slot.label()})")
            continue
        if meta.compromised:
            res.compromised.append(entry.var)
            if not allow_compromised:
                res.problems.append(f"{entry.var}: compromised, not rotated since ({entry.slot.label()})")
                continue
        try:
            value = store.read(entry.slot).reveal()
        except SecretNotFound:
            if entry.required:
                res.problems.append(f"{entry.var}: missing ({entry.slot.label()})")
            continue
        res.keys.append(entry.slot.label())
        bad = value_problems(value, entry.fmt, entry.regex, entry.min_length)
        if bad:
            if entry.required:
                res.problems.append(f"{entry.var}: invalid: " + "; ".join(bad))
                continue
            # An invalid optional value is left out rather than passed on.
            res.problems.append(f"{entry.var}: optional value ignored: " + "; ".join(bad))
            continue
        res.values[entry.var] = value
    return res


def blocking(res: Resolution) -> list[str]:
    return [p for p in res.problems if "optional value ignored" not in p]


# --- plan cache --------------------------------------------------------------------


def plan_path(digest: str, service: str, env: str, instance: str | None) -> Path:
    return cache_dir() / "plans" / digest / f"{service}--{env}--{instance or '-'}.json"


def compile_plan(ws: Workspace, service: str, env: str, instance: str | None) -> list[PlanEntry]:
    from secretwarden.contract.plan import requirements, service_instances

    svc = ws.contract.services.get(service)
    if svc is not None and svc.per_instance and instance is None:
        choices = ", ".join(str(i) for i in service_instances(ws.contract, svc))
        raise UsageError(f"service `{service}` is per-instance: pass --instance", hint=f"instances: {choices}")
    reqs = requirements(ws.contract, env, service=service, instance=instance)
    if not reqs and svc is not None:
        from secretwarden.contract.plan import service_runs_in

        if not service_runs_in(svc, env):
            raise UsageError(f"service `{service}` does not run in environment `{env}`")
    store_name = ws.contract.store_for(env)
    spec = ws.store_spec(store_name)
    payload = {
        "format": PLAN_FORMAT,
        "project": ws.contract.project,
        "contract": str(ws.loaded.path),
        "audit": str(ws.audit.path),
        "store": {
            "name": spec.name,
            "backend": spec.backend,
            "options": spec.options,
            "root": str(spec.root),
            "path_overrides": [[ns, key, path] for (ns, key), path in spec.path_overrides.items()],
        },
        "entries": [r.to_json() for r in reqs],
    }
    with contextlib.suppress(OSError):  # no cache: the fast path just will not apply
        write_atomic(plan_path(ws.loaded.digest, service, env, instance), json.dumps(payload).encode(), mode=0o600)
    return [PlanEntry.from_json(r.to_json()) for r in reqs]


# --- the two commands -------------------------------------------------------------------


def check_service(
    ws: Workspace, service: str, env: str, instance: str | None = None, *, verify_values: bool = False
) -> list[Any]:
    """Preflight: the service's key statuses for each instance (from metadata unless verify_values)."""
    from secretwarden.contract.plan import check_service as known_service
    from secretwarden.contract.plan import service_instances
    from secretwarden.ops.status import ServiceStatus, env_status

    svc = known_service(ws.contract, service)
    report = env_status(ws, env, service=service)
    statuses: list[ServiceStatus] = [s for s in report.services if instance is None or s.instance == instance]
    if instance is not None and instance not in service_instances(ws.contract, svc):
        raise UsageError(f"unknown instance `{instance}` for service `{service}`")
    if verify_values:
        from dataclasses import replace

        from secretwarden.ops.secrets import audited

        store = ws.secrets(env)
        with audited(ws, command="check", service=service, env=env, instance=instance) as extra:
            read: list[str] = []
            for st in statuses:
                entries = compile_plan(ws, service, env, st.instance)
                res = resolve_values(store, entries)
                read += res.keys
                bad = {p.split(":", 1)[0]: p.split(": ", 1)[1] for p in res.problems}
                st.keys = [
                    replace(k, state="invalid", problems=(bad[k.var],))
                    if k.var in bad and k.state in ("present", "unverified")
                    else (replace(k, state="present", problems=()) if k.state == "unverified" else k)
                    for k in st.keys
                ]
            extra["keys"] = read
    else:
        ws.audit.append(command="check", service=service, env=env, instance=instance, outcome="ok", detail="metadata")
    return statuses


def prepare_run(
    ws: Workspace, service: str, env: str, instance: str | None, *, allow_compromised: bool = False
) -> Resolution:
    from secretwarden.ops.secrets import audited

    entries = compile_plan(ws, service, env, instance)
    store = ws.secrets(env)
    with audited(ws, command="run", service=service, env=env, instance=instance) as extra:
        res = resolve_values(store, entries, allow_compromised=allow_compromised)
        extra["keys"] = res.keys
        if res.compromised and allow_compromised:
            extra["detail"] = "allow-compromised: " + ", ".join(res.compromised)
        problems = blocking(res)
        if problems:
            extra["detail"] = "; ".join(problems)
            error: PolicyError
            if any("compromised" in p for p in problems):
                error = CompromisedSecret(f"refusing to start `{service}` in {env}: " + "; ".join(problems))
            else:
                error = PolicyError(
                    f"refusing to start `{service}` in {env}: " + "; ".join(problems),
                    hint=f"`warden status --env {env}` shows every gap",
                )
            raise error
    return res


def exec_command(argv: list[str], values: dict[str, str]) -> NoReturn:
    """Replace this process with the command; its signals and exit code are the command's."""
    env = dict(os.environ)
    env.update(values)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"command not executable: {argv[0]}") from None
