#!/usr/bin/env python3
"""Bootstrap 10,000 keys across 100 namespaces into a local OpenBao dev server.

Measures, in one run on one server:
  1. `warden bootstrap --env dev` (fresh): namespaces, policies, 10,000 generated keys;
  2. the same command again (nothing to do: metadata reads only);
  3. `warden status --env dev` (metadata only; the server's audit log must show no `data/` read);
  4. what teams do today: a sequential loop of `bao kv put` (one process per key),
     sampled on --loop-sample keys and extrapolated to all keys;
  5. a sequential loop of single KV writes over HTTP from Python (hvac), sampled likewise.

    .venv/bin/python bench/vault_bootstrap.py [--namespaces 100] [--keys 100] [--layout per-namespace]

Whole commands are timed as a user runs them (process start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.vault_server import bao_binary, start_server  # noqa: E402


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


def contract_text(namespaces: int, keys: int, layout: str, prefix: str) -> str:
    return vault_contract(namespaces, keys, project="benchvault", options=f"path_prefix: {prefix}, layout: {layout}")


CPU: dict[str, float] = {}


def timed(cmd: list[str], env: dict[str, str], expect: tuple[int, ...] = (0,), label: str = "") -> tuple[float, str]:
    """Wall time of a whole command; its CPU time (user + system) goes to CPU[label]."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[label] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in expect:
        sys.exit(f"{' '.join(cmd[:6])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--keys", type=int, default=100, help="keys per namespace")
    ap.add_argument("--layout", choices=["per-namespace", "per-key"], default="per-namespace")
    ap.add_argument("--loop-sample", type=int, default=300, help="`bao kv put` calls actually run")
    ap.add_argument("--http-sample", type=int, default=2000, help="single HTTP writes actually run")
    args = ap.parse_args()
    total = args.namespaces * args.keys
    work = Path(tempfile.mkdtemp(prefix="warden-bench-vault-"))
    server = start_server(work / "bao")
    try:
        prefix = "bench" + secrets.token_hex(3)
        contract = work / "warden.yaml"
        contract.write_text(contract_text(args.namespaces, args.keys, args.layout, prefix))
        env = {
            **os.environ,
            **server.env(),
            "WARDEN_CONFIG_DIR": str(work / "config"),
            "WARDEN_CACHE_DIR": str(work / "cache"),
        }
        warden = [sys.executable, "-m", "secretwarden", "--contract", str(contract)]

        first, out = timed([*warden, "bootstrap", "--env", "dev", "--format", "json"], env, label="first")
        plan = json.loads(out)
        assert len(plan["keys_generated"]) == total, len(plan["keys_generated"])
        time.sleep(0.5)
        mark = server.audit_mark()
        rerun, out = timed([*warden, "bootstrap", "--env", "dev", "--format", "json"], env, label="rerun")
        again = json.loads(out)
        assert again["keys_generated"] == [] and again["already_present"] == total
        time.sleep(0.5)
        rerun_ops = server.requests_since(mark)
        mark = server.audit_mark()
        status, out = timed([*warden, "status", "--env", "dev", "--format", "json"], env, expect=(0, 1), label="status")
        assert json.loads(out)["ok"]
        time.sleep(0.5)
        status_ops = server.requests_since(mark)
        status_data = [p for _, p in status_ops if "/data/" in p or p.startswith("secret/data/")]

        bao = bao_binary()
        assert bao
        sample = min(args.loop_sample, total)
        start = time.perf_counter()
        for i in range(sample):
            value = secrets.token_urlsafe(24)
            subprocess.run(
                [bao, "kv", "put", "-mount=secret", f"loop/ns{i // args.keys:03d}/KEY_{i % args.keys:03d}", f"value={value}"],
                env=env, check=True, capture_output=True,
            )
        per_put = (time.perf_counter() - start) / sample
        loop_total = per_put * total

        import hvac

        client = hvac.Client(url=server.address, token=server.root_token)
        hsample = min(args.http_sample, total)
        start = time.perf_counter()
        for i in range(hsample):
            client.secrets.kv.v2.create_or_update_secret(
                f"http/ns{i // args.keys:03d}/KEY_{i % args.keys:03d}", secret={"value": secrets.token_urlsafe(24)}
            )
        per_http = (time.perf_counter() - start) / hsample
        http_total = per_http * total
    finally:
        server.stop()

    kinds = sorted({op for op, _ in rerun_ops})
    print(f"OpenBao dev server, {total} keys in {args.namespaces} namespaces, layout {args.layout}")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  warden bootstrap (fresh):        {first:8.2f} s   (warden CPU {CPU['first']:.2f} s)")
    print(f"  warden bootstrap (no-op re-run): {rerun:8.2f} s   (warden CPU {CPU['rerun']:.2f} s; {len(rerun_ops)} requests, operations: {', '.join(kinds)})")
    print(f"  warden status:                   {status:8.2f} s   (warden CPU {CPU['status']:.2f} s; {len(status_ops)} requests, {len(status_data)} on data/)")
    print(f"  loop of `bao kv put`:            {loop_total:8.1f} s   ({per_put * 1000:.0f} ms per call, {sample} calls run, extrapolated)")
    print(f"  loop of single HTTP writes:      {http_total:8.1f} s   ({per_http * 1000:.2f} ms per write, {hsample} run, extrapolated)")
    print(f"  ratio bao loop / bootstrap:      {loop_total / first:8.1f}x")
    print(f"  ratio HTTP loop / bootstrap:     {http_total / first:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
