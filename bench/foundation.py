#!/usr/bin/env python3
"""Benchmarks of the foundation (issue 3). A script, not a test: it prints figures.

    .venv/bin/python bench/foundation.py [--runs 41] [--services 200 --keys 50]

Measures, in one run on this machine:
  1. `warden run -- true` against plain `true` (added milliseconds, median);
  2. `warden check` latency;
  3. `warden status` on a generated contract of services x keys x 3 environments,
     cold (contract parsed) and warm (contract cache hit), with values_read == 0;
  4. embedded store set/get throughput (library) and `warden set`/`get` latency (CLI).
Everything runs in a temporary folder with its own key and cache folders.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARDEN = [sys.executable, "-m", "secretwarden"]
_bin = Path(sys.executable).with_name("warden")
if _bin.exists():
    WARDEN = [str(_bin)]  # the installed console script, as users run it


def timed(cmd: list[str], runs: int, *, env: dict[str, str], stdin: str | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
        out.append((time.perf_counter() - start) * 1000)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr}")
    return out


def med(values: list[float]) -> float:
    return statistics.median(values)


def generate_contract(services: int, keys: int, *, project: str = "bench", rotation: bool = False) -> str:
    """services x keys x 3 environments; `rotation` adds cadences (180d, 90d in prod)."""
    lines = [
        "version: 1",
        f"project: {project}",
        *(["rotate_every: 180d"] if rotation else []),
        "environments:",
        "  dev: {}",
        "  staging: {}",
        "  prod: {production: true, rotate_every: 90d}" if rotation else "  prod: {production: true}",
        "namespaces:",
    ]
    lines += [f"  ns{i:03d}: {{path: /services/ns{i:03d}, owner: team{i % 17}}}" for i in range(services)]
    lines.append("services:")
    for i in range(services):
        lines += [f"  svc{i:03d}:", f"    namespace: ns{i:03d}", "    secrets:"]
        for k in range(keys):
            lines.append(f"      KEY_{k:02d}: {{min_length: 16, generate: {{kind: chars, length: 24}}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--keys", type=int, default=50)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="warden-bench-"))
    env = dict(os.environ)
    env.update(
        WARDEN_CONFIG_DIR=str(work / "config"),
        WARDEN_CACHE_DIR=str(work / "cache"),
        WARDEN_NO_KEYRING="1",
    )
    try:
        print(f"# Secret Warden foundation benchmark — {time.strftime('%Y-%m-%d')}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
        # --- 1 and 2: run and check on the commerce example -------------------------
        proj = work / "commerce"
        proj.mkdir()
        shutil.copy(ROOT / "examples" / "commerce" / "warden.yaml", proj / "warden.yaml")
        c = ["-c", str(proj / "warden.yaml")]
        subprocess.run([*WARDEN, *c, "bootstrap", "--env", "dev"], env=env, check=True, capture_output=True)
        subprocess.run([*WARDEN, *c, "run", "-s", "auth", "-e", "dev", "--", "true"], env=env, check=True)
        true_bin = shutil.which("true") or "/bin/true"
        base = timed([true_bin], args.runs, env=env)
        run = timed([*WARDEN, *c, "run", "-s", "auth", "-e", "dev", "--", true_bin], args.runs, env=env)
        check = timed([*WARDEN, *c, "check", "-s", "auth", "-e", "dev"], args.runs, env=env)
        print("\n## warden run / check (commerce example, service auth: 5 keys, embedded store)")
        print(f"plain `true`:                 median {med(base):7.1f} ms")
        print(f"`warden run -- true`:         median {med(run):7.1f} ms   (added {med(run) - med(base):.1f} ms; target < 80 ms)")
        print(f"`warden check`:               median {med(check):7.1f} ms")

        # --- 3: status on a large contract ----------------------------------------------
        big = work / "big"
        big.mkdir()
        (big / "warden.yaml").write_text(generate_contract(args.services, args.keys))
        size = (big / "warden.yaml").stat().st_size
        cb = ["-c", str(big / "warden.yaml")]
        start = time.perf_counter()
        for e in ("dev", "staging", "prod"):
            subprocess.run([*WARDEN, *cb, "bootstrap", "--env", e, "--allow-production"], env=env, check=True, capture_output=True)
        fill = time.perf_counter() - start
        slots = args.services * args.keys * 3
        shutil.rmtree(work / "cache" / "contracts", ignore_errors=True)
        cold = timed([*WARDEN, *cb, "status", "--format", "json"], 1, env=env)
        warm = timed([*WARDEN, *cb, "status", "--format", "json"], 5, env=env)
        print(f"\n## warden status: {args.services} services x {args.keys} keys x 3 environments = {slots} slots, contract {size / 1e6:.1f} MB")
        print(f"bootstrap of all {slots} slots (3 commands):  {fill:.1f} s")
        print(f"status, cold (contract parsed and cached):   {cold[0] / 1000:.2f} s")
        print(f"status, warm (contract cache hit):           {med(warm) / 1000:.2f} s   (target < 2 s)")
        sys.path.insert(0, str(ROOT / "src"))
        from secretwarden.ops.status import gap_report
        from secretwarden.ops.workspace import Workspace

        os.environ.update({k: env[k] for k in ("WARDEN_CONFIG_DIR", "WARDEN_CACHE_DIR", "WARDEN_NO_KEYRING")})
        with Workspace.load(big / "warden.yaml") as ws:
            t0 = time.perf_counter()
            report = gap_report(ws)
            t1 = time.perf_counter()
            reads = sum(s.stats.values_read for s in ws.metadata_by_store().values())
        print(f"status in-process (library):                 {t1 - t0:.2f} s, values read: {reads}, verdict {report.verdict}")

        # --- 4: embedded throughput -------------------------------------------------------
        from secretwarden.crypto.fingerprint import Fingerprinter
        from secretwarden.slots import SlotRef
        from secretwarden.stores.base import SecretValue, WriteRequest
        from secretwarden.stores.embedded.store import EmbeddedStore

        store = EmbeddedStore("t", work / "t.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"k" * 32))
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            store.write_many([WriteRequest(SlotRef("dev", "ns", f"K{i}"), SecretValue(f"value-{i}-{os.urandom(8).hex()}"))])
        t_set = time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = [WriteRequest(SlotRef("dev", "ns2", f"K{i}"), SecretValue(f"v-{i}-{os.urandom(8).hex()}")) for i in range(n * 5)]
        for s in range(0, len(batch), 200):
            store.write_many(batch[s : s + 200])
        t_batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in range(n):
            store.read(SlotRef("dev", "ns", f"K{i}"))
        t_get = time.perf_counter() - t0
        store.close()
        cli_set = timed([*WARDEN, *c, "set", "auth/JWT_SECRET", "--env", "dev", "--allow-invalid"], 1, env=env, stdin="x" * 40)
        cli_get = timed([*WARDEN, *c, "get", "auth/JWT_SECRET", "--env", "dev"], 11, env=env)
        print("\n## embedded store throughput")
        print(f"set, one durable transaction per write:  {n / t_set:8.0f} writes/s")
        print(f"set, batches of 200 (bootstrap path):     {len(batch) / t_batch:8.0f} writes/s")
        print(f"get (decrypt):                            {n / t_get:8.0f} reads/s")
        print(f"CLI `warden set` (one call):              {cli_set[0]:8.1f} ms")
        print(f"CLI `warden get` (median of 11):          {med(cli_get):8.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
