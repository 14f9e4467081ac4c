"""The Vault store's reading layer: a path's metadata (never its data) with its record, from its
own custom_metadata or its group document; listings of every key for reports; lookups shared by
one moment (`run` checks then reads); and values, for secrets access only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secretwarden.errors import (
    IntegrityError,
    PermissionDenied,
    SecretNotFound,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    KeyMeta,
    SecretValue,
    VersionMeta,
    keyed_fingerprint,
)
from secretwarden.stores.vault.errors import NotFound
from secretwarden.stores.vault.groups import (
    GroupState,
    group_of,
    group_state,
    take_entry,
)
from secretwarden.stores.vault.layout import join
from secretwarden.stores.vault.meta import (
    PathRecord,
    decode_doc,
    decode_record,
    foreign_keys,
)
from secretwarden.stores.vault.path_state import PathState, parse_time
from secretwarden.stores.vault.transport import VaultTransport, _utcnow

PEEK_SECONDS = 1.0
SNAPSHOT_SECONDS = 5.0  # how long a metadata reader reuses a listing of every key (one command)


class VaultReader(VaultTransport):
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
            if st.record.kv > st.kv:
                st.record.drop_unlanded(st.kv)  # saved ahead of a value that never landed
                st.record_ahead = True
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
        url = self._url("metadata", path) + "/"
        try:
            # Over the lean transport like the metadata reads: a per-key store lists every namespace folder.
            resp = self._call(
                lambda: self._send("LIST", url, None, lambda: self.client.adapter.request("LIST", url)),
                self.layout.api("metadata", path),
                "list",
            )
        except NotFound:
            return []
        keys: list[str] = ((resp or {}).get("data") or {}).get("keys") or []
        return keys

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

    def _denied_state(self) -> tuple[PathState, set[str]]:
        st = self._load(join(self.layout.warden_base, "denied"))
        doc = decode_doc(st.custom, "denied fingerprints") if st.exists else None
        return st, set((doc or {}).get("fp", []))

    def denied_fingerprints(self) -> set[str]:
        return self._denied_state()[1]

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
