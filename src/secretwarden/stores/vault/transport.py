"""The Vault store's connection layer: the hvac client (logged in on first use, following the
active node of a cluster), retries and failover through errors.call, the lean bulk transport
(fast_http.py), the worker pool bulk operations fan out on, and the state every layer shares.

The store is built in layers, each a module of stores/vault/: transport.py (this) ->
reading.py (metadata and values) -> path_writes.py (one path's data and record) ->
bulk_write.py (write_many) -> store.py (`VaultStore`: deletes, compromise, provisioning).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from secretwarden.errors import (
    PermissionDenied,
    StoreUnavailable,
    WardenError,
)
from secretwarden.stores.base import (
    KeyMeta,
    StoreStats,
)
from secretwarden.stores.vault.auth import Connection, make_client
from secretwarden.stores.vault.errors import (
    CasMismatch,
    RetryPolicy,
    ServerUnreachable,
    call,
)
from secretwarden.stores.vault.groups import GroupState
from secretwarden.stores.vault.ha import LeaderFollower, split_addresses
from secretwarden.stores.vault.layout import VaultLayout
from secretwarden.stores.vault.path_state import PathState

if TYPE_CHECKING:  # fast_http (ssl, http.client) loads with the first bulk request, not with the store
    from secretwarden.stores.vault.fast_http import FastTransport

Access = Literal["metadata", "secrets"]
T = TypeVar("T")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VaultTransport:
    def __init__(
        self,
        name: str,
        layout: VaultLayout,
        connection: Connection,
        *,
        access: Access = "metadata",
        root: Path = Path("."),
        fingerprinter: Callable[[str], str] | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        retry: RetryPolicy | None = None,
        workers: int = 8,
        max_versions: int | None = None,
        read_values_for_names: bool = False,
    ) -> None:
        self.name = name
        self.layout = layout
        self.connection = connection
        self.access = access
        self.stats = StoreStats()
        self._root = root
        self._fingerprint = fingerprinter
        self._fp_key_checked = False
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._workers = max(1, workers)
        self._max_versions = max_versions
        self._names_from_values = read_values_for_names
        # Records of one-key paths go to their namespace's group document (one metadata write
        # per namespace in a bulk write). Not with max_versions: that is set per path anyway.
        self._group_writes = layout.template.key_in_path and max_versions is None
        self._known_groups: dict[str, GroupState] = {}  # read by list_meta for the writes that follow
        self._groups_walked: dict[str, set[str]] = {}  # listing root -> group documents found under it
        self._peek_groups: tuple[float, dict[str, GroupState]] = (0.0, {})
        self._pool: ThreadPoolExecutor | None = None
        self._in_pool = threading.local()
        self._client: Any = None
        self._fast_http: FastTransport | None = None  # bulk requests' transport (single server)
        self._proxy: bool | None = None  # a proxy applies to the server (decided once)
        self._lock = threading.Lock()
        self._data_cache: dict[tuple[str, int | None], dict[str, Any]] = {}
        self._meta_cas: bool | None = None
        self.assume_empty = False  # set by a dry-run provisioning that found the mount absent
        self._notices: list[str] = []
        self._down: StoreUnavailable | None = None
        self._peeked: dict[str, tuple[float, PathState]] = {}
        # What `list_meta` read, kept for the writes that follow it (bootstrap: read, then write).
        # Writes check-and-set against it, so a state that went stale only costs a re-read.
        self._known: dict[str, PathState] = {}
        # (env, listing root) -> every path of env found under it: a path of env not in it is absent
        self._walked: dict[tuple[str, str], set[str]] = {}
        self._snapshots: dict[str | None, tuple[float, list[KeyMeta]]] = {}  # reports: see _snapshot
        # HA clusters: requests follow the active node; counted for reports and benchmarks.
        self._ha = LeaderFollower(split_addresses(connection.address), verify=connection.verify)
        self._envs_written: set[str] = set()
        self.retries = 0  # requests resent after a failure (all attempts of this store)
        self.reclaimed = 0  # writes whose answer was lost but which the cluster had committed

    # --- transport ------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import dataclasses

                if self._ha.clustered:
                    self._ha.locate()
                conn = dataclasses.replace(self.connection, address=self._ha.current)
                self._client = make_client(conn, self._root, pool_size=self._workers + 4)
            return self._client

    def _failover(self) -> bool:
        return self._ha.relocate(self.client)

    def _count_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def _token_valid(self) -> bool:
        try:
            self.client.adapter.get("/v1/auth/token/lookup-self")
            return True
        except Exception:
            return False

    def _call(self, fn: Callable[[], T], what: str, capability: str, *, idempotent: bool = True) -> T:
        # Once the server stopped answering, the other requests of this command fail at once
        # instead of each waiting out its own deadline (a bulk write fans out hundreds).
        if self._down is not None:
            raise StoreUnavailable(self._down.message, hint=self._down.hint)
        try:
            return call(
                fn,
                address=self.connection.address,
                what=what,
                capability=capability,
                retry=self._retry,
                idempotent=idempotent,
                token_check=self._token_valid,
                failover=self._failover if self._ha.clustered else None,
                on_retry=self._count_retry,
            )
        except ServerUnreachable as exc:
            self._down = exc
            raise

    def _send(self, method: str, url: str, body: Any, slow: Callable[[], Any], content_type: str = "application/json") -> Any:
        """One bulk request over the lean transport (fast_http.py); through hvac (`slow`) for a
        cluster, or when the server redirects."""
        from secretwarden.stores.vault.fast_http import FastTransport, Redirected

        client = self.client  # logs in first
        if self._ha.clustered or self._proxied():
            return slow()
        if self._fast_http is None:
            with self._lock:
                if self._fast_http is None:
                    self._fast_http = FastTransport(
                        self._ha.current, self.connection.verify, self.connection.timeouts, self.connection.namespace
                    )
        try:
            return self._fast_http.request(method, url, client.token, body, content_type)
        except Redirected:
            return slow()

    def _proxied(self) -> bool:
        """Whether HTTPS_PROXY/HTTP_PROXY/NO_PROXY route this server through a proxy, which only
        `requests` (hvac) honours: such a store keeps every request on hvac."""
        if self._proxy is None:
            from requests.utils import get_environ_proxies

            self._proxy = bool(get_environ_proxies(self._ha.current))
        return self._proxy

    def _url(self, kind: str, path: str) -> str:
        return "/v1/" + self.layout.api(kind, path)

    def _require_secrets(self) -> None:
        if self.access != "secrets":
            raise PermissionDenied(
                f"store `{self.name}` was opened for metadata only; it cannot read or write values"
            )

    def _fan_out(self, fn: Callable[[Any], T], items: list[Any]) -> list[tuple[T | None, BaseException | None]]:
        def guarded(item: Any) -> tuple[T | None, BaseException | None]:
            try:
                return fn(item), None
            except (WardenError, CasMismatch) as exc:
                return None, exc

        if len(items) <= 1 or self._workers == 1 or getattr(self._in_pool, "worker", False):
            return [guarded(i) for i in items]  # a fan-out inside a worker runs in that worker
        self.client  # log in once, before the threads start  # noqa: B018
        with self._lock:
            if self._pool is None:
                # One pool for the store's life: a bulk command fans out several times (reads,
                # checks, writes, records) and starting 16 threads each time costs on a busy machine.
                self._pool = ThreadPoolExecutor(max_workers=self._workers, initializer=self._mark_worker)
            pool = self._pool
        return list(pool.map(guarded, items))

    def _mark_worker(self) -> None:
        self._in_pool.worker = True
