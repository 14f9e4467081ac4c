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

The class is built in layers, one module each: transport.py (client, retries,
failover, fan-out) -> reading.py (metadata, listings, values) -> path_writes.py
(one path's data and record) -> bulk_write.py (`write_many`) -> this module
(`VaultStore`: deletes, compromise marks, provisioning, credentials).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from secretwarden.errors import (
    ConflictError,
    SecretNotFound,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    AccessReport,
    AccessRequest,
    SecretValue,
)
from secretwarden.stores.machine_auth import MachineAuthReport, MachineAuthRequest
from secretwarden.stores.vault.bulk_write import BulkWriter
from secretwarden.stores.vault.errors import CasMismatch
from secretwarden.stores.vault.kubernetes_auth import KubernetesAuthSettings
from secretwarden.stores.vault.layout import Location
from secretwarden.stores.vault.meta import (
    FieldRecord,
    FieldVersion,
    PathRecord,
    encode_doc,
    to_us,
)
from secretwarden.stores.vault.path_state import PathState
from secretwarden.stores.vault.path_writes import ATTEMPTS

if TYPE_CHECKING:
    from secretwarden.stores.vault.journal import VaultJournal


class VaultStore(BulkWriter):
    backend = "vault"
    # Bootstrap hands this many writes to one write_many: one fan-out over every path, so the
    # server sees steady concurrency instead of a pause between batches.
    write_batch_size = 50_000

    def __repr__(self) -> str:
        return f"VaultStore(name={self.name!r}, address={self.connection.address!r}, access={self.access!r})"

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
