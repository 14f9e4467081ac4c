#!/usr/bin/env python3
"""`warden validate` on a 10,000-key contract against a libyaml parse of the same file, interleaved.

Each round runs, as separate processes, CPU time (user + system) measured:
  1. `warden validate` (no cache: read, parse, validate the whole contract);
  2. the floor: Python + `yaml.compose(text, Loader=yaml.CSafeLoader)` of the same
     file (what a loader that wants line numbers must at least do with libyaml);
  3. `yaml.load(text, Loader=yaml.CSafeLoader)` (plain data, no positions).

    .venv/bin/python bench/contract_load.py [--services 200] [--keys 50] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from foundation import generate_contract  # noqa: E402

COMPOSE = "import sys, yaml; yaml.compose(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)"
LOAD = "import sys, yaml; yaml.load(open(sys.argv[1]).read(), Loader=yaml.CSafeLoader)"


def cpu(cmd: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=200)
    ap.add_argument("--keys", type=int, default=50, help="keys per service")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warden-bench-contract-"))
    contract = work / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(generate_contract(args.services, args.keys))
    env = {**os.environ, "WARDEN_CONFIG_DIR": str(work / "config"), "WARDEN_CACHE_DIR": str(work / "cache")}
    runs: dict[str, list[float]] = {"validate": [], "compose": [], "load": []}
    for _ in range(args.rounds):
        runs["validate"].append(cpu([sys.executable, "-m", "secretwarden", "--contract", str(contract), "validate"], env))
        runs["compose"].append(cpu([sys.executable, "-c", COMPOSE, str(contract)], env))
        runs["load"].append(cpu([sys.executable, "-c", LOAD, str(contract)], env))
    med = {k: statistics.median(v) for k, v in runs.items()}
    size = contract.stat().st_size
    bytecode = "no bytecode cache" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "bytecode cached"
    print(f"contract: {args.services} services x {args.keys} keys = {args.services * args.keys} keys, {size / 1e6:.2f} MB; "
          f"{args.rounds} interleaved rounds, median CPU seconds per process ({bytecode})")
    print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  warden validate:                       {med['validate']:.3f} s")
    print(f"  python + libyaml compose (CSafeLoader): {med['compose']:.3f} s")
    print(f"  python + libyaml load (CSafeLoader):    {med['load']:.3f} s")
    print(f"  ratio validate / compose:               {med['validate'] / med['compose']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
