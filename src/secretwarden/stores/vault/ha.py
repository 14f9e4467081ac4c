"""Follow the active node of a Vault/OpenBao HA cluster (integrated storage / Raft).

Every request goes to the active node: standbys may lag behind it (a mount or
a write the active node already applied can be missing there), and writes
must land where Raft commits them. The store's `address` may list several
nodes separated by commas (`http://a:8200,http://b:8200,http://c:8200`); a
single load-balancer address works too and then needs no following.

When a request fails in a way that means "not the active node any more"
(connection refused or reset, sealed, 5xx, standby 429/412), `relocate`
asks the known nodes `sys/leader` (unauthenticated, answered by standbys
too) and points the client at the active one. Nodes the leader reports are
learned on the way, so one seed address is enough once it answers.
"""

from __future__ import annotations

import threading
import time
from typing import Any

PROBE_TIMEOUT = 2.0
RECENT = 0.5  # seconds during which a fresh move is trusted by the other threads


def split_addresses(address: str) -> list[str]:
    """The nodes named by a store address (comma-separated), in order, without duplicates."""
    parts = [a.strip().rstrip("/") for a in address.split(",")]
    return list(dict.fromkeys(a for a in parts if a))


class LeaderFollower:
    """Which node of the cluster the client talks to; safe to share between worker threads."""

    def __init__(self, addresses: list[str], *, verify: bool | str = True) -> None:
        self.addresses = list(addresses)
        self.verify = verify
        self.current = self.addresses[0] if self.addresses else ""
        self.switches = 0  # how often requests moved to another node (reported in stats)
        self._lock = threading.Lock()
        self._moved = 0.0

    @property
    def clustered(self) -> bool:
        return len(self.addresses) > 1

    def _leader_seen_from(self, address: str) -> str | None:
        import requests

        try:
            body = requests.get(f"{address}/v1/sys/leader", timeout=PROBE_TIMEOUT, verify=self.verify).json()
        except (requests.RequestException, ValueError):
            return None
        if not isinstance(body, dict):
            return None
        if body.get("is_self") and not body.get("sealed", False):
            return address
        leader = str(body.get("leader_address") or "").rstrip("/")
        return leader or None

    def _answers_as_active(self, address: str) -> bool:
        import requests

        try:
            resp = requests.get(f"{address}/v1/sys/health", timeout=PROBE_TIMEOUT, verify=self.verify)
        except requests.RequestException:
            return False
        return resp.status_code == 200  # 429 standby, 503 sealed, 501 not initialised

    def locate(self) -> bool:
        """Before the first request: start at the active node (True when one answered)."""
        if not self.clustered:
            return False
        with self._lock:
            leader = self._find(self.addresses)
            if leader is not None:
                self.current = leader
            return leader is not None

    def relocate(self, client: Any) -> bool:
        """After a failure: point `client` at the active node; True when it now talks to another one.

        Worker threads fail together when a leader dies: the first one probes,
        the others see that it moved moments ago and just resend.
        """
        if not self.clustered:
            return False
        with self._lock:
            recent = time.monotonic() - self._moved < RECENT
        if recent:
            time.sleep(0.05)  # outside the lock: the other threads resend in parallel
            return True
        with self._lock:
            if time.monotonic() - self._moved < RECENT:
                return True  # moved while this thread waited for the lock
            # Probe the other nodes first: the failing one is the least likely to lead.
            order = [a for a in self.addresses if a != self.current] + [self.current]
            leader = self._find(order)
            if leader is None or leader == self.current:
                return False
            self.current = leader
            self.switches += 1
            self._moved = time.monotonic()
            client.adapter.base_uri = leader
            client.url = leader
            return True

    def _find(self, order: list[str]) -> str | None:
        for address in order:
            leader = self._leader_seen_from(address)
            if leader is None:
                continue
            if leader not in self.addresses:
                self.addresses.append(leader)
            if self._answers_as_active(leader):
                return leader
        return None
