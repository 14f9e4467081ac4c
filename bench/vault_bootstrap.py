#!/usr/bin/env python3
"""`warden bootstrap` into OpenBao against a bare concurrent HTTP writer, interleaved, one server.

The floor is what the server can take: 16 threads, one `requests.Session` each,
one KV v2 write per path and nothing else (no metadata, no checks). Each round
runs, on fresh path prefixes of the same dev server:

  1. the bare writer: every path of the layout, all fields of the path in one write;
  2. `warden bootstrap --env dev` as a user runs it (a process: start-up, contract
     load, policies, namespaces, 10,000 generated keys with their metadata);
  3. the same bootstrap called in-process (`ops.bootstrap.bootstrap`), so the
     command's fixed start-up cost is visible separately.

Requests are counted from the server's audit log (every request the server
answered), per operation and kind of path. Afterwards a no-op re-run and
`warden status` show that reports stay on metadata.

    .venv/bin/python bench/vault_bootstrap.py [--namespaces 100] [--keys 100] [--layout per-namespace] [--rounds 3]
    .venv/bin/python bench/vault_bootstrap.py --path "k3s/{namespace}"        # a path template instead
    .venv/bin/python bench/vault_bootstrap.py --server-cost --rounds 3       # server CPU per kind of request
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.vault_server import VaultServer, start_server  # noqa: E402

THREADS = 16


def server_cpu(server: VaultServer) -> float:
    """CPU seconds the server process has used so far (user + system, from /proc)."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vault_contract(namespaces: int, keys: int, *, project: str, options: str) -> str:
    """One environment served by a vault store with `options` (a YAML flow mapping's body)."""
    lines = [
        "version: 1",
        f"project: {project}",
        "environments:",
        "  dev: {}",
        "stores:",
        "  bao:",
        "    backend: vault",
        f"    options: {{{options}}}",
        "namespaces:",
    ]
    lines += [f"  ns{n:03d}: {{path: /services/ns{n:03d}, owner: team{n % 7}}}" for n in range(namespaces)]
    lines.append("services:")
    for n in range(namespaces):
        lines += [f"  svc{n:03d}:", f"    namespace: ns{n:03d}", "    secrets:"]
        lines += [f"      KEY_{k:03d}: {{min_length: 24, generate: {{kind: chars, length: 32}}}}" for k in range(keys)]
    return "\n".join(lines) + "\n"


def contract_text(
    namespaces: int, keys: int, layout: str, prefix: str, project: str = "benchvault", template: str | None = None
) -> str:
    """`template` (a path template without {env}: the contract has one environment) replaces the layout."""
    options = f'path: "{prefix}/{template}"' if template else f"path_prefix: {prefix}, layout: {layout}"
    return vault_contract(namespaces, keys, project=project, options=options)


def bare_writer(server: VaultServer, prefix: str, namespaces: int, keys: int, layout: str) -> float:
    """Seconds for THREADS threads (a Session each) to write every path once."""
    if layout == "per-namespace":
        writes = [(f"{prefix}/ns{n:03d}", {f"KEY_{k:03d}": secrets.token_urlsafe(24) for k in range(keys)}) for n in range(namespaces)]
    else:
        writes = [(f"{prefix}/ns{n:03d}/KEY_{k:03d}", {"value": secrets.token_urlsafe(24)}) for n in range(namespaces) for k in range(keys)]
    jobs: list[tuple[str, str, dict[str, Any]]] = [("POST", f"secret/data/{path}", {"data": data}) for path, data in writes]
    return replay(server, jobs, what="bare writer")[0]


def replay(server: VaultServer, jobs: list[tuple[str, str, dict[str, Any]]], what: str = "replay") -> tuple[float, float]:
    """(seconds, server CPU seconds) for THREADS threads (a Session each) to send `jobs`
    (method, API path, JSON body), as the bare writer sends its writes."""
    import requests

    jobs = list(jobs)
    lock = threading.Lock()
    failures: list[int] = []

    def worker() -> None:
        session = requests.Session()
        session.headers["X-Vault-Token"] = server.root_token
        while True:
            with lock:
                if not jobs:
                    return
                method, path, body = jobs.pop()
            resp = session.request(method, f"{server.address}/v1/{path}", json=body)
            if resp.status_code not in (200, 204):
                failures.append(resp.status_code)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    before = server_cpu(server)
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        sys.exit(f"{what}: {len(failures)} failed requests ({failures[:3]})")
    return elapsed, server_cpu(server) - before


def server_cost(server: VaultServer, work: Path, args: argparse.Namespace) -> None:
    """What the server spends on each kind of request a bootstrap sends, against the bare writer's.

    One in-process bootstrap provides warden's real request bodies (its policies and a
    namespace path's record); then, per round, the same server takes on fresh names:
    the bare writer's data writes, as many metadata writes of that record, and the
    policy writes, each kind alone, with THREADS threads.
    """
    import requests

    env = {**os.environ, **server.env(), "WARDEN_CONFIG_DIR": str(work / "config"), "WARDEN_CACHE_DIR": str(work / "cache")}
    contract = work / "cost" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(contract_text(args.namespaces, args.keys, "per-namespace", "cost", project="cost"))
    in_process(contract, env, access=True)
    headers = {"X-Vault-Token": server.root_token}
    names = requests.request("LIST", f"{server.address}/v1/sys/policies/acl", headers=headers).json()["data"]["keys"]
    texts = [requests.get(f"{server.address}/v1/sys/policies/acl/{n}", headers=headers).json()["data"]["policy"]
             for n in names if n.startswith("cost-")]
    record = requests.get(f"{server.address}/v1/secret/metadata/cost/dev/ns000", headers=headers).json()["data"]["custom_metadata"]
    print(f"server cost per kind of request ({THREADS} threads; {len(texts)} policies of warden's, "
          f"a namespace record of {sum(len(v) for v in record.values())} characters)")
    for r in range(args.rounds):
        kinds: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
            "data writes (the bare writer's)": [
                ("POST", f"secret/data/cost{r}/ns{n:03d}", {"data": {f"KEY_{k:03d}": secrets.token_urlsafe(24) for k in range(args.keys)}})
                for n in range(args.namespaces)
            ],
            "data writes with check-and-set": [  # as warden sends them: cas 0, "must not exist"
                ("POST", f"secret/data/cas{r}/ns{n:03d}",
                 {"options": {"cas": 0}, "data": {f"KEY_{k:03d}": secrets.token_urlsafe(24) for k in range(args.keys)}})
                for n in range(args.namespaces)
            ],
            "metadata writes (warden's records)": [
                ("POST", f"secret/metadata/cost{r}/ns{n:03d}", {"custom_metadata": record}) for n in range(args.namespaces)
            ],
            "policy writes (warden's policies)": [
                ("PUT", f"sys/policies/acl/cost{r}-{i}", {"policy": text}) for i, text in enumerate(texts)
            ],
        }
        # Data (the bare writer's), metadata and policy writes again at once, on new names:
        # does overlapping them save wall time?
        kinds["all three at once (overlapped)"] = [
            (method, path.replace(f"cost{r}", f"mix{r}"), body)
            for what, jobs in list(kinds.items()) if "check-and-set" not in what for method, path, body in jobs
        ]
        for what, jobs in kinds.items():
            wall, cpu = replay(server, jobs)
            print(f"  round {r}: {len(jobs):4d} {what:36s} {wall:6.3f} s, server CPU {cpu:.3f} s "
                  f"({cpu / len(jobs) * 1000:.2f} ms a request), load {os.getloadavg()[0]:.2f}")


def classify(op: str, path: str) -> str:
    if path.startswith("sys/policies"):
        return f"{op} policy"
    if path.startswith("sys/"):
        return f"{op} sys"
    if path.startswith("auth/"):
        return f"{op} auth"
    kind = path.split("/")[1] if path.count("/") >= 1 else path
    return f"{op} {kind}"


def settle(server: VaultServer, mark: int) -> list[tuple[str, str]]:
    """Requests logged since `mark`, once the audit log stopped growing."""
    last = -1
    while True:
        ops = server.requests_since(mark)
        if len(ops) == last:
            return ops
        last = len(ops)
        time.sleep(0.2)


def run_command(cmd: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of a whole command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in expect:
        sys.exit(f"{' '.join(cmd[:6])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, proc.stdout


def in_process(contract: Path, env: dict[str, str], *, access: bool) -> tuple[float, float]:
    """(seconds, CPU seconds of this process) of `bootstrap()` itself, the contract already loaded
    (the command's fixed cost apart)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from secretwarden.ops.bootstrap import bootstrap
        from secretwarden.ops.workspace import Workspace

        ws = Workspace.load(contract, command="bootstrap")
        start = time.perf_counter()
        cpu = time.process_time()
        plan = bootstrap(ws, "dev", access=access)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        if plan.interrupted is not None:
            sys.exit(f"in-process bootstrap interrupted: {plan.interrupted}")
        return elapsed, cpu
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--keys", type=int, default=100, help="keys per namespace")
    ap.add_argument("--layout", choices=["per-namespace", "per-key"], default="per-namespace")
    ap.add_argument("--path", default=None, metavar="TEMPLATE",
                    help='a path template under a fresh prefix, e.g. "k3s/{namespace}" or "{namespace}/{key}"')
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-access", action="store_true", help="bootstrap --no-access: keys only, no policies")
    ap.add_argument("--server-cost", action="store_true",
                    help="only time the server on each kind of request a per-namespace bootstrap sends")
    args = ap.parse_args()
    if args.path:  # the bare writer writes the same paths: one per namespace, or one per key
        args.layout = "per-key" if "{key}" in args.path else "per-namespace"
    total = args.namespaces * args.keys
    work = Path(tempfile.mkdtemp(prefix="warden-bench-vault-"))
    server = start_server(work / "bao")
    if args.server_cost:
        try:
            server_cost(server, work, args)
        finally:
            server.stop()
        return 0
    paths = args.namespaces if args.layout == "per-namespace" else total
    bare: list[float] = []
    command: list[float] = []
    command_cpu: list[float] = []
    library: list[float] = []
    cpu: dict[str, list[float]] = collections.defaultdict(list)  # client / server CPU seconds per run
    bare_requests = warden_requests = 0
    breakdown: collections.Counter[str] = collections.Counter()
    try:
        base_env = {**os.environ, **server.env(), "WARDEN_CONFIG_DIR": str(work / "config")}
        for r in range(args.rounds):
            mark = server.audit_mark()
            s0, c0 = server_cpu(server), time.process_time()
            bare.append(bare_writer(server, f"bare{r}", args.namespaces, args.keys, args.layout))
            cpu["bare client"].append(time.process_time() - c0)
            cpu["bare server"].append(server_cpu(server) - s0)
            bare_requests = len(settle(server, mark))

            prefix = f"cmd{r}" + secrets.token_hex(2)
            contract = work / f"r{r}" / "warden.yaml"
            contract.parent.mkdir()
            # A new project each round: its policies are new too, as in a first bootstrap.
            contract.write_text(contract_text(args.namespaces, args.keys, args.layout, prefix, project=prefix, template=args.path))
            env = {**base_env, "WARDEN_CACHE_DIR": str(work / "cache")}
            warden = [sys.executable, "-m", "secretwarden", "--contract", str(contract)]
            mark = server.audit_mark()
            extra = ["--no-access"] if args.no_access else []
            s0 = server_cpu(server)
            wall, used, out = run_command([*warden, "bootstrap", "--env", "dev", "--format", "json", *extra], env)
            cpu["command server"].append(server_cpu(server) - s0)
            assert len(json.loads(out)["keys_generated"]) == total
            command.append(wall)
            command_cpu.append(used)
            ops = settle(server, mark)
            warden_requests = len(ops)
            breakdown = collections.Counter(classify(op, p) for op, p in ops)

            lib_contract = work / f"lib{r}" / "warden.yaml"
            lib_contract.parent.mkdir()
            lib_prefix = f"lib{r}" + secrets.token_hex(2)
            lib_contract.write_text(contract_text(args.namespaces, args.keys, args.layout, lib_prefix, project=lib_prefix, template=args.path))
            s0 = server_cpu(server)
            wall, used = in_process(lib_contract, env, access=not args.no_access)
            cpu["in-process server"].append(server_cpu(server) - s0)
            cpu["in-process client"].append(used)
            library.append(wall)

        mark = server.audit_mark()
        rerun, rerun_cpu, out = run_command([*warden, "bootstrap", "--env", "dev", "--format", "json"], env)
        assert json.loads(out)["already_present"] == total
        rerun_ops = settle(server, mark)
        mark = server.audit_mark()
        status, status_cpu, out = run_command([*warden, "status", "--env", "dev", "--format", "json"], env, expect=(0, 1))
        assert json.loads(out)["ok"]
        status_ops = settle(server, mark)
        status_data = [p for _, p in status_ops if "/data/" in p]
    finally:
        server.stop()

    med = statistics.median
    what = "keys only (--no-access)" if args.no_access else "with policies"
    shape = f"path template {args.path!r}" if args.path else f"layout {args.layout}"
    print(f"OpenBao dev server, {total} keys in {args.namespaces} namespaces, {shape}, {paths} paths, {what}, {args.rounds} interleaved rounds")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  bare writer ({THREADS} threads):         {med(bare):7.2f} s  ({bare_requests} requests; rounds {', '.join(f'{x:.2f}' for x in bare)})")
    print(f"  warden bootstrap (command):       {med(command):7.2f} s  (CPU {med(command_cpu):.2f} s; {warden_requests} requests; rounds {', '.join(f'{x:.2f}' for x in command)})")
    print(f"  bootstrap() in-process:           {med(library):7.2f} s  (rounds {', '.join(f'{x:.2f}' for x in library)})")
    print(f"  ratio command / bare:             {med(command) / med(bare):7.2f}x")
    # CPU is steadier than wall on a shared machine: the server's CPU per run is its cost of the requests.
    c = {k: med(v) for k, v in cpu.items()}
    print(f"  CPU, client + server:             bare {c['bare client']:.2f} + {c['bare server']:.2f} s, "
          f"in-process {c['in-process client']:.2f} + {c['in-process server']:.2f} s "
          f"({(c['in-process client'] + c['in-process server']) / (c['bare client'] + c['bare server']):.2f}x), "
          f"command {med(command_cpu):.2f} + {c['command server']:.2f} s")
    print(f"  ratio in-process / bare:          {med(library) / med(bare):7.2f}x")
    kv = sum(n for k, n in breakdown.items() if k.split()[1] in ("data", "metadata"))
    print(f"  requests per path written:        {kv / paths:7.2f} on data/ + metadata/ ({warden_requests / paths:.2f} with policies, mount, listing)")
    print("  requests of one bootstrap:        " + ", ".join(f"{k} {n}" for k, n in sorted(breakdown.items())))
    print(f"  no-op re-run:                     {rerun:7.2f} s  (CPU {rerun_cpu:.2f} s; {len(rerun_ops)} requests)")
    print(f"  warden status:                    {status:7.2f} s  (CPU {status_cpu:.2f} s; {len(status_ops)} requests, {len(status_data)} on data/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
