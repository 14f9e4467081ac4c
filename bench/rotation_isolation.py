#!/usr/bin/env python3
"""Benchmark of rotation status, isolation and the reuse check (issue 9). A script, not a test.

    .venv/bin/python bench/rotation_isolation.py [--services 200 --keys 50 --versions 3 --runs 5 --rounds 7]

On a generated contract of services x keys x 3 environments (30,000 slots by
default), each slot written `--versions` times on the embedded store (versions
spread over the last 400 days with an injected clock, a few values copied
between environments, some keys compromised), it measures:

  0. `warden status`, `warden rotation status` and `warden isolation` (CLI,
     JSON output), warm and cold, interleaved round by round with the floor:
     a Python process loading the same contract as JSON (issue 23's targets:
     < 0.5 s warm, < 1.5 s cold), plus each report warm without cached bytecode and, with
     `--baseline COMMIT`, the reports of that commit's code in the same rounds (the ratio
     new/old holds on a loaded machine when absolute figures do not); `--only-reports`
     stops there;
  1. `warden rotation status` and `warden isolation` end to end (CLI, median
     of --runs, contract cache warm), and the library calls alone;
  2. that no value was decrypted while the reports ran (StoreStats.values_read,
     counted in the store layer) and that no secrets-level store was opened;
  3. the cost of the reuse check on a write (fingerprint + denied set + the
     key's history + `refuse_reuse`), median of many, next to a whole write.
Everything runs in a temporary folder with its own key and cache folders.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import WARDEN, generate_contract  # a sibling script, not a package


def contract_text(services: int, keys: int) -> str:
    return generate_contract(services, keys, project="rotbench", rotation=True)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(microseconds=1)
        return self.now


def populate(contract: Path, versions: int) -> dict[str, int]:
    from secretwarden.contract.validation import spec_digest
    from secretwarden.ops.generate import generate_value
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.base import ValidationStamp, WriteRequest

    stamp = ValidationStamp(spec_digest(None, None, 16))  # what bootstrap records for these keys
    now = dt.datetime.now(dt.UTC)
    clock = Clock(now - dt.timedelta(days=400))
    counts = {"writes": 0}
    with Workspace.load(contract, clock=clock) as ws:
        from secretwarden.contract.plan import expected_slots, requirements

        for env in ws.contract.environments:
            store = ws.secrets(env)
            slots = list(expected_slots(requirements(ws.contract, env)))
            for v in range(versions):
                for start in range(0, len(slots), 2000):
                    # older versions long ago; the current one 0..200 days old, so states vary
                    age = 400 - v * 100 if v < versions - 1 else (start // 2000) * 29 % 200
                    clock.now = now - dt.timedelta(days=age)
                    batch = [
                        WriteRequest(s, generate_value({"kind": "chars", "length": 24}), source="generate", stamp=stamp)
                        for s in slots[start : start + 2000]
                    ]
                    store.write_many(batch, actor="bench")
                    counts["writes"] += len(batch)
        # a few isolation findings: prod values copied into staging
        prod, staging = ws.secrets("prod"), ws.secrets("staging")
        copied = [m.slot for m in prod.list_meta("prod")][:5]
        for slot in copied:
            target = slot.__class__("staging", slot.namespace, slot.key, slot.instance)
            staging.write_many([WriteRequest(target, prod.read(slot), source="set")], actor="bench")
        # some incidents: 50 keys compromised (their fingerprints join the denied set)
        for m in list(prod.list_meta("prod"))[100:150]:
            prod.mark_compromised(m.slot, now + dt.timedelta(seconds=1), "bench")
        counts["copied"] = len(copied)
    return counts


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time (user+sys) of the command, and its exit code.

    CPU time is reported too because a busy shared machine inflates wall time.
    """
    times, cpu, code = [], [], 0
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _child_cpu()
        proc = subprocess.run(WARDEN + cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        cpu.append(_child_cpu() - start_cpu)
        code = proc.returncode
        if code not in (0, 1):
            raise SystemExit(f"{cmd} failed: {proc.stderr}")
    return statistics.median(times), statistics.median(cpu), code


def _child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    start, start_cpu = time.perf_counter(), _child_cpu()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {proc.stderr}")
    return time.perf_counter() - start, _child_cpu() - start_cpu, proc.returncode


def baseline_source(commit: str, into: Path) -> Path:
    """The package sources of `commit` (git archive), to run the reports of that code in the same rounds."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", commit, "src"], capture_output=True, check=True)
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def report_rounds(
    contract: Path,
    env: dict[str, str],
    rounds: int,
    only: tuple[str, ...] = ("status", "rotation status", "isolation"),
    baseline: Path | None = None,
) -> dict[str, tuple[float, float]]:
    """The three reports against the JSON-load floor, interleaved round by round (issue 23).

    The floor is a Python process that loads the same contract as JSON (what a
    cache of the contract costs at least). Warm: the contract cache and the report plan are
    filled; cold: both are removed before each report. Bytecode is cached (a private prefix)
    except in the "no .pyc" rows. Returns name -> (median wall s, median CPU s).
    """
    import json

    import yaml

    floor_json = contract.with_suffix(".json")
    floor_json.write_text(json.dumps(yaml.safe_load(contract.read_text())))
    floor = [sys.executable, "-c", f"import json; json.loads(open({str(floor_json)!r}, 'rb').read())"]
    base = [*WARDEN, "-c", str(contract)]
    reports = {
        "status": [*base, "status", "--format", "json"],
        "rotation status": [*base, "rotation", "status", "--format", "json"],
        "isolation": [*base, "isolation", "--format", "json"],
    }
    reports = {name: cmd for name, cmd in reports.items() if name in only}
    cache = Path(env["WARDEN_CACHE_DIR"])
    # Bytecode: the source tree's own __pycache__ is whatever earlier runs left (these machines
    # set PYTHONDONTWRITEBYTECODE=1), so every process here gets a private prefix instead: written
    # once by the warm-up below (cached bytecode), and an empty one that is never written to
    # (no cached bytecode: every module compiled on each start, as in many containers and CI).
    with_bc = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with_bc["PYTHONPYCACHEPREFIX"] = str(cache.parent / "pycache-bench")
    no_bc = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(cache.parent / "pycache-never")}
    _child([*base, "validate"], with_bc)  # fill the contract cache
    for cmd in reports.values():
        _child(cmd, with_bc)  # fill the report plan and the bytecode
    # The code of another commit (`--baseline`), warm, with its own contract cache folder (its cache
    # format differs) and the same stores, keys and bytecode prefix.
    base_env = {**with_bc, "PYTHONPATH": str(baseline), "WARDEN_CACHE_DIR": str(cache.parent / "cache-baseline")}
    base_cmd = [sys.executable, "-m", "secretwarden", "-c", str(contract)]
    if baseline is not None:
        for cmd in reports.values():
            _child([*base_cmd, *cmd[len(base):]], base_env)
    samples: dict[str, list[tuple[float, float]]] = {"floor": []}
    for name in reports:
        samples[name + " warm"] = []
        samples[name + " cold"] = []
        samples[name + " warm, no .pyc"] = []
        if baseline is not None:
            samples[name + " warm, baseline"] = []
    for _ in range(rounds):
        samples["floor"].append(_child(floor, with_bc)[:2])
        for name, cmd in reports.items():
            samples[name + " warm"].append(_child(cmd, with_bc)[:2])
        for name, cmd in reports.items():
            # cold: every cache compiled from the contract is gone (the validated contract and
            # the report plan); the contract is parsed, validated and resolved again
            for compiled in ("contracts", "reports"):
                shutil.rmtree(cache / compiled, ignore_errors=True)
            samples[name + " cold"].append(_child(cmd, with_bc)[:2])
        for name, cmd in reports.items():
            samples[name + " warm, no .pyc"].append(_child(cmd, no_bc)[:2])
        if baseline is not None:
            for name, cmd in reports.items():
                samples[name + " warm, baseline"].append(_child([*base_cmd, *cmd[len(base):]], base_env)[:2])
    out = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
    f_wall, f_cpu = out["floor"]
    print(f"{'':31} {'wall s':>8} {'CPU s':>8} {'x floor (wall)':>15} {'x floor (CPU)':>14}   target")
    for name, (wall, cpu) in out.items():
        target = {"warm": "< 0.5 s", "cold": "< 1.5 s"}.get(name.rsplit(" ", 1)[-1], "")
        print(f"{name:31} {wall:8.3f} {cpu:8.3f} {wall / f_wall:15.1f} {cpu / f_cpu:14.1f}   {target}")
    print(f"(median of {rounds} interleaved rounds; load average now {os.getloadavg()[0]:.1f})")
    if baseline is not None:
        for name in reports:
            (wall, cpu), (b_wall, b_cpu) = out[name + " warm"], out[name + " warm, baseline"]
            print(f"{name} warm against the baseline in the same rounds: {wall / b_wall:.2f}x wall, {cpu / b_cpu:.2f}x CPU")
        # Other processes' bursts inflate CPU time too (shared caches, frequency): on a busy machine
        # the fastest round of each is the steadier comparison.
        for name in reports:
            new = min(c for _, c in samples[name + " warm"])
            old = min(c for _, c in samples[name + " warm, baseline"])
            print(f"{name} warm, fastest rounds: {new:.3f} s against {old:.3f} s CPU = {new / old:.2f}x")
    return out


def breakdown(contract: Path) -> None:
    """Where `warden status --format json` spends its CPU, phase by phase, in this process (warm caches)."""
    import importlib

    phases: list[tuple[str, float]] = []

    def phase(name: str, start: float) -> float:
        now = time.process_time()
        phases.append((name, now - start))
        return now

    t = time.process_time()
    for mod in ("click", "secretwarden.cli.ops_cmds", "secretwarden.cli.render_status", "secretwarden.ops.status",
                "secretwarden.stores.embedded.store"):
        importlib.import_module(mod)
    t = phase("imports (click, the status command, the embedded store)", t)
    from secretwarden.cli.render_status import status_json_text
    from secretwarden.contract.report_plan import report_plan
    from secretwarden.ops.isolation import isolation_report
    from secretwarden.ops.journal import incident_register
    from secretwarden.ops.status import GapReport, env_status
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.summary import by_env, key_summaries

    t = time.process_time()
    with Workspace.load(contract) as ws:
        t = phase("contract facts from the sealed cache + workspace", t)
        report_plan(ws.loaded)
        t = phase("compiled report plan from the sealed cache", t)
        envs = ws.loaded.facts.environments
        listed = {name: key_summaries(reader) for name, reader in ws.metadata_by_store().items()}
        t = phase("metadata: one key-summary query per store", t)
        indexed = {name: by_env(summaries) for name, summaries in listed.items()}
        t = phase("summaries indexed by environment and slot", t)
        register = incident_register(ws, envs)
        t = phase("incident register (head of each store)", t)
        report = GapReport(
            ws.loaded.facts.project, ws.clock(),
            [env_status(ws, env, index=indexed[ws.store_for(env)].get(env, {}), register=register) for env in envs],
        )
        t = phase("judging every slot (verdict)", t)
        report.isolation = isolation_report(ws, listed=listed)
        t = phase("isolation (repeated-fingerprint query + grouping)", t)
        text = status_json_text(report)
        t = phase(f"JSON output ({len(text) / 1e6:.1f} MB)", t)
    total = sum(c for _, c in phases)
    for name, cpu in phases:
        print(f"  {name:55} {cpu:6.3f} s CPU  {cpu / total:5.1%}")
    print(f"  {'total (plus interpreter start-up)':55} {total:6.3f} s CPU")


def measure(label: str, contract: Path, env: dict[str, str], args: argparse.Namespace, server: object = None) -> None:
    slots = args.services * args.keys * 3
    print(f"--- {label} ---")
    t0 = time.perf_counter()
    counts = populate(contract, args.versions)
    print(f"populated {slots} slots x {args.versions} versions ({counts['writes']} writes) in {time.perf_counter() - t0:.1f} s")

    # 0. the three reports against the JSON-load floor, interleaved, warm and cold
    baseline = baseline_source(args.baseline, contract.parent.parent / "baseline") if args.baseline else None
    report_rounds(contract, env, args.rounds, baseline=baseline)
    print("where `warden status` spends its CPU (a fresh process, warm contract cache):")
    here = str(Path(__file__).resolve().parent)
    code = f"import sys; sys.path.insert(0, {here!r}); from rotation_isolation import breakdown; breakdown(__import__('pathlib').Path({str(contract)!r}))"
    with_bc = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with_bc["PYTHONPYCACHEPREFIX"] = str(Path(env["WARDEN_CACHE_DIR"]).parent / "pycache-bench")
    subprocess.run([sys.executable, "-c", code], env=with_bc, check=True)
    if args.only_reports:
        return

    # 1. CLI, end to end (first call warms the contract cache)
    cli(["-c", str(contract), "validate"], env, 1)
    mark = server.audit_mark() if server is not None else 0  # type: ignore[attr-defined]
    rot_s, rot_cpu, rot_code = cli(["-c", str(contract), "rotation", "status", "--format", "json"], env, args.runs)
    iso_s, iso_cpu, iso_code = cli(["-c", str(contract), "isolation", "--format", "json"], env, args.runs)
    print(f"warden rotation status (CLI, {slots} slots): {rot_s:.2f} s wall, {rot_cpu:.2f} s CPU, median of {args.runs} (exit {rot_code})")
    print(f"warden isolation (CLI, {slots} slots):       {iso_s:.2f} s wall, {iso_cpu:.2f} s CPU, median of {args.runs} (exit {iso_code})")
    if server is not None:
        data = [p for op, p in server.requests_since(mark) if "/data/" in p]  # type: ignore[attr-defined]
        print(f"OpenBao audit log: {len(data)} request(s) to a data/ path (a value) during the CLI reports")

    # 2. library calls, with the store layer's counters
    from secretwarden.ops.isolation import isolation_report
    from secretwarden.ops.rotation import rotation_status
    from secretwarden.ops.workspace import Workspace

    with Workspace.load(contract) as ws:
        t, c = time.perf_counter(), time.process_time()
        rep = rotation_status(ws)
        t_rot, c_rot = time.perf_counter() - t, time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        iso = isolation_report(ws)
        t_iso, c_iso = time.perf_counter() - t, time.process_time() - c
        read = sum(s.stats.values_read for s in ws._meta.values())
        states = {s: rep.count(s) for s in ("ok", "due", "overdue", "never-rotated", "compromised")}
        print(f"rotation_status() library: {t_rot:.2f} s wall, {c_rot:.2f} s CPU, {len(rep.rows)} rows, {states}")
        print(f"isolation_report() library: {t_iso:.2f} s wall, {c_iso:.2f} s CPU, {iso.slots_checked} slots, {len(iso.shared)} shared pair(s)")
        print(f"values_read during both reports: {read}; secrets-level stores opened: {len(ws._secrets)}")

    # 3. the reuse check on write
    from secretwarden.ops.generate import generate_value
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import WriteRequest, refuse_reuse

    with Workspace.load(contract) as ws:
        store = ws.secrets("prod")
        slot = SlotRef("prod", "ns000", "KEY_00")
        denied = len(store.denied_fingerprints())
        checks, writes = [], []
        for _ in range(100):
            value = generate_value({"kind": "chars", "length": 24})
            t = time.perf_counter()
            fp = store.fingerprint(value)
            refuse_reuse(slot, fp, store.key_meta(slot), store.denied_fingerprints())
            checks.append((time.perf_counter() - t) * 1000)
        for _ in range(30):
            value = generate_value({"kind": "chars", "length": 24})
            t = time.perf_counter()
            store.write_many([WriteRequest(slot, value, source="rotate")], actor="bench")
            writes.append((time.perf_counter() - t) * 1000)
        print(
            f"reuse check per write: {statistics.median(checks):.2f} ms median "
            f"(key with up to {args.versions + 30} versions, {denied} denied fingerprints); "
            f"whole write incl. the check: {statistics.median(writes):.2f} ms median"
        )


_WRITER = """
import os, sys, time
from pathlib import Path
from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from secretwarden.stores.embedded.store import EmbeddedStore

store = EmbeddedStore("w", Path(sys.argv[1]), access="secrets", create=True, fingerprinter=Fingerprinter(os.urandom(32)))
slots = [SlotRef("dev", f"ns{i // 50}", f"K{i % 50}") for i in range(int(sys.argv[2]))]
start = time.process_time()
for _ in range(2):  # a first version of every slot, then a second one
    for at in range(0, len(slots), 2000):
        store.write_many([WriteRequest(s, SecretValue(os.urandom(12).hex())) for s in slots[at : at + 2000]], actor="b")
print(time.process_time() - start)
"""


def write_cost(baseline: Path | None, slots: int, rounds: int) -> None:
    """CPU of bulk writes into a new embedded store (the key summary's triggers and the fingerprint
    index are paid here), against `baseline`'s code in the same rounds."""
    variants = {"this code": None, "baseline": baseline} if baseline is not None else {"this code": None}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    work = Path(tempfile.mkdtemp(prefix="warden-writecost-"))
    try:
        for r in range(rounds):
            for name, src in variants.items():
                env = {**os.environ, "WARDEN_CONFIG_DIR": str(work / f"config-{name}-{r}")}
                if src is not None:
                    env["PYTHONPATH"] = str(src)
                db = work / f"{name.replace(' ', '-')}-{r}.db"
                out = subprocess.run([sys.executable, "-c", _WRITER, str(db), str(slots)], env=env,
                                     capture_output=True, text=True, check=True)
                samples[name].append(float(out.stdout))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, cpu in samples.items():
        print(f"{2 * slots} writes ({slots} slots x 2, batches of 2,000), {name}: {statistics.median(cpu):.3f} s CPU (median of {rounds})")
    if baseline is not None:
        print(f"this code / baseline: {statistics.median(samples['this code']) / statistics.median(samples['baseline']):.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7, help="Interleaved rounds of the reports against the floor.")
    parser.add_argument("--only-reports", action="store_true", help="Only the interleaved reports (skip 1-3).")
    parser.add_argument("--baseline", default=None, help="Also run the reports of this commit, warm, in the same rounds.")
    parser.add_argument("--vault", action="store_true", help="Also run on a local OpenBao dev server (needs `bao`).")
    parser.add_argument("--write-cost", action="store_true",
                        help="Only the CPU of bulk writes into an embedded store (against --baseline's code).")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    if args.write_cost:
        work = Path(tempfile.mkdtemp(prefix="warden-baseline-"))
        try:
            src = baseline_source(args.baseline, work) if args.baseline else None
            write_cost(src, 6000, args.rounds)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        return

    work = Path(tempfile.mkdtemp(prefix="warden-rotbench-"))
    os.environ.update(
        WARDEN_CONFIG_DIR=str(work / "config"), WARDEN_CACHE_DIR=str(work / "cache"), WARDEN_NO_KEYRING="1"
    )
    server = None
    try:
        repo = work / "embedded"
        repo.mkdir()
        contract = repo / "warden.yaml"
        contract.write_text(contract_text(args.services, args.keys))
        measure("embedded store", contract, dict(os.environ), args)
        if args.vault:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from tests.vault_server import start_server

            server = start_server(work / "bao")
            os.environ.update(server.env())
            repo = work / "vault"
            repo.mkdir()
            contract = repo / "warden.yaml"
            store = "stores:\n  bao:\n    backend: vault\n    options: {path_prefix: bench, layout: per-namespace}\n"
            contract.write_text(contract_text(args.services, args.keys).replace("namespaces:\n", store + "namespaces:\n", 1))
            measure("OpenBao dev server (vault backend, per-namespace layout)", contract, dict(os.environ), args, server)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
