"""Fault tests against a real 3-node OpenBao Raft cluster (tests/vault_cluster.py).

Leaders are SIGKILLed at random points of a bootstrap, followers restart during
`status` and `run`, a node is sealed: warden must never give a wrong answer,
never lose or duplicate a key, and never let a value generated twice replace
an earlier one. Failures are allowed only as a clear one-line error that a
re-run repairs. Every loop is bounded in count; no assertion is about time.
"""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_warden
from tests.stores.vault.vault_contract_support import generated_contract
from tests.vault_cluster import RaftCluster, shared_cluster, stop_shared_cluster

pytestmark = [pytest.mark.cluster, pytest.mark.vault]

ROUNDS_PER_LAYOUT = 10  # two layouts: 20 leader kills in the suite
NAMESPACES = 4
KEYS = 25  # per namespace: 100 keys per round


@pytest.fixture(scope="session")
def raft_cluster() -> Iterator[RaftCluster]:
    yield shared_cluster()
    stop_shared_cluster()


def cluster_contract(prefix: str, layout: str, namespaces: int = NAMESPACES, keys: int = KEYS) -> str:
    options = f"path_prefix: {prefix}, layout: {layout}, retry_deadline: 40, timeout: 5"
    return generated_contract("raftdemo", options, namespaces, keys)


def wait_for_first_write(cluster: RaftCluster, path: str, proc: subprocess.Popen[str], deadline: float = 60) -> None:
    """Return once something exists under `path` (the command has started writing)."""
    client = cluster.client()
    end = time.monotonic() + deadline
    while time.monotonic() < end and proc.poll() is None:
        try:
            if client.secrets.kv.v2.list_secrets(path=path, mount_point="secret")["data"]["keys"]:
                return
        except Exception:  # nothing there yet (404), or the leader between two answers
            pass
        time.sleep(0.02)
    raise AssertionError(f"no write under {path} while the command ran (exit {proc.poll()})")


def warden_cmd(contract: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "secretwarden", "--contract", str(contract), *args]


def assert_clear_failure(proc_out: str, proc_err: str) -> None:
    assert "Traceback" not in proc_err and "Traceback" not in proc_out, proc_err[-2000:]
    assert proc_err.strip(), "a failure must say why"


def kv_state(cluster: RaftCluster, prefix: str) -> dict[str, tuple[int, dict[str, str]]]:
    """Every KV path under the prefix: (current KV version, latest data). Test-side only."""
    client = cluster.client()
    out: dict[str, tuple[int, dict[str, str]]] = {}

    def walk(path: str) -> None:
        listed = client.secrets.kv.v2.list_secrets(path=path, mount_point="secret")
        for entry in listed["data"]["keys"]:
            full = f"{path}/{entry}".replace("//", "/").rstrip("/")
            if entry.endswith("/"):
                if not entry.startswith("_"):
                    walk(full)
                continue
            meta = client.secrets.kv.v2.read_secret_metadata(path=full, mount_point="secret")["data"]
            current = int(meta["current_version"])
            data: dict[str, str] = {}
            if current:
                data = client.secrets.kv.v2.read_secret_version(
                    path=full, mount_point="secret", raise_on_deleted_version=False
                )["data"]["data"] or {}
            out[full] = (current, data)

    walk(f"{prefix}/dev")
    return out


def status_keys(contract: Path, env: dict[str, str]) -> dict[str, Any]:
    r = run_warden("--contract", contract, "status", "--env", "dev", "--format", "json", env=env, timeout=120)
    assert r.returncode in (0, 1), r.output
    report: dict[str, Any] = json.loads(r.stdout)
    return report


def bootstrap_until_done(contract: Path, env: dict[str, str], first: subprocess.Popen[str]) -> int:
    """Wait for the interrupted bootstrap; re-run (bounded) until one completes. Returns the re-runs."""
    out, err = first.communicate(timeout=180)
    reruns = 0
    while first.returncode != 0 or json.loads(out).get("interrupted"):
        if first.returncode != 0:
            assert_clear_failure(out, err)
        reruns += 1
        assert reruns <= 3, err[-2000:]
        first = subprocess.Popen(
            warden_cmd(contract, "bootstrap", "--env", "dev", "--format", "json"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        out, err = first.communicate(timeout=180)
    return reruns


def test_cluster_fixture_has_three_voters_and_one_leader(raft_cluster: RaftCluster) -> None:
    assert raft_cluster.voters() == ["node1", "node2", "node3"]
    leader = raft_cluster.leader()
    assert leader in raft_cluster.nodes
    assert all(n.alive() for n in raft_cluster.nodes)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["per-key", "per-namespace"])
def test_leader_killed_during_bootstrap_loses_and_duplicates_nothing(
    raft_cluster: RaftCluster, tmp_path: Path, layout: str
) -> None:
    import os

    rng = random.Random(secrets.randbits(32))
    env = {**os.environ, **raft_cluster.env()}
    earlier: dict[str, dict[str, tuple[int, dict[str, str]]]] = {}
    for rnd in range(ROUNDS_PER_LAYOUT):
        raft_cluster.heal()
        prefix = f"k{rnd}" + secrets.token_hex(4)
        contract = tmp_path / f"r{rnd}" / "warden.yaml"
        contract.parent.mkdir()
        contract.write_text(cluster_contract(prefix, layout))
        proc = subprocess.Popen(
            warden_cmd(contract, "bootstrap", "--env", "dev", "--format", "json"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        # A random point of the run: start-up, policies, namespace records, KV writes, metadata.
        time.sleep(rng.uniform(0.3, 2.5))
        raft_cluster.kill_leader()
        bootstrap_until_done(contract, env, proc)

        # Every key exactly once, one KV version per key (nothing written twice), status agrees.
        state = kv_state(raft_cluster, prefix)
        fields = [(path, name) for path, (_, data) in state.items() for name in data]
        assert len(fields) == NAMESPACES * KEYS
        assert len(set(fields)) == len(fields)
        # (Per-key layout: a namespace's own path holds only warden's metadata, no KV version.)
        written = {p: v for p, (v, data) in state.items() if v or data}
        assert all(v == 1 for v in written.values()), written
        report = status_keys(contract, env)
        assert report["ok"], json.dumps(report)[:2000]
        earlier[prefix] = state

    # Nothing generated later replaced a value written by an earlier round (fingerprints by value here).
    raft_cluster.heal()
    for prefix, before in earlier.items():
        assert kv_state(raft_cluster, prefix) == before


def _bootstrapped_project(cluster: RaftCluster, tmp_path: Path, env: dict[str, str]) -> Path:
    contract = tmp_path / "warden.yaml"
    contract.write_text(cluster_contract("f" + secrets.token_hex(4), "per-namespace", namespaces=2, keys=5))
    r = run_warden("--contract", contract, "bootstrap", "--env", "dev", "--format", "json", env=env, timeout=120)
    assert r.returncode == 0, r.output
    return contract


def test_follower_restart_during_status_and_run_gives_no_wrong_answer(
    raft_cluster: RaftCluster, tmp_path: Path
) -> None:
    import os

    raft_cluster.heal()
    env = {**os.environ, **raft_cluster.env()}
    contract = _bootstrapped_project(raft_cluster, tmp_path, env)
    expected = status_keys(contract, env)
    assert expected["ok"]
    prefix = contract.read_text().split("path_prefix: ")[1].split(",")[0]
    ns0 = [data for path, (_, data) in kv_state(raft_cluster, prefix).items() if path.endswith("/ns0")]
    assert len(ns0) == 1
    truth = ns0[0]

    stop = threading.Event()
    restarts = [0]

    def churn() -> None:
        for _ in range(3):
            if stop.is_set():
                return
            follower = raft_cluster.followers()[0]
            raft_cluster.restart(follower)
            restarts[0] += 1

    worker = threading.Thread(target=churn)
    worker.start()
    probe = "import os, json; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('KEY_')}))"
    try:
        for _ in range(4):
            r = run_warden("--contract", contract, "status", "--env", "dev", "--format", "json", env=env, timeout=120)
            if r.returncode in (0, 1) and r.stdout.strip():
                report = json.loads(r.stdout)
                assert report["ok"] == expected["ok"]
            else:
                assert_clear_failure(r.stdout, r.stderr)
            r = run_warden(
                "--contract", contract, "run", "--service", "svc0", "--env", "dev", "--",
                sys.executable, "-c", probe, env=env, timeout=120,
            )
            if r.returncode == 0:
                got = json.loads(r.stdout)
                assert len(got) == 5 and all(truth[k] == v for k, v in got.items())
            else:
                assert_clear_failure(r.stdout, r.stderr)
    finally:
        stop.set()
        worker.join(120)
    assert restarts[0] >= 1


def test_sealed_node_leaves_the_backend_working_through_the_others(
    raft_cluster: RaftCluster, tmp_path: Path
) -> None:
    import os

    raft_cluster.heal()
    env = {**os.environ, **raft_cluster.env()}
    contract = _bootstrapped_project(raft_cluster, tmp_path, env)
    # Seal the active node (leadership moves) and, separately, a standby.
    for pick in ("leader", "follower"):
        node = raft_cluster.leader() if pick == "leader" else raft_cluster.followers()[0]
        raft_cluster.seal(node)
        try:
            value = "v-" + secrets.token_hex(16)
            r = run_warden("--contract", contract, "set", "ns0/KEY_000", "--env", "dev",
                           input=value, env=env, timeout=120)
            assert r.returncode == 0, r.output
            r = run_warden("--contract", contract, "get", "ns0/KEY_000", "--env", "dev", env=env, timeout=120)
            assert r.returncode == 0 and r.stdout.strip() == value, r.stderr
            assert status_keys(contract, env)["ok"]
        finally:
            raft_cluster.unseal(node)


def answer_losing_adapter() -> Any:
    """Transport fault: the first KV data write reaches the server, its answer is dropped.

    The request is really sent and committed by the real cluster; only the
    response never arrives (what a client sees when the leader dies right after
    committing). Everything else passes through untouched.
    """
    import requests
    from requests.adapters import HTTPAdapter

    class AnswerLosingAdapter(HTTPAdapter):
        dropped = 0

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            resp = super().send(request, *args, **kwargs)
            if self.dropped == 0 and request.method in ("POST", "PATCH") and "/data/" in (request.url or ""):
                self.dropped += 1
                raise requests.exceptions.ConnectionError("answer lost")
            return resp

    return AnswerLosingAdapter(max_retries=0)


def test_write_whose_answer_was_lost_is_recognised_not_repeated(
    raft_cluster: RaftCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore
    from tests.stores.conftest import FP

    raft_cluster.heal()
    admin = raft_cluster.client()
    if "secret/" not in admin.sys.list_mounted_secrets_engines()["data"]:
        admin.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    monkeypatch.setenv("WARDEN_TEST_VAULT_TOKEN", raft_cluster.root_token)
    prefix = "lost" + secrets.token_hex(4)
    conn = Connection(",".join(raft_cluster.addresses), auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})
    for layout in ("per-namespace", "per-key"):
        store = VaultStore("bao", VaultLayout(prefix=f"{prefix}-{layout}", layout=layout), conn,
                           access="secrets", fingerprinter=FP)
        losing = answer_losing_adapter()
        store.client.session.mount("http://", losing)
        slot = SlotRef("dev", "api", "TOKEN", None)
        value = "gen-" + secrets.token_hex(16)
        [result] = store.write_many([WriteRequest(slot, SecretValue(value), source="generate", cas=0)])
        assert losing.dropped == 1 and store.reclaimed == 1 and store.retries >= 1
        assert result.version == 1 and result.created
        meta = store.key_meta(slot)
        assert meta is not None and [v.version for v in meta.versions] == [1]
        path = store.layout.locate(slot).path
        kv = admin.secrets.kv.v2.read_secret_metadata(path=path, mount_point="secret")["data"]
        assert kv["current_version"] == 1  # the resend added no second version
        assert store.read(slot).reveal() == value
        store.close()


def test_values_of_a_writer_that_died_before_its_metadata_are_kept_and_recorded(
    raft_cluster: RaftCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.errors import ConflictError
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore
    from tests.stores.conftest import FP

    raft_cluster.heal()
    admin = raft_cluster.client()
    if "secret/" not in admin.sys.list_mounted_secrets_engines()["data"]:
        admin.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    monkeypatch.setenv("WARDEN_TEST_VAULT_TOKEN", raft_cluster.root_token)
    conn = Connection(",".join(raft_cluster.addresses), auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})
    store = VaultStore("bao", VaultLayout(prefix="dead" + secrets.token_hex(4)), conn, access="secrets", fingerprinter=FP)
    slot = SlotRef("dev", "api", "TOKEN", None)
    assert store.ensure_namespace("dev", "api")
    loc = store.layout.locate(slot)
    first = "gen-" + secrets.token_hex(16)
    # What a warden process killed between its KV write and its metadata write leaves behind.
    admin.secrets.kv.v2.create_or_update_secret(path=loc.path, secret={loc.field: first}, cas=0, mount_point="secret")
    with pytest.raises(ConflictError):
        store.write_many([WriteRequest(slot, SecretValue("gen-" + secrets.token_hex(16)), source="generate", cas=0)])
    # A fresh store (the next run) sees the key, with its one version, and the first value is intact.
    store.close()
    again = VaultStore("bao", store.layout, conn, access="secrets", fingerprinter=FP)
    meta = again.key_meta(slot)
    assert meta is not None and [v.version for v in meta.versions] == [1]
    assert again.read(slot).reveal() == first
    kv = admin.secrets.kv.v2.read_secret_metadata(path=loc.path, mount_point="secret")["data"]
    assert kv["current_version"] == 1
    again.close()


def test_split_addresses_keeps_order_and_drops_blanks_and_duplicates() -> None:
    from secretwarden.stores.vault.ha import split_addresses

    assert split_addresses(" http://a:1/, http://b:2,,http://a:1 ") == ["http://a:1", "http://b:2"]
    assert split_addresses("") == []


def test_store_finds_the_leader_when_the_first_listed_node_is_down(
    raft_cluster: RaftCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.slots import SlotRef
    from secretwarden.stores.base import SecretValue, WriteRequest
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore
    from tests.stores.conftest import FP

    raft_cluster.heal()
    admin = raft_cluster.client()
    if "secret/" not in admin.sys.list_mounted_secrets_engines()["data"]:
        admin.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    leader = raft_cluster.leader()
    down, standby = raft_cluster.followers()
    raft_cluster.kill(down)
    try:
        monkeypatch.setenv("WARDEN_TEST_VAULT_TOKEN", raft_cluster.root_token)
        # Listed: a dead node, a standby, then the leader.
        conn = Connection(f"{down.address},{standby.address},{leader.address}",
                          auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})
        store = VaultStore("bao", VaultLayout(prefix="first" + secrets.token_hex(4)), conn,
                           access="secrets", fingerprinter=FP)
        slot = SlotRef("dev", "api", "TOKEN", None)
        value = "gen-" + secrets.token_hex(16)
        store.write_many([WriteRequest(slot, SecretValue(value), source="generate", cas=0)])
        assert store.read(slot).reveal() == value
        assert store.client.adapter.base_uri == leader.address
        store.close()
    finally:
        raft_cluster.heal()


@pytest.mark.slow
def test_killed_leader_that_comes_back_sealed_is_skipped_and_bootstrap_follows_the_new_leader(
    raft_cluster: RaftCluster, tmp_path: Path
) -> None:
    import os
    import signal

    raft_cluster.heal()
    env = {**os.environ, **raft_cluster.env()}
    namespaces, keys = 16, 100  # 1,600 per-key paths: still writing when its first key shows
    prefix = "sealed" + secrets.token_hex(4)
    contract = tmp_path / "warden.yaml"
    contract.write_text(cluster_contract(prefix, "per-key", namespaces, keys))
    proc = subprocess.Popen(
        warden_cmd(contract, "bootstrap", "--env", "dev", "--format", "json"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    # Freeze the bootstrap as soon as it writes (not after a fixed sleep: a faster bootstrap
    # finished first); the leader crashes and restarts sealed while requests are in flight.
    wait_for_first_write(raft_cluster, f"{prefix}/dev", proc)
    proc.send_signal(signal.SIGSTOP)
    assert proc.poll() is None, "the bootstrap ended before the leader could be killed: give it more keys"
    try:
        old = raft_cluster.kill_leader()
        raft_cluster.start_node(old)
        assert (old.health() or {}).get("sealed") is True
    finally:
        proc.send_signal(signal.SIGCONT)
    out, err = proc.communicate(timeout=180)
    # Requests that now reach the old leader find it sealed: skipped like a dead node, not "sealed".
    assert "sealed" not in err, err[-2000:]
    assert proc.returncode == 0 and not json.loads(out).get("interrupted"), err[-2000:]
    # A fresh command that lists the sealed node first also goes to the new leader.
    sealed_first = raft_cluster.env(",".join([old.address, *(a for a in raft_cluster.addresses if a != old.address)]))
    report = status_keys(contract, {**os.environ, **sealed_first})
    assert report["ok"], json.dumps(report)[:2000]
    raft_cluster.heal()
    state = kv_state(raft_cluster, prefix)
    fields = [(path, name) for path, (_, data) in state.items() for name in data]
    assert len(fields) == len(set(fields)) == namespaces * keys
    assert all(v == 1 for v, data in state.values() if data)
