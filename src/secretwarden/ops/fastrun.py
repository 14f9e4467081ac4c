"""Fast path of `warden run`: no click, no pydantic, no YAML.

It applies to `warden run --service S --env E [--instance I] [--pass-env N]...
[--clean-env] -- CMD...` when the sealed plan cache (contract/plan_cache.py)
holds a plan that verifies for exactly this contract, request and environment
(every full `warden run` writes one). It finds the
contract with the loader's own discovery, opens the plan's store through the
backend registry and shares every step after the plan with the full path
(ops/run.py). Anything unusual — other flags, no verified plan, a missing,
invalid or compromised key, any error — returns and lets the full path decide
and explain, so both paths behave the same.
"""

from __future__ import annotations

import os

_VALUE_FLAGS = {"--service": "service", "-s": "service", "--env": "env", "-e": "env", "--instance": "instance"}


def parse_run_args(argv: list[str]) -> tuple[dict[str, str], list[str], bool, list[str]] | None:
    """(options, --pass-env names, --clean-env, command) of the plain form; None for anything else."""
    opts: dict[str, str] = {}
    passed: list[str] = []
    clean = False
    i = 1  # argv[0] == "run"
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return opts, passed, clean, argv[i + 1 :]
        if arg == "--clean-env":
            clean = True
            i += 1
            continue
        name = _VALUE_FLAGS.get(arg)
        if (name is None and arg != "--pass-env") or i + 1 >= len(argv):
            return None
        if name is None:
            passed.append(argv[i + 1])
        else:
            opts[name] = argv[i + 1]
        i += 2
    return None


def try_fast_run(argv: list[str], global_contract: str | None = None) -> None:
    if os.environ.get("WARDEN_NO_FAST_RUN") == "1":
        return
    parsed = parse_run_args(argv)
    if parsed is None:
        return
    opts, passed, clean, command = parsed
    if not command or "service" not in opts or "env" not in opts:
        return
    try:
        _fast_run(opts, passed, clean, command, global_contract or os.environ.get("WARDEN_CONTRACT"))
    except Exception:
        return  # the full path reports the problem properly


def _fast_run(opts: dict[str, str], passed: list[str], clean: bool, command: list[str], contract: str | None) -> None:
    from secretwarden.contract import plan_cache
    from secretwarden.contract.locate import (
        contract_digest,
        read_contract_bytes,
        resolve_contract_path,
    )

    path = resolve_contract_path(contract).resolve()
    digest = contract_digest(read_contract_bytes(path))
    request = (opts["service"], opts["env"], opts.get("instance"), False)
    plan = plan_cache.load(path, digest, request, os.environ)
    if plan is None:
        return
    import datetime as dt

    from secretwarden.ops.run import ChildOptions, child_env_for, run_refusal, run_verdict
    from secretwarden.runtime.child import exec_child
    from secretwarden.runtime.store_values import open_plan_store, plan_audit_log, resolve_values

    store = open_plan_store(plan)
    try:
        res = resolve_values(store, plan.entries)
        verdict = run_verdict(plan, res, dt.datetime.now(dt.UTC).date(), store=store)
        if run_refusal(plan, verdict) is not None:
            return  # the full path refuses, audits and explains
        values = {k: v for k, v in res.values.items() if k not in verdict.withheld}
        env = child_env_for(plan, values, command, ChildOptions(tuple(passed), clean))
        plan_audit_log(plan, store).append(
            command="run",
            service=plan.service,
            env=plan.env,
            instance=plan.instance,
            keys=res.keys,
            outcome="ok",
            argv0=os.path.basename(command[0]),
        )
    finally:
        store.close()
    for reason in verdict.warnings:  # the same warnings as the full path
        os.write(2, f"warden: warning: {reason.line}\n".encode())
    _keep_code_bundle()
    exec_child(command, env)


def _keep_code_bundle() -> None:
    """The next run loads this path's modules from one sealed file (bundle_finder.py); never stops a run."""
    try:
        lacking = _modules_to_bundle()
        if lacking:  # the first run after an install or an edit
            from secretwarden.code_bundle import keep

            keep(lacking)
    except Exception:
        pass  # a cache that cannot be written only costs the next start a little


def _modules_to_bundle() -> dict[str, object]:
    """warden's modules loaded since the run bundle was looked for (name -> module) when the bundle
    lacks any of them; empty when it served them all, or when no bundle can be kept (no key)."""
    import sys

    from secretwarden import bundle_finder

    state = bundle_finder.bundle_state
    if state is None:
        return {}
    served, before = state[3], state[4]
    loaded: dict[str, object] = {name: module for name, module in list(sys.modules.items())
                                 if name.startswith("secretwarden.") and name not in before}
    return loaded if not set(loaded) <= set(served) else {}
