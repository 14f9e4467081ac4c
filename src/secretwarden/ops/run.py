"""`warden run`: resolve a service's plan, read its values, ask the verdict, fail closed.

One direction: contract -> `ServicePlan` (contract/plan.py, kept in the
sealed plan cache for the fast path) -> values read from the plan's store
(runtime/store_values.py) -> the child's environment (runtime/child.py).
The fast path (ops/fastrun.py) starts from the cached plan and shares every
step after it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from secretwarden.errors import CompromisedSecret, PolicyError
from secretwarden.runtime.store_values import Resolution, audited, resolve_values
from secretwarden.value_class import FrozenValue

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from secretwarden.contract.plan import ServicePlan
    from secretwarden.ops.workspace import Workspace
    from secretwarden.verdict import Verdict


# Written out on `FrozenValue`: `warden run`'s fast path imports this module, and creating a
# named tuple class costs about 0.25 ms of start-up (a dataclass 0.5 ms), a plain class 0.03.


class ChildOptions(FrozenValue):
    """How the child's environment is built (runtime/child.py documents the rules)."""

    _fields = ("pass_env", "clean_env")

    pass_env: tuple[str, ...]
    clean_env: bool

    def __init__(self, pass_env: tuple[str, ...] = (), clean_env: bool = False) -> None:
        d = self.__dict__
        d["pass_env"] = pass_env
        d["clean_env"] = clean_env


_DEFAULT_CHILD = ChildOptions()


class PreparedRun(FrozenValue):
    """A run that may start: its plan, what was read, the verdict and the child's environment."""

    _fields = ("plan", "resolution", "verdict", "child_env")
    _unhashed = frozenset({"child_env"})

    plan: ServicePlan
    resolution: Resolution
    verdict: Verdict
    child_env: dict[str, str]

    def __init__(self, plan: ServicePlan, resolution: Resolution, verdict: Verdict, child_env: dict[str, str]) -> None:
        d = self.__dict__
        d["plan"] = plan
        d["resolution"] = resolution
        d["verdict"] = verdict
        d["child_env"] = child_env

    @property
    def values(self) -> dict[str, str]:
        """What the child receives: every value read, minus what the verdict withholds."""
        withheld = self.verdict.withheld
        return {k: v for k, v in self.resolution.values.items() if k not in withheld}

    @property
    def problems(self) -> list[str]:
        """Warnings to show (never a value)."""
        return [r.line for r in self.verdict.warnings]


def compile_plan(ws: Workspace, service: str, env: str, instance: str | None) -> ServicePlan:
    """The service's plan from the loaded contract, kept in the plan cache for the next start."""
    from secretwarden.contract import plan_cache
    from secretwarden.contract.plan import service_plan

    plan = service_plan(ws.loaded, service, env, instance)
    plan_cache.save(plan, ws.loaded.path, (service, env, instance, False), os.environ)
    return plan


def run_verdict(
    plan: ServicePlan, res: Resolution, today: dt.date, *, allow_compromised: bool = False, store: object = None
) -> Verdict:
    """The one verdict (verdict.py) over what was read, the incident register (the head of `store`'s) and the hold dates."""
    from secretwarden.stores.base import shared_index
    from secretwarden.verdict import SlotFacts, incident_for, judge, open_incidents

    register = open_incidents([shared_index(store, "incidents")], Path(plan.audit_path))
    facts = [
        SlotFacts(
            req.var, req.slot, req.required, state, problems,  # type: ignore[arg-type]
            incident_for(register, plan.store.name, req.slot),
            req.deprecated, req.deprecated_hold_until, req.past_hold,  # type: ignore[arg-type]
        )
        for req, state, problems in res.readings
    ]
    return judge(facts, today, allow_compromised=allow_compromised)


def run_refusal(plan: ServicePlan, verdict: Verdict) -> PolicyError | None:
    """The error that stops the start, or None. The one rule shared by the full and the fast path."""
    if not verdict.blocked:
        return None
    where = f"`{plan.service}`" + (f"@{plan.instance}" if plan.instance else "") + f" in {plan.env}"
    lines = [r.line for r in verdict.blockers]
    message = f"refusing to start {where}: " + "; ".join(lines)
    codes = {r.code for r in verdict.blockers}
    if "compromised" in codes:
        return CompromisedSecret(message)
    if "incident-open" in codes:  # rotated already: what is left is the incident's close
        return CompromisedSecret(
            message,
            hint="the key was rotated: close its incident (`warden incident close ID --root-cause '...'`),"
            " or pass --allow-compromised (audited)",
        )
    return PolicyError(message, hint=f"`warden status --env {plan.env}` shows every gap")


def child_env_for(plan: ServicePlan, values: dict[str, str], argv: list[str] | None, options: ChildOptions) -> dict[str, str]:
    """The child's environment; with `argv`, refused (naming the key) when the OS could not start it."""
    from secretwarden.runtime.child import check_size, child_environment, store_option_env_names

    env = child_environment(
        values,
        pass_env=options.pass_env,
        clean=options.clean_env,
        store_env_names=store_option_env_names(plan.store.options),
    )
    if argv is not None:
        check_size(argv, env, values)
    return env


# --- the two commands -------------------------------------------------------------------


def prepare_run(
    ws: Workspace,
    service: str,
    env: str,
    instance: str | None,
    *,
    allow_compromised: bool = False,
    argv: list[str] | None = None,
    child: ChildOptions = _DEFAULT_CHILD,
    command: str = "run",
) -> PreparedRun:
    """Plan, read, validate and build the child's environment; raise (audited) when it must not start.

    `command` names the caller in the audit log: `warden sync` delivers exactly what `run` would inject.
    """
    plan = compile_plan(ws, service, env, instance)
    store = ws.secrets(env)
    with audited(ws.audit, command=command, service=service, env=env, instance=instance) as extra:
        if argv:
            extra["argv0"] = os.path.basename(argv[0])
        res = resolve_values(store, plan.entries, allow_compromised=allow_compromised)
        extra["keys"] = res.keys
        verdict = run_verdict(plan, res, ws.clock().date(), allow_compromised=allow_compromised, store=store)
        allowed = [r.var for r in verdict.warnings if r.code in ("compromised", "incident-open") and not r.withhold]
        if allowed:
            extra["detail"] = "allow-compromised: " + ", ".join(allowed)
        refusal = run_refusal(plan, verdict)
        if refusal is not None:
            extra["detail"] = "; ".join(r.line for r in verdict.blockers)
            raise refusal
        prepared = PreparedRun(plan, res, verdict, {})
        child_env = child_env_for(plan, prepared.values, argv, child)
    return PreparedRun(plan, res, verdict, child_env)
