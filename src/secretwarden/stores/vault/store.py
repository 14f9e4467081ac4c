"""The Vault/OpenBao backend: KV v2 behind the store protocol, through hvac.

* Values live in KV v2 data, one field per key (see layout.py for paths).
* Warden's per-version metadata (fingerprints, validation stamps, times,
  writers, deletions, compromise marks) lives in the KV v2 `custom_metadata`
  of the same path (meta.py), so every report is answered from the
  `metadata/` endpoints. Opened with `access="metadata"` the store has no code
  path to a `data/` endpoint, and a token whose policy grants only
  `metadata/` read and list is enough for `warden status`.
* Where each key has its own path (`{key}` in the template), the records of
  a namespace's paths share one group document instead (groups.py): a bulk
  write saves it once per namespace after the values, so a bootstrap costs
  about one request per path. A path's own record, where it has one, wins.
* Each warden version of a key records the KV version written with it. A
  write is one KV write (check-and-set on the path's current version, PATCH
  so other fields are never read or resent) and one metadata write
  (check-and-set on the metadata version where the server supports it, as
  OpenBao does; a lost race re-reads and merges).
* A path changed outside warden since warden's record (KV version newer than
  the record) is adopted on the next write: the latest data is read (counted
  in `stats.values_read`) and changed fields become versions with source
  `external`, so reuse checks see them and nothing existing is overwritten.
* `write_many` validates every path first (reuse, check-and-set) and then
  writes the paths concurrently (bounded). Paths are independent in KV:
  when the server fails half way, `PartialWrite` says which writes landed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from secretwarden.errors import (
    ConflictError,
    IntegrityError,
    PartialWrite,
    PermissionDenied,
    SecretNotFound,
    StoreError,
    StoreUnavailable,
    UsageError,
    WardenError,
)
from secretwarden.identity import current_user
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    AccessReport,
    AccessRequest,
    KeyMeta,
    SecretValue,
    StoreStats,
    VersionMeta,
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    keyed_fingerprint,
    prove_fingerprint_key,
    refuse_reuse,
)
from secretwarden.stores.machine_auth import MachineAuthReport, MachineAuthRequest
from secretwarden.stores.vault.auth import Connection, make_client
from secretwarden.stores.vault.errors import (
    CasMismatch,
    NotFound,
    RetryPolicy,
    ServerUnreachable,
    call,
)
from secretwarden.stores.vault.groups import (
    GroupState,
    PendingRecord,
    entries_to_save,
    group_of,
    group_state,
    note_absent,
    take_entry,
)
from secretwarden.stores.vault.ha import LeaderFollower, split_addresses
from secretwarden.stores.vault.kubernetes_auth import KubernetesAuthSettings
from secretwarden.stores.vault.layout import Location, VaultLayout, join
from secretwarden.stores.vault.meta import (
    FieldRecord,
    FieldVersion,
    PathRecord,
    decode_doc,
    decode_record,
    encode_doc,
    encode_group,
    encode_record,
    foreign_keys,
    merged,
    to_us,
)
from secretwarden.stores.vault.path_state import PathState, parse_time

if TYPE_CHECKING:  # fast_http (ssl, http.client) loads with the first bulk request, not with the store
    from secretwarden.stores.vault.fast_http import FastTransport
    from secretwarden.stores.vault.journal import VaultJournal

Access = Literal["metadata", "secrets"]
T = TypeVar("T")
ATTEMPTS = 6
PEEK_SECONDS = 1.0
SNAPSHOT_SECONDS = 5.0  # how long a metadata reader reuses a listing of every key (one command)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)




def _under(path: str, base: str) -> bool:
    return not base or path.startswith(base + "/")


class VaultStore:
    backend = "vault"
    # Bootstrap hands this many writes to one write_many: one fan-out over every path, so the
    # server sees steady concurrency instead of a pause between batches.
    write_batch_size = 50_000

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

    def __repr__(self) -> str:
        return f"VaultStore(name={self.name!r}, address={self.connection.address!r}, access={self.access!r})"

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

    def _load(self, path: str, groups: dict[str, GroupState] | None = None, *, attach: bool = True) -> PathState:
        """Metadata of one path (never its data), with its record from its group document when
        it has none of its own (`groups`: documents already read; else read now)."""
        st = self._load_path(path)
        if attach:
            self._attach(st, groups)
        return st

    def _load_path(self, path: str) -> PathState:
        self.stats.metadata_reads += 1
        if self.assume_empty:
            return PathState(path)
        url = self._url("metadata", path)
        try:
            resp = self._call(
                lambda: self._send("GET", url, None, lambda: self.client.adapter.get(url)),
                self.layout.api("metadata", path),
                "read",
            )
        except NotFound:
            return PathState(path)
        data = resp.get("data") or {}
        if self._meta_cas is None:
            self._meta_cas = "current_metadata_version" in data
        custom = data.get("custom_metadata") or {}
        where = f"{self.name}:{self.layout.api('metadata', path)}"
        st = PathState(
            path=path,
            exists=True,
            kv=int(data.get("current_version") or 0),
            mv=int(data["current_metadata_version"]) if "current_metadata_version" in data else None,
            oldest=int(data.get("oldest_version") or 0),
            versions={int(k): v for k, v in (data.get("versions") or {}).items()},
            record=decode_record(custom, where),
            foreign=foreign_keys(custom),
            custom=custom,
        )
        if st.record is not None:
            for page in range(st.record.pages):
                self._load_page(st, st.record, page)
        return st

    def _attach(self, st: PathState, groups: dict[str, GroupState] | None) -> None:
        """A path without a record of its own takes the one its group document holds for it."""
        if st.record is not None:
            return
        where = group_of(self.layout, st.path)
        if where is None:
            return
        gpath, rel = where
        gs = groups.get(gpath) if groups is not None else None
        if gs is None:
            try:
                gs = self._load_group(gpath)
            except PermissionDenied:
                if st.exists:
                    raise
                # A missing key under a policy from before group records: it is just missing.
                gs = GroupState(gpath)
            else:
                if groups is not None:
                    groups[gpath] = gs
        take_entry(st, gs, gpath, rel, group_writes=self._group_writes)

    def _load_group(self, gpath: str) -> GroupState:
        self.stats.metadata_reads += 1
        if self.assume_empty:
            return GroupState(gpath)
        url = self._url("metadata", gpath)
        try:
            resp = self._call(
                lambda: self._send("GET", url, None, lambda: self.client.adapter.get(url)),
                self.layout.api("metadata", gpath),
                "read",
            )
        except NotFound:
            return GroupState(gpath)
        data = resp.get("data") or {}
        if self._meta_cas is None:
            self._meta_cas = "current_metadata_version" in data
        return group_state(gpath, data, f"{self.name}:{self.layout.api('metadata', gpath)}")

    def _page_path(self, path: str, page: int) -> str:
        return join(self.layout.warden_base, "history", path, str(page))

    def _load_page(self, st: PathState, record: PathRecord, page: int) -> None:
        """Merge one history page of the path (older versions that did not fit in it)."""
        where = self._page_path(st.path, page)
        self.stats.metadata_reads += 1
        try:
            resp = self._call(
                lambda: self.client.adapter.get(self._url("metadata", where)), self.layout.api("metadata", where), "read"
            )
        except NotFound:
            raise IntegrityError(
                f"{self.name}:{self.layout.api('metadata', st.path)}: history page {page} is missing",
                hint=f"it lived at {self.layout.api('metadata', where)}",
            ) from None
        custom = (resp.get("data") or {}).get("custom_metadata") or {}
        rows = decode_record(custom, where, page)
        if rows is not None:
            record.merge_page(rows)
        st.page_custom[page] = custom

    def _list(self, path: str) -> list[str]:
        self.stats.metadata_reads += 1
        if self.assume_empty:
            return []
        try:
            resp = self._call(
                lambda: self.client.adapter.request("LIST", self._url("metadata", path) + "/"),
                self.layout.api("metadata", path),
                "list",
            )
        except NotFound:
            return []
        keys: list[str] = (resp.get("data") or {}).get("keys") or []
        return keys

    def _require_secrets(self) -> None:
        if self.access != "secrets":
            raise PermissionDenied(
                f"store `{self.name}` was opened for metadata only; it cannot read or write values"
            )

    def _data(self, path: str, version: int | None) -> dict[str, Any] | None:
        """A path's data (latest or a KV version); secrets access only."""
        self._require_secrets()
        cached = self._data_cache.get((path, version))
        if cached is not None:
            return cached
        params = {"version": version} if version else None
        try:
            resp = self._call(
                lambda: self.client.adapter.get(self._url("data", path), params=params),
                self.layout.api("data", path),
                "read",
            )
        except NotFound:
            return None
        data = (resp.get("data") or {}).get("data")
        if not isinstance(data, dict):
            return None
        self._data_cache[(path, version)] = data
        return data

    def _touched(self, path: str) -> None:
        """A write went to `path`: what `list_meta` knew of it is history now."""
        self._known.pop(path, None)
        for (_, base), found in self._walked.items():
            if _under(path, base):
                found.add(path)

    def _forget(self, path: str) -> None:
        self._peeked.pop(path, None)
        self._touched(path)
        for k in [k for k in self._data_cache if k[0] == path]:
            del self._data_cache[k]

    def _write_data(self, st: PathState, fields: dict[str, str | None]) -> int:
        """One KV write with check-and-set on the path's current version; returns the new version.

        Check-and-set makes the write safe to resend after a lost answer (a leader
        killed after committing): the resend fails the check instead of adding a
        version, and `_write_path` then recognises its own write (`_landed`).
        """
        self._require_secrets()
        what = self.layout.api("data", st.path)
        body = {"options": {"cas": st.kv}}
        url = self._url("data", st.path)
        if st.kv and st.latest_readable():
            patch = {**body, "data": fields}
            merge = "application/merge-patch+json"
            resp = self._call(
                lambda: self._send(
                    "PATCH", url, patch,
                    lambda: self.client.adapter.request("PATCH", url, json=patch, headers={"Content-Type": merge}),
                    content_type=merge,
                ),
                what,
                "patch",
            )
        else:
            create = {**body, "data": {k: v for k, v in fields.items() if v is not None}}
            resp = self._call(
                lambda: self._send("POST", url, create, lambda: self.client.adapter.post(url, json=create)),
                what,
                "create",
            )
        self._forget(st.path)
        return int(resp["data"]["version"])

    def _write_meta(self, path: str, custom: dict[str, str], mv: int | None) -> None:
        self._peeked.pop(path, None)
        self._peek_groups[1].pop(path, None)
        self._touched(path)
        payload: dict[str, Any] = {"custom_metadata": custom}
        # A creation always says "must not exist" (servers without metadata check-and-set ignore it).
        if mv is not None and (self._meta_cas or mv == 0):
            payload["metadata_cas"] = mv
        if self._max_versions is not None:
            payload["max_versions"] = self._max_versions
        url = self._url("metadata", path)
        self._call(
            lambda: self._send("POST", url, payload, lambda: self.client.adapter.post(url, json=payload)),
            self.layout.api("metadata", path),
            "update",
        )

    def _save(self, st: PathState, record: PathRecord) -> None:
        if st.group is not None:
            self._save_grouped(st.group, [PendingRecord(st, record, [], record.kv, [])], None, merge=False)
            return
        self._save_path(st, record)

    def _save_path(self, st: PathState, record: PathRecord) -> None:
        where = f"{self.name}:{self.layout.api('metadata', st.path)}"
        while True:
            try:
                main = encode_record(record, st.foreign, where)
                break
            except StoreError:
                # Too many versions for one path: the oldest superseded ones go to a history page.
                if not record.archive_oldest(400):
                    raise
        # Pages first, the path last: until the path's header counts a page, readers ignore it.
        for page in range(record.pages):
            custom = encode_record(record, {}, self._page_path(st.path, page), page)
            if custom != st.page_custom.get(page):
                self._write_meta(self._page_path(st.path, page), custom, None)
                st.page_custom[page] = custom
        self._write_meta(st.path, main, st.mv)

    def _save_grouped(self, gpath: str, items: list[PendingRecord], gs: GroupState | None, *, merge: bool) -> None:
        """Save the records of paths of one group in one metadata write (check-and-set).

        Another writer may have saved the document meanwhile: entries of other paths are
        kept as they are now; an entry of ours that changed since we read it is merged
        (`merge`: our new rows go on top of theirs) or, for a single change, reported as
        CasMismatch so the caller re-reads. When the document is full, these records go
        to their paths' own custom_metadata instead (which readers prefer).
        """
        where = f"{self.name}:{self.layout.api('metadata', gpath)}"
        for _ in range(ATTEMPTS):
            if gs is None:
                try:
                    gs = self._load_group(gpath)
                except PermissionDenied:
                    self._save_on_paths(items, merge=merge)  # an identity from before group records
                    return
            entries = entries_to_save(gs, items, where, merge=merge)
            try:
                custom = encode_group(entries, gs.foreign, where)
            except StoreError:
                self._save_on_paths(items, merge=merge)  # the group is full
                return
            try:
                self._write_meta(gpath, custom, gs.mv if gs.exists else 0)
            except CasMismatch:
                gs = None
                continue
            except PermissionDenied:
                # A namespace admin whose policy predates group records may still write its paths.
                self._save_on_paths(items, merge=merge)
                return
            gs.exists, gs.mv, gs.entries = True, gs.mv + 1, entries
            for item in items:
                item.st.base_entry = entries[item.st.rel]
            return
        raise ConflictError(f"{self.layout.api('metadata', gpath)}: too many concurrent metadata writers")

    def _save_on_paths(self, items: list[PendingRecord], *, merge: bool) -> None:
        """The records go to their paths' own custom_metadata (which readers prefer)."""
        for item in items:
            item.st.group = None
            if merge:
                self._commit_meta(item.st, item.record, item.rows, item.kv)
            else:
                self._save_path(item.st, item.record)

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

    # --- metadata ---------------------------------------------------------------------------

    def notices(self) -> list[str]:
        """Things a report should mention (paths written outside warden)."""
        return list(dict.fromkeys(self._notices))

    def namespaces(self, env: str) -> set[str]:
        """Namespaces with a path (or marker) in `env`: the template guides the listing down to its
        namespace segment (one LIST for the named layouts, one more per instance folder)."""
        t = self.layout.template
        fixed = len(self.layout.list_root(env).split("/")) if self.layout.list_root(env) else 0
        level = [self.layout.list_root(env)]
        for part in t.parts[fixed : t.namespace_index]:
            below: list[str] = []
            for base in level:
                if part.name == "instance":  # optional: the shared copy has no such segment
                    below.append(base)
                    below += [join(base, e) for e in self._list(base) if e.startswith("@") and e.endswith("/")]
                else:
                    below.append(join(base, part.render({"env": env})))
            level = below
        out = set()
        for base in level:
            for entry in self._list(base):
                m = self.layout.match(env, join(base, entry))
                if m is not None:
                    out.add(m.namespace)
        return out

    def _walk(self, base: str, depth: int = 0) -> list[str]:
        """Every leaf under `base`; warden's own metadata is skipped."""
        leaves: list[str] = []
        for entry in self._list(base):
            path = join(base, entry)
            if entry.endswith("/"):
                if path != self.layout.warden_base and depth < 8:
                    leaves += self._walk(path, depth + 1)
            else:
                leaves.append(path)
        return leaves

    def _envs(self) -> list[str]:
        listing = self.layout.env_listing()
        if listing is None:  # no {env} segment to list: the environments the contract names
            return list(self.layout.envs)
        return [e.rstrip("/") for e in self._list(listing) if e.endswith("/") and not e.startswith(("_", "@"))]

    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        out = self._snapshot(env)
        if namespace is not None:
            out = [m for m in out if m.slot.namespace == namespace]
        return iter(out)

    def _snapshot(self, env: str | None) -> list[KeyMeta]:
        """Every key of `env` (None: all), sorted. A report asks for it several times in one command
        (status, then isolation's fingerprints): a metadata reader reuses a fresh listing instead
        of reading every path again. Writers always read afresh."""
        import time

        if self.access == "metadata":
            for scope in (env, None):
                hit = self._snapshots.get(scope)
                if hit is not None and time.monotonic() - hit[0] < SNAPSHOT_SECONDS:
                    return [m for m in hit[1] if env is None or m.slot.env == env]
        out = self._read_all(env)
        if self.access == "metadata":
            self._snapshots[env] = (time.monotonic(), out)
        return list(out)

    def _read_all(self, env: str | None) -> list[KeyMeta]:
        out: list[KeyMeta] = []
        for e in [env] if env is not None else self._envs():
            base = self.layout.list_root(e)
            paths = [p for p in self._walk(base) if self.layout.owns(e, p)]
            keep = self.access == "secrets"  # a writer reads first; reports keep nothing
            if keep:
                self._walked[(e, base)] = set(paths)
            states = []
            for res, err in self._fan_out(lambda p: self._load(p, attach=False), paths):
                if err is not None:
                    raise err
                assert res is not None
                states.append(res)
            groups = self._read_groups(e, base, states, keep)
            for res in states:
                self._attach(res, groups)
                if keep:
                    self._known[res.path] = res
                out += self._metas_of(e, res)
        out.sort(key=lambda m: (m.slot.env, m.slot.namespace, m.slot.instance or "", m.slot.key))
        return out

    def _read_groups(self, env: str, base: str, states: list[PathState], keep: bool) -> dict[str, GroupState]:
        """The group documents the paths just read need (each read once); a writer also reads
        every group document of the environment and remembers which exist, for its writes."""
        if not self.layout.template.key_in_path:
            return {}
        wanted = {g[0] for st in states if st.record is None and st.exists and (g := group_of(self.layout, st.path))}
        if keep:
            root = join(self.layout.warden_base, "keys", base)
            found = set(self._walk(root)) if not self.assume_empty else set()
            self._groups_walked[root] = found
            wanted |= found
        groups: dict[str, GroupState] = {}
        for gs, err in self._fan_out(self._load_group, sorted(wanted)):
            if err is not None:
                raise err
            assert gs is not None
            groups[gs.path] = gs
        if keep:
            self._known_groups.update(groups)
        return groups

    def _metas_of(self, env: str, st: PathState) -> list[KeyMeta]:
        if st.record is not None:
            if st.kv > st.record.kv:
                self._notices.append(
                    f"{self.layout.api('data', st.path)} changed outside warden since its last recorded write"
                )
            return [rec.key_meta(env) for rec in st.record.fields.values() if rec.versions]
        if st.kv == 0:
            return []
        slot = self.layout.parse_foreign(env, st.path)
        if slot is None and self._names_from_values:
            return self._names_read_from_values(env, st)
        if slot is None:
            self._notices.append(
                f"{self.layout.api('data', st.path)} was written outside warden: its field names are not in its metadata"
            )
            return []
        return [self._foreign_meta(slot, st)]

    def _names_read_from_values(self, env: str, st: PathState) -> list[KeyMeta]:
        """Field names of a path written outside warden, learned by reading its latest data.

        Only with `read_values_for_names` (`warden status --read-values-for-names`):
        the values are dropped at once, never cached, and counted in `stats.values_read`.
        """
        where = self.layout.parse_namespace(env, st.path)
        if where is None or not st.latest_readable():
            return []
        try:
            resp = self._call(
                lambda: self.client.adapter.get(self._url("data", st.path)), self.layout.api("data", st.path), "read"
            )
        except NotFound:
            return []
        names = sorted(((resp.get("data") or {}).get("data") or {}).keys())
        del resp
        self.stats.values_read += len(names)
        self._notices.append(
            f"{self.layout.api('data', st.path)} was written outside warden: its {len(names)} field name(s) "
            "were learned by reading its values (--read-values-for-names)"
        )
        info = st.versions.get(st.kv, {})
        version = VersionMeta(
            version=st.kv,
            created_at=parse_time(str(info.get("created_time", ""))) or _utcnow(),
            source="external",
        )
        return [KeyMeta(SlotRef(env, where[0], name, where[1]), (version,)) for name in names]

    def _foreign_meta(self, slot: SlotRef, st: PathState) -> KeyMeta:
        versions = []
        for n in sorted(st.versions):
            info = st.versions[n]
            versions.append(
                VersionMeta(
                    version=n,
                    created_at=parse_time(str(info.get("created_time", ""))) or _utcnow(),
                    created_by="",
                    source="external",
                    deleted_at=parse_time(str(info.get("deletion_time") or "")),
                    destroyed=bool(info.get("destroyed")),
                )
            )
        return KeyMeta(slot, tuple(versions))

    def _peek(self, path: str) -> PathState:
        """A metadata read shared by the lookups of one moment (`run` checks then reads each key).

        Never used by writes, which always read afresh; any write through this store drops it.
        """
        import time

        hit = self._peeked.get(path)
        now = time.monotonic()
        if hit is not None and now - hit[0] < PEEK_SECONDS:
            return hit[1]
        if now - self._peek_groups[0] >= PEEK_SECONDS:
            self._peek_groups = (now, {})  # group documents shared by the lookups of one moment
        st = self._load(path, self._peek_groups[1])
        self._peeked[path] = (time.monotonic(), st)
        return st

    def key_meta(self, slot: SlotRef) -> KeyMeta | None:
        loc = self.layout.locate(slot)
        st = self._peek(loc.path)
        rec = st.record.fields.get(loc.field) if st.record else None
        if rec is not None:
            return rec.key_meta(slot.env) if rec.versions else None
        if st.record is None and st.kv and self.layout.parse_foreign(slot.env, st.path) == slot:
            return self._foreign_meta(slot, st)
        return None

    def _state_for_write(self, path: str) -> PathState:
        """The path's metadata: as `list_meta` just read it (or found it absent), else read now."""
        known = self._known.pop(path, None)
        if known is not None:
            return known
        for (env, base), found in self._walked.items():
            if _under(path, base) and path not in found and self.layout.owns(env, path):
                st = PathState(path)
                self._attach(st, self._groups_for_write(path))
                return st
        return self._load(path, self._groups_for_write(path))

    def _groups_for_write(self, path: str) -> dict[str, GroupState]:
        """The group documents `list_meta` read, plus the one of `path` when a listing showed
        that it does not exist (so it is created without being read)."""
        where = group_of(self.layout, path)
        if where is not None:
            note_absent(where[0], self._known_groups, self._groups_walked)
        return self._known_groups

    def _denied_state(self) -> tuple[PathState, set[str]]:
        st = self._load(join(self.layout.warden_base, "denied"))
        doc = decode_doc(st.custom, "denied fingerprints") if st.exists else None
        return st, set((doc or {}).get("fp", []))

    def denied_fingerprints(self) -> set[str]:
        return self._denied_state()[1]

    def close(self) -> None:
        self._data_cache.clear()
        self._peeked.clear()
        self._peek_groups = (0.0, {})
        self._known.clear()
        self._known_groups.clear()
        self._groups_walked.clear()
        self._walked.clear()
        self._snapshots.clear()
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.adapter.close()
                self._client = None
            if self._fast_http is not None:
                self._fast_http.close()
                self._fast_http = None
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    # --- values -----------------------------------------------------------------------------

    def fingerprint(self, value: SecretValue) -> str:
        return keyed_fingerprint(self._fingerprint, value)

    def read(self, slot: SlotRef, version: int | None = None) -> SecretValue:
        self._require_secrets()
        loc = self.layout.locate(slot)
        st = self._peek(loc.path)
        rec = st.record.fields.get(loc.field) if st.record else None
        which = f" version {version}" if version is not None else ""
        missing = SecretNotFound(f"{slot.label()}{which}: no live value in store `{self.name}`")
        if rec is None:
            if st.record is None and st.kv and self.layout.parse_foreign(slot.env, st.path) == slot:
                found = self._data(loc.path, version) or {}
                value = found.get(loc.field, next(iter(found.values())) if len(found) == 1 else None)
                if isinstance(value, str):
                    self.stats.values_read += 1
                    return SecretValue(value)
            raise missing
        cur = rec.current
        row = cur if version is None else rec.version(version)
        if row is None or not row.live:
            raise missing
        data = self._data(loc.path, None if row is cur else row.kv)
        value = (data or {}).get(loc.field)
        if not isinstance(value, str):
            raise SecretNotFound(
                f"{slot.label()}{which}: the value is gone from {self.layout.api('data', loc.path)} "
                "(changed, pruned or destroyed outside warden)"
            )
        self.stats.values_read += 1
        return SecretValue(value)

    def ensure_namespace(self, env: str, namespace: str) -> bool:
        self._require_secrets()
        path = self.layout.namespace_path(env, namespace)
        st = self._state_for_write(path)
        if st.exists:
            return False
        try:
            self._write_meta(path, encode_record(PathRecord(), {}, path), 0)
        except CasMismatch:
            return False
        return True

    # --- writing ------------------------------------------------------------------------------

    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        try:
            return self._write_many(requests, actor)
        finally:
            # Group records read for this write are history once it is done (like `_known`):
            # a later write reads its group afresh.
            self._known_groups.clear()
            self._groups_walked.clear()

    def _write_many(self, requests: list[WriteRequest], actor: str | None) -> list[WriteResult]:
        self._require_secrets()
        who = actor or current_user()
        denied = self.denied_fingerprints() if requests else set()
        if requests:
            self._guard_fingerprint_key(requests, denied)
            # Load (or create) the fingerprint key here, once, not racing in the worker threads.
            self.fingerprint(requests[0].value)
            self._learn_meta_cas()
        self._one_env_only(requests)
        results: list[WriteResult | None] = [None] * len(requests)
        # Two writes of one slot in a batch go in successive rounds, so each is a KV version.
        rounds: list[dict[str, list[tuple[int, WriteRequest, Location]]]] = []
        seen: dict[SlotRef, int] = {}
        for i, req in enumerate(requests):
            r = seen.get(req.slot, -1) + 1
            seen[req.slot] = r
            while len(rounds) <= r:
                rounds.append({})
            loc = self.layout.locate(req.slot)
            rounds[r].setdefault(loc.path, []).append((i, req, loc))
        done: list[WriteResult] = []
        for rnd in rounds:
            groups = list(rnd.items())
            # Validate every path before writing any, so a refused write changes nothing.
            states = self._fan_out(lambda g: self._prepare(self._state_for_write(g[0]), g[1], who, denied), groups)
            for _, err in states:
                if err is not None:
                    self._raise(err, done)
            pending: list[PendingRecord] = []

            def write(pair: Any, out: list[PendingRecord] = pending) -> list[WriteResult]:
                return self._write_path(pair[0][1], who, denied, pair[1], out)

            outcome = self._fan_out(write, [(g, s[0]) for g, s in zip(groups, states, strict=True)])
            failure, unrecorded = self._save_pending(pending)
            for (_, items), (res, err) in zip(groups, outcome, strict=True):
                if err is not None:
                    failure = failure or err
                    continue
                assert res is not None
                for (i, _, _), wr in zip(items, res, strict=True):
                    if i in unrecorded:
                        continue
                    results[i] = wr
                    done.append(wr)
            if failure is not None:
                self._raise(failure, done)
        self.stats.values_written += len(done)
        return [r for r in results if r is not None]

    def _save_pending(self, pending: list[PendingRecord]) -> tuple[BaseException | None, set[int]]:
        """One metadata write per group for the paths a bulk write put there; (the first failure,
        the requests whose data landed but whose record did not)."""
        by_group: dict[str, list[PendingRecord]] = {}
        for item in pending:
            assert item.st.group is not None
            by_group.setdefault(item.st.group, []).append(item)
        saved = self._fan_out(
            lambda pair: self._save_grouped(pair[0], pair[1], self._known_groups.get(pair[0]), merge=True),
            list(by_group.items()),
        )
        failure: BaseException | None = None
        unrecorded: set[int] = set()
        for (_, items), (_, err) in zip(by_group.items(), saved, strict=True):
            if err is not None:
                failure = failure or err
                unrecorded.update(i for item in items for i in item.indices)
        return failure, unrecorded

    def _learn_meta_cas(self) -> None:
        """Group documents are shared by many paths: they are written only where the server
        checks-and-sets metadata (OpenBao). A store that read nothing yet asks once."""
        if self._group_writes and self._meta_cas is None:
            self._load_path(join(self.layout.warden_base, "fingerprint-key"))
            if not self._meta_cas:
                self._group_writes = False
                for st in self._known.values():
                    if st.base_entry is None and st.record is None:
                        st.group = None  # attached while group writes were still expected

    def _one_env_only(self, requests: list[WriteRequest]) -> None:
        """A template without {env} holds one environment: refuse a second one (a migration into
        a store the contract does not route yet would otherwise merge two environments)."""
        if self.layout.template.has("env"):
            return
        envs = set(self.layout.envs) | self._envs_written | {r.slot.env for r in requests}
        if len(envs) > 1:
            raise UsageError(
                f"store `{self.name}` has no {{env}} in its path template ({self.layout.describe()}): "
                f"it holds one environment, not {', '.join(sorted(envs))}",
                hint="write one environment into it (`warden migrate --env E`), or add {env} to its `path`",
            )
        self._envs_written |= envs

    def _guard_fingerprint_key(self, requests: list[WriteRequest], denied: set[str]) -> None:
        """Refuse a lost or different fingerprint key (issue 21.3); record the key's id once.

        The id sits in the custom metadata of `<warden base>/fingerprint-key`. A store
        from before the record proves the key on the slots being written (one read)
        when it has denied fingerprints to protect; otherwise the key is recorded as is.
        """
        if self._fp_key_checked or self._fingerprint is None:
            return
        path = join(self.layout.warden_base, "fingerprint-key")
        try:
            st = self._load(path)
        except PermissionDenied:
            return  # an identity from before this path was in the admin policy: re-run bootstrap
        recorded = st.custom.get("id") if st.exists else None
        has_fps = recorded is not None or bool(denied)
        to_record = check_fingerprint_key(self.name, recorded, self._fingerprint, has_fingerprints=has_fps)
        if to_record is not None:
            metas = [m for m in (self.key_meta(r.slot) for r in requests[:20]) if m is not None]
            prove_fingerprint_key(self, metas)
        if recorded is None:
            to_record = to_record or fingerprint_key_id_of(self._fingerprint)
            if to_record is not None:
                # A writer without access to warden's base path (a scoped identity) still writes:
                # the record is made by the next identity that may.
                with contextlib.suppress(CasMismatch, PermissionDenied):
                    self._write_meta(path, {"id": to_record}, 0)
        self._fp_key_checked = True

    @staticmethod
    def _raise(err: BaseException, done: list[WriteResult]) -> None:
        if isinstance(err, CasMismatch):
            err = ConflictError(f"a concurrent writer kept changing the store ({err})")
        if done and isinstance(err, WardenError):
            raise PartialWrite(err, list(done)) from None
        raise err

    def _prepare(
        self, st: PathState, items: list[tuple[int, WriteRequest, Location]], who: str, denied: set[str]
    ) -> tuple[PathState, PathRecord, list[tuple[str, FieldVersion]]]:
        """Check reuse and check-and-set for one path; the rows a write would add."""
        record = st.record or PathRecord()
        if st.kv > record.kv:
            self._adopt(st, record, items)
            self._keep_adopted(st, record)
        rows: list[tuple[str, FieldVersion]] = []
        for _, req, loc in items:
            rec = record.fields.get(loc.field)
            slot = req.slot
            if rec is not None and (rec.namespace, rec.key, rec.instance) != (slot.namespace, slot.key, slot.instance):
                raise ConflictError(
                    f"{slot.label()}: field `{loc.field}` of {self.layout.api('data', loc.path)} "
                    f"already holds {rec.slot(slot.env).label()}"
                )
            newest = rec.newest if rec else 0
            if req.cas is not None and req.cas != newest:
                raise ConflictError(
                    f"{slot.label()}: expected version {req.cas}, found {newest} (written concurrently)"
                )
            fp = self.fingerprint(req.value)
            refuse_reuse(slot, fp, rec.key_meta(slot.env) if rec else None, denied)
            rows.append(
                (
                    loc.field,
                    FieldVersion(
                        n=newest + 1,
                        kv=st.kv + 1,
                        t=to_us(self._clock()),
                        by=who,
                        src=req.source,
                        fp=fp,
                        stamp=req.stamp,
                    ),
                )
            )
        return st, record, rows

    def _adopt(self, st: PathState, record: PathRecord, items: list[tuple[int, WriteRequest, Location]]) -> None:
        """Record fields written outside warden (read from the latest data) before writing."""
        data = self._data(st.path, None) if st.latest_readable() else {}
        when = st.created_us(st.kv) or to_us(self._clock())
        for name, value in (data or {}).items():
            if not isinstance(value, str):
                continue
            self.stats.values_read += 1
            fp = self.fingerprint(SecretValue(value))
            rec = record.fields.get(name)
            if rec is None:
                like = next((req.slot for _, req, loc in items if loc.field == name), items[0][1].slot)
                key = name if like.key != name and like.namespace == items[0][1].slot.namespace else like.key
                rec = record.fields[name] = FieldRecord(like.namespace, key, like.instance)
            cur = rec.current
            if cur is None or cur.fp != fp:
                rec.versions.append(FieldVersion(rec.newest + 1, st.kv, when, "", "external", fp))
        for name, rec in record.fields.items():
            cur = rec.current
            if cur is not None and name not in (data or {}):
                cur.deleted = when
        record.kv = st.kv

    def _keep_adopted(self, st: PathState, record: PathRecord) -> None:
        """Save adopted versions at once, so a write refused next does not drop them.

        Typically the values of a warden run that died between its KV write and its
        metadata write: without this, every later run would see them as missing.
        """
        try:
            self._save(st, record)
        except CasMismatch:
            return  # another writer saved meanwhile; this write's own checks re-read
        if st.group is None:
            st.mv = self._load_path(st.path).mv

    def _write_path(
        self,
        items: list[tuple[int, WriteRequest, Location]],
        who: str,
        denied: set[str],
        prepared: tuple[PathState, PathRecord, list[tuple[str, FieldVersion]]] | None,
        pending: list[PendingRecord] | None = None,
    ) -> list[WriteResult]:
        """Write one path's data and record it; a record kept in a group document is appended
        to `pending` (saved with the rest of its group by the caller) when given."""
        path = items[0][2].path
        for _ in range(ATTEMPTS):
            if prepared is None:
                prepared = self._prepare(self._load(path), items, who, denied)
            st, record, rows = prepared
            prepared = None
            fields: dict[str, str | None] = {loc.field: req.value.reveal() for _, req, loc in items}
            try:
                new_kv = self._write_data(st, fields)
            except CasMismatch:
                landed = self._landed(st, fields)
                if landed is None:
                    continue  # someone wrote the path meanwhile: re-read and check again
                st, new_kv = landed
            created = []
            for (fname, row), (_, req, _) in zip(rows, items, strict=True):
                row.kv = new_kv
                rec = record.fields.get(fname)
                if rec is None:
                    rec = record.fields[fname] = FieldRecord(req.slot.namespace, req.slot.key, req.slot.instance)
                created.append(not rec.versions)
                rec.versions.append(row)
            record.kv = new_kv
            if st.group is None:
                self._commit_meta(st, record, rows, new_kv)
            elif pending is not None:
                pending.append(PendingRecord(st, record, rows, new_kv, [i for i, _, _ in items]))
            else:
                self._save_grouped(st.group, [PendingRecord(st, record, rows, new_kv, [])], None, merge=True)
            return [
                WriteResult(req.slot, row.n, c) for (_, req, _), (_, row), c in zip(items, rows, created, strict=True)
            ]
        raise ConflictError(f"{self.layout.api('data', path)}: too many concurrent writers, gave up")

    def _landed(self, st: PathState, fields: dict[str, str | None]) -> tuple[PathState, int] | None:
        """After a check-and-set failure: did our own earlier attempt commit (answer lost)?

        Only the version right after the one we checked against can be ours, and
        only if it holds exactly the values we sent; then the write is done and
        just its metadata is missing. Otherwise a concurrent writer won.
        """
        import hmac

        fresh = self._load(st.path)
        if fresh.kv != st.kv + 1 or (fresh.record is not None and fresh.record.kv > st.kv):
            return None
        data = self._data(st.path, fresh.kv) or {}
        for name, value in fields.items():
            found = data.get(name)
            if value is None:
                if found is not None:
                    return None
            elif not isinstance(found, str) or not hmac.compare_digest(found.encode(), value.encode()):
                return None
        with self._lock:
            self.reclaimed += 1
        return fresh, fresh.kv

    def _commit_meta(self, st: PathState, record: PathRecord, rows: list[tuple[str, FieldVersion]], new_kv: int) -> None:
        """Save the record; when another writer saved meanwhile, merge our rows into theirs."""
        for _ in range(ATTEMPTS):
            try:
                self._save_path(st, record)
                return
            except CasMismatch:
                st = self._load(st.path)
                record = merged(st.record or PathRecord(), record, rows, new_kv)
        raise ConflictError(f"{self.layout.api('metadata', st.path)}: too many concurrent metadata writers")

    # --- deleting -----------------------------------------------------------------------------------

    def _field(self, slot: SlotRef) -> tuple[PathState, PathRecord, FieldRecord, Location]:
        self._require_secrets()
        loc = self.layout.locate(slot)
        st = self._load(loc.path)
        rec = st.record.fields.get(loc.field) if st.record else None
        if st.record is None or rec is None or not rec.versions:
            raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
        return st, st.record, rec, loc

    def _chosen(self, slot: SlotRef, rec: FieldRecord, versions: Iterable[int] | None) -> list[FieldVersion]:
        if versions is None:
            cur = rec.current
            return [cur] if cur else []
        rows = []
        for n in versions:
            row = rec.version(n)
            if row is None:
                raise SecretNotFound(f"{slot.label()}: no version {n}")
            rows.append(row)
        return rows

    def _sync_current(self, st: PathState, record: PathRecord, rec: FieldRecord, loc: Location, before: FieldVersion | None) -> PathState:
        """Make the latest KV data hold the key's current version (what consumers read)."""
        while True:
            cur = rec.current
            if cur is before:
                return st
            value: str | None = None
            if cur is not None:
                data = self._data(loc.path, cur.kv) or {}
                found = data.get(loc.field)
                if not isinstance(found, str):
                    cur.destroyed = True  # its KV version was pruned or destroyed
                    continue
                self.stats.values_read += 1
                value = found
            new_kv = self._write_data(st, {loc.field: value})
            if cur is not None:
                cur.kv = new_kv
            record.kv = new_kv
            st.kv = new_kv
            st.versions[new_kv] = {}
            return st

    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        st, record, rec, loc = self._field(slot)
        before = rec.current
        rows = self._chosen(slot, rec, versions)
        now = to_us(self._clock())
        for row in rows:
            row.deleted = row.deleted or now
        self._sync_current(st, record, rec, loc, before)
        self._save(st, record)
        return [r.n for r in rows]

    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        st, record, rec, loc = self._field(slot)
        before = rec.current
        if versions is None:
            deleted = [v.n for v in rec.versions if v.deleted and not v.destroyed]
            versions = deleted[-1:]
        rows = self._chosen(slot, rec, versions)
        for row in rows:
            if not row.destroyed:
                row.deleted = 0
        self._sync_current(st, record, rec, loc, before)
        self._save(st, record)
        return [r.n for r in rows]

    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        st, record, rec, loc = self._field(slot)
        before = rec.current
        rows = self._chosen(slot, rec, versions)
        for row in rows:
            row.destroyed = True
        st = self._sync_current(st, record, rec, loc, before)
        # KV destroys whole versions of the path: find every one still holding a destroyed value.
        gone = {r.fp for r in rows if r.fp}
        doomed = []
        for kv in sorted(st.versions):
            info = st.versions[kv]
            if kv == st.kv or info.get("destroyed") or kv < st.oldest:
                continue
            data = self._data(loc.path, kv) or {}
            value = data.get(loc.field)
            if isinstance(value, str):
                self.stats.values_read += 1
                if self.fingerprint(SecretValue(value)) in gone:
                    doomed.append(kv)
        if doomed:
            self._call(
                lambda: self.client.adapter.post(self._url("destroy", loc.path), json={"versions": doomed}),
                self.layout.api("destroy", loc.path),
                "update",
            )
            self._forget(loc.path)
            for other in record.fields.values():
                for v in other.versions:
                    if v.kv in doomed and v is not other.current:
                        v.destroyed = True
        self._save(st, record)
        return [r.n for r in rows]

    # --- compromise -----------------------------------------------------------------------------------

    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        st, record, rec, _ = self._field(slot)
        rec.compromised = to_us(at)
        self._save(st, record)
        fps = {v.fp for v in rec.versions if v.fp}
        for _ in range(ATTEMPTS):
            dst, denied = self._denied_state()
            if fps <= denied:
                return
            doc = {"fp": sorted(denied | fps)}
            custom = encode_doc(doc, f"fingerprints={len(doc['fp'])}", dst.foreign, "denied fingerprints")
            try:
                self._write_meta(dst.path, custom, dst.mv if dst.exists else 0)
                return
            except CasMismatch:
                continue
        raise ConflictError("denied fingerprints: too many concurrent writers")

    def clear_compromised(self, slot: SlotRef) -> None:
        st, record, rec, _ = self._field(slot)
        rec.compromised = 0
        self._save(st, record)

    # --- access provisioning (see access.py) -------------------------------------------------------

    def render_access(self, request: AccessRequest) -> dict[str, str]:
        from secretwarden.stores.vault.access import render_policies

        return render_policies(self.layout, request)

    def provision_access(self, request: AccessRequest, *, apply: bool) -> AccessReport:
        from secretwarden.stores.vault.access import provision

        if apply:
            self._require_secrets()
        return provision(self, request, apply=apply)

    # Set by backend.py from the `kubernetes_auth` option (None: bootstrap leaves Kubernetes auth alone).
    kubernetes_auth: KubernetesAuthSettings | None = None

    def provision_machine_auth(self, request: MachineAuthRequest, *, apply: bool) -> MachineAuthReport:
        """Direct-Vault AppRoles and their stored credentials, and the Kubernetes auth roles (k8s-chain)."""
        from secretwarden.stores.vault.machine_auth import provision_machine_auth

        if apply:
            self._require_secrets()
        return provision_machine_auth(self, request, apply=apply, settings=self.kubernetes_auth, root=self._root)

    def shared_journal(self) -> VaultJournal:
        """The project's rotation log and incident register under `_warden/journal` (vault/journal.py)."""
        from secretwarden.stores.vault.journal import VaultJournal

        return VaultJournal(self)

    def remote_ref(self, slot: SlotRef) -> tuple[str, str]:
        """(remoteRef.key, property) for External Secrets: the path under the mount and the field."""
        loc = self.layout.locate(slot)
        return loc.path, loc.field

    def issue_credentials(self, role: str) -> dict[str, SecretValue]:
        """AppRole role id and a new secret id (`bootstrap --approles --reveal`)."""
        self._require_secrets()
        base = f"auth/approle/role/{role}"
        role_id = self._call(lambda: self.client.adapter.get(f"/v1/{base}/role-id"), f"{base}/role-id", "read")
        secret = self._call(
            lambda: self.client.adapter.post(f"/v1/{base}/secret-id"), f"{base}/secret-id", "update", idempotent=False
        )
        return {
            "role_id": SecretValue(str(role_id["data"]["role_id"])),
            "secret_id": SecretValue(str(secret["data"]["secret_id"])),
        }

