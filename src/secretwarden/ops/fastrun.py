"""Fast path of `warden run`: no click, no pydantic, no YAML.

It applies only when the plain form `warden run --service S --env E
[--instance I] [--contract P] -- CMD...` is used and a compiled plan for the
contract's current digest is cached (any full `warden run` or `check` writes
one). The store is opened through the backend registry like everywhere else.
Anything unusual — other flags, a missing plan, a missing, invalid or
compromised key, any error — returns and lets the full path decide and
explain, so both paths behave the same.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from secretwarden.paths import cache_dir

_FLAGS = {"--service": "service", "-s": "service", "--env": "env", "-e": "env", "--instance": "instance"}


def _parse(argv: list[str]) -> tuple[dict[str, str], list[str]] | None:
    opts: dict[str, str] = {}
    i = 1  # argv[0] == "run"
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return opts, argv[i + 1 :]
        name = _FLAGS.get(arg)
        if name is None or i + 1 >= len(argv):
            return None
        opts[name] = argv[i + 1]
        i += 2
    return None


def _contract_path(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    here = Path.cwd()
    for folder in (here, *here.parents):
        for name in ("warden.yaml", "warden.yml"):
            if (folder / name).is_file():
                return folder / name
    return None


def try_fast_run(argv: list[str], global_contract: str | None = None) -> None:
    if os.environ.get("WARDEN_NO_FAST_RUN") == "1":
        return
    parsed = _parse(argv)
    if parsed is None:
        return
    opts, command = parsed
    if not command or "service" not in opts or "env" not in opts:
        return
    try:
        _fast_run(opts, command, global_contract or os.environ.get("WARDEN_CONTRACT"))
    except Exception:
        return  # the full path reports the problem properly


def _fast_run(opts: dict[str, str], command: list[str], contract: str | None) -> None:
    path = _contract_path(contract)
    if path is None:
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    plan_file = cache_dir() / "plans" / digest / f"{opts['service']}--{opts['env']}--{opts.get('instance', '-')}.json"
    try:
        plan = json.loads(plan_file.read_bytes())
    except (OSError, ValueError):
        return
    if plan.get("format") != 1:
        return
    from secretwarden.audit.log import AuditLog
    from secretwarden.crypto.fingerprint import Fingerprinter, load_fingerprint_key
    from secretwarden.ops.run import PlanEntry, blocking, exec_command, resolve_values
    from secretwarden.stores.registry import StoreSpec, open_secret_store

    st = plan["store"]
    overrides = {(ns, key): path for ns, key, path in st.get("path_overrides", [])}
    spec = StoreSpec(st["name"], st["backend"], st["options"], Path(st["root"]), plan["project"], overrides)
    fp_key = load_fingerprint_key(plan["project"], create=False)
    store = open_secret_store(spec, fingerprinter=Fingerprinter(fp_key) if fp_key else None)
    try:
        entries = [PlanEntry.from_json(e) for e in plan["entries"]]
        res = resolve_values(store, entries)
    finally:
        store.close()
    if blocking(res) or res.compromised:
        return
    AuditLog(Path(plan["audit"])).append(
        command="run",
        service=opts["service"],
        env=opts["env"],
        instance=opts.get("instance"),
        keys=res.keys,
        outcome="ok",
        argv0=os.path.basename(command[0]),
    )
    exec_command(command, res.values)
