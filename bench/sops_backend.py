#!/usr/bin/env python3
"""Benchmarks of the sops backend (issue 10). A script, not a test: it prints figures.

    .venv/bin/python bench/sops_backend.py [--files 100 --keys 50 --runs 15]

Measures, in one run on this machine, in a temporary folder with fresh age identities:
  1. `warden status --env dev` over FILES sops files x KEYS keys with no age identity
     present at all (metadata mode: key names from the files, metadata from the
     sidecars), cold and warm contract cache; plus the library `list_meta` alone,
     with the count of values read (must be 0);
  2. `warden run --service S --env dev -- true` on a sops store against
     `sops exec-env FILE true` doing the same (decrypt one file, start `true`),
     and plain `true`, side by side (median milliseconds).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

WARDEN = [sys.executable, "-m", "secretwarden"]
_bin = Path(sys.executable).with_name("warden")
if _bin.exists():
    WARDEN = [str(_bin)]


CPU: dict[int, list[float]] = {}  # id(wall list) -> CPU ms of the same runs


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (ru.ru_utime + ru.ru_stime) * 1000


def timed(cmd: list[str], runs: int, *, env: dict[str, str], cwd: Path) -> list[float]:
    """Wall milliseconds per run; the CPU time of the same runs (the steadier figure on a
    busy machine) is kept in CPU."""
    out, cpu = [], []
    for _ in range(runs):
        cpu0 = _child_cpu()
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
        out.append((time.perf_counter() - start) * 1000)
        cpu.append(_child_cpu() - cpu0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    CPU[id(out)] = cpu
    return out


def med(values: list[float]) -> str:
    cpu = CPU.get(id(values))
    extra = f"  (CPU {statistics.median(cpu):6.1f} ms)" if cpu else ""
    return f"{statistics.median(values):7.1f} ms{extra}"


def contract(files: int, keys: int) -> str:
    lines = ["version: 1", "project: sopsbench", "environments:", "  dev: {}",
             "stores:", "  repo: {backend: sops}", "namespaces:"]
    lines += [f"  ns{i:03d}: {{path: /services/ns{i:03d}, owner: team}}" for i in range(files)]
    lines.append("services:")
    for i in range(files):
        lines += [f"  svc{i:03d}:", f"    namespace: ns{i:03d}", "    secrets:"]
        lines += [f"      KEY_{k:02d}: {{min_length: 8}}" for k in range(keys)]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--keep", type=Path, default=None, help="Build the repository here and keep it.")
    args = ap.parse_args()

    import secrets as pysecrets

    import pyrage  # type: ignore[import-untyped]

    from secretwarden.crypto.fingerprint import fingerprinter_for
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.sops.files import SopsLayout
    from secretwarden.stores.sops.store import SopsStore
    from secretwarden.stores.sops.tool import sops_binary

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="warden-sops-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        home = tmp / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_AGE", "WARDEN_"))}
        env.update({"WARDEN_CONFIG_DIR": str(home / "config"), "WARDEN_CACHE_DIR": str(home / "cache"),
                    "WARDEN_NO_KEYRING": "1", "SOPS_DISABLE_VERSION_CHECK": "1"})
        os.environ.update(env)
        ident = pyrage.x25519.Identity.generate()
        key_file = tmp / "dev.agekey"
        key_file.write_text(f"{ident}\n")
        key_file.chmod(0o600)
        keyed = dict(env, SOPS_AGE_KEY_FILE=str(key_file))
        repo = tmp / "repo"
        repo.mkdir()
        (repo / "warden.yaml").write_text(contract(args.files, args.keys))
        (repo / ".sops.yaml").write_text(
            f"creation_rules:\n  - path_regex: ^secrets/dev/.*\\.enc\\.yaml$\n    age: '{ident.to_public()}'\n"
        )

        print(f"sops {subprocess.run([sops_binary(), '--version', '--disable-version-check'], capture_output=True, text=True).stdout.split()[1]}, "
              f"{args.files} files x {args.keys} keys, python {sys.version.split()[0]}")
        store = SopsStore("repo", SopsLayout.from_options(repo, {}, "repo"), access="secrets",
                          sops_config=repo / ".sops.yaml", fingerprinter=fingerprinter_for("sopsbench"),
                          extra_env={"SOPS_AGE_KEY_FILE": str(key_file)})
        start = time.perf_counter()
        store.write_many([
            WriteRequest(SlotRef("dev", f"ns{i:03d}", f"KEY_{k:02d}"), SecretValue(pysecrets.token_urlsafe(24)))
            for i in range(args.files) for k in range(args.keys)
        ], actor="bench")
        print(f"setup: {args.files * args.keys} values written through sops in {time.perf_counter() - start:.1f} s")

        # 1. status without any identity
        lib = []
        for _ in range(args.runs):
            start = time.perf_counter()  # a fresh store each time: nothing cached
            reader = SopsStore("repo", SopsLayout.from_options(repo, {}, "repo"), access="metadata")
            metas = list(reader.list_meta("dev"))
            lib.append((time.perf_counter() - start) * 1000)
        assert len(metas) == args.files * args.keys and reader.stats.values_read == 0
        cold = timed([*WARDEN, "status", "--env", "dev"], 1, env=env, cwd=repo)
        warm = timed([*WARDEN, "status", "--env", "dev"], args.runs, env=env, cwd=repo)
        print("\n1. status without a key (no SOPS_AGE_KEY_FILE / SOPS_AGE_KEY)")
        print(f"   list_meta (library, {len(metas)} keys)    {med(lib)}   values read: {reader.stats.values_read}")
        print(f"   warden status, cold contract cache  {med(cold)}")
        print(f"   warden status, warm                 {med(warm)}   (target < 1000 ms)")

        # 2. run overhead: warden run vs sops exec-env, one service = one file of KEYS keys
        target = repo / "secrets" / "dev" / "ns000.enc.yaml"
        timed([*WARDEN, "run", "--service", "svc000", "--env", "dev", "--", "true"], 1, env=keyed, cwd=repo)
        true_bin = shutil.which("true") or "/bin/true"
        plain = timed([true_bin], args.runs, env=keyed, cwd=repo)
        sops_exec = timed([sops_binary(), "exec-env", str(target), true_bin], args.runs, env=keyed, cwd=repo)
        warden_run = timed([*WARDEN, "run", "--service", "svc000", "--env", "dev", "--", true_bin], args.runs,
                           env=keyed, cwd=repo)
        print(f"\n2. run overhead, one service of {args.keys} keys (median of {args.runs})")
        print(f"   true                                 {med(plain)}")
        print(f"   sops exec-env FILE true              {med(sops_exec)}")
        print(f"   warden run --service S -- true       {med(warden_run)}")
        added = statistics.median(warden_run) - statistics.median(sops_exec)
        added_cpu = statistics.median(CPU[id(warden_run)]) - statistics.median(CPU[id(sops_exec)])
        print(f"   warden run minus sops exec-env       {added:7.1f} ms  (CPU {added_cpu:6.1f} ms)")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
