#!/usr/bin/env python3
"""Warden against a 3-node OpenBao Raft cluster: recovery after leader kills, bootstrap cost, retries.

Measures, on loopback only (tests/vault_cluster.py starts the cluster, tests/vault_server.py the dev server):
  1. `warden bootstrap` of N keys on a single dev server vs on the 3-node cluster (same contract);
  2. the same bootstrap on the cluster with the leader SIGKILLed half way: wall time, re-runs needed,
     and a check that every key exists once with one KV version;
  3. recovery after a leader kill, --kills times: the cluster's own (SIGKILL until a node answers as
     active) and warden's (SIGKILL until the next write through the store succeeds, while a writer
     loops), plus retries per operation during those rounds.

    .venv/bin/python bench/vault_cluster.py [--namespaces 100] [--keys 100] [--kills 5]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.vault_cluster import RaftCluster, start_cluster  # noqa: E402
from tests.vault_server import start_server  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from vault_bootstrap import vault_contract  # noqa: E402  (a sibling script)


def contract_text(namespaces: int, keys: int, prefix: str, address: str) -> str:
    options = f"address: '{address}', path_prefix: {prefix}, layout: per-namespace, retry_deadline: 60"
    return vault_contract(namespaces, keys, project="benchcluster", options=options)


def bootstrap(work: Path, name: str, text: str, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    folder = work / name
    folder.mkdir()
    (folder / "warden.yaml").write_text(text)
    cmd = [sys.executable, "-m", "secretwarden", "--contract", str(folder / "warden.yaml"), "bootstrap", "--env", "dev"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, proc


def count_versions(cluster: RaftCluster, prefix: str) -> tuple[int, int, set[int]]:
    client = cluster.client()
    paths = client.secrets.kv.v2.list_secrets(path=f"{prefix}/dev", mount_point="secret")["data"]["keys"]
    fields, versions = 0, set()
    for p in paths:
        if p.endswith("/") or p.startswith("_"):
            continue
        meta = client.secrets.kv.v2.read_secret_metadata(path=f"{prefix}/dev/{p}", mount_point="secret")["data"]
        versions.add(int(meta["current_version"]))
        data = client.secrets.kv.v2.read_secret_version(path=f"{prefix}/dev/{p}", mount_point="secret",
                                                        raise_on_deleted_version=False)["data"]["data"]
        fields += len(data)
    return len(paths), fields, versions


def recovery_rounds(cluster: RaftCluster, kills: int) -> tuple[list[float], list[float], int, int, int]:
    """(cluster recovery times, warden recovery times, writes, retries, failed writes)."""
    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.errors import WardenError
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    os.environ["WARDEN_BENCH_TOKEN"] = cluster.root_token
    conn = Connection(",".join(cluster.addresses), auth={"method": "token", "token_env": "WARDEN_BENCH_TOKEN"})
    store = VaultStore("bao", VaultLayout(prefix="rec" + secrets.token_hex(3), layout="per-key"), conn,
                       access="secrets", fingerprinter=Fingerprinter(secrets.token_bytes(32)))
    cluster_times, warden_times = [], []
    failures: list[float] = []
    ops = 0
    for k in range(kills):
        cluster.heal()
        successes: list[float] = []
        stop = threading.Event()

        def writer(round_no: int = k, stop: threading.Event = stop, successes: list[float] = successes) -> None:
            nonlocal ops
            i = 0
            while not stop.is_set() and i < 100_000:
                slot = SlotRef("dev", "svc", f"K{round_no}_{i}", None)
                value = SecretValue(secrets.token_urlsafe(24))
                try:
                    store.write_many([WriteRequest(slot, value, source="generate", cas=0)])
                except WardenError:
                    failures.append(time.monotonic())
                    continue
                successes.append(time.monotonic())
                ops += 1
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(1.0)
        killed_at = time.monotonic()
        cluster.kill_leader()
        cluster.leader()
        cluster_times.append(time.monotonic() - killed_at)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(s > killed_at for s in successes):
            time.sleep(0.01)
        after = [s for s in successes if s > killed_at]
        warden_times.append(after[0] - killed_at if after else float("nan"))
        time.sleep(0.5)
        stop.set()
        t.join(90)
    store.close()
    return cluster_times, warden_times, ops, store.retries, len(failures)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--namespaces", type=int, default=100)
    ap.add_argument("--keys", type=int, default=100, help="keys per namespace")
    ap.add_argument("--kills", type=int, default=5, help="leader kills for the recovery figures")
    args = ap.parse_args()
    total = args.namespaces * args.keys
    work = Path(tempfile.mkdtemp(prefix="warden-bench-cluster-"))
    base_env = {**os.environ, "WARDEN_CONFIG_DIR": str(work / "config"), "WARDEN_CACHE_DIR": str(work / "cache")}
    server = start_server(work / "dev")
    started = time.perf_counter()
    cluster = start_cluster(work / "raft")
    cluster_start = time.perf_counter() - started
    try:
        # 1. same contract, single dev server vs cluster
        p = "b" + secrets.token_hex(3)
        single, proc = bootstrap(work, "single", contract_text(args.namespaces, args.keys, p, server.address),
                                 {**base_env, **server.env()})
        assert proc.returncode == 0, proc.stderr[-2000:]
        on_cluster, proc = bootstrap(work, "cluster", contract_text(args.namespaces, args.keys, p, ",".join(cluster.addresses)),
                                     {**base_env, **cluster.env()})
        assert proc.returncode == 0, proc.stderr[-2000:]

        # 2. leader killed half way through a cluster bootstrap
        p2 = "k" + secrets.token_hex(3)
        folder = work / "killed"
        folder.mkdir()
        (folder / "warden.yaml").write_text(contract_text(args.namespaces, args.keys, p2, ",".join(cluster.addresses)))
        cmd = [sys.executable, "-m", "secretwarden", "--contract", str(folder / "warden.yaml"), "bootstrap", "--env", "dev"]
        env = {**base_env, **cluster.env()}
        start = time.perf_counter()
        running = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(on_cluster / 2)
        cluster.kill_leader()
        running.communicate(timeout=600)
        killed_run = time.perf_counter() - start
        reruns = 0
        rc = running.returncode
        while rc != 0 and reruns < 3:
            reruns += 1
            rc = subprocess.run(cmd, capture_output=True, text=True, env=env).returncode
        killed_total = time.perf_counter() - start
        cluster.heal()
        paths, fields, versions = count_versions(cluster, p2)

        # 3. recovery after leader kills
        cluster_times, warden_times, ops, retries, failed = recovery_rounds(cluster, args.kills)
    finally:
        cluster.teardown()
        server.stop()

    print(f"OpenBao 3-node Raft cluster on loopback, {total} keys in {args.namespaces} namespaces, per-namespace layout")
    print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; cluster start-up {cluster_start:.1f} s")
    print(f"  bootstrap on a single dev server: {single:8.2f} s")
    print(f"  bootstrap on the 3-node cluster:  {on_cluster:8.2f} s   ({on_cluster / single:.2f}x)")
    print(f"  bootstrap with the leader SIGKILLed half way: first run {killed_run:.2f} s (exit {running.returncode}), "
          f"{reruns} re-run(s), {killed_total:.2f} s in all; {fields} keys in {paths} paths, KV versions {sorted(versions)}")
    print(f"  cluster recovery after SIGKILL of the leader ({len(cluster_times)} kills): median "
          f"{statistics.median(cluster_times):.2f} s, max {max(cluster_times):.2f} s")
    print(f"  warden recovery (kill -> next acknowledged write): median {statistics.median(warden_times):.2f} s, "
          f"max {max(warden_times):.2f} s")
    print(f"  writes during those rounds: {ops}; retries {retries} ({retries / max(ops, 1):.3f} per write); "
          f"writes that failed (clear error): {failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
