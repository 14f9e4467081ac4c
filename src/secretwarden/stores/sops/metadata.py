"""A SOPS store's metadata: the sidecars and the store state, read and signed.

The part of `SopsStore` that needs no value: key names from the encrypted
files, warden's per-key metadata from the clear-text sidecars, the store state
(`.warden-sops.json`), and their signatures (sealing.py) and rollback marks
(rollback.py). `store.SopsStore` adds values and writes on top of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.errors import IntegrityError, MasterKeyError
from secretwarden.paths import write_atomic
from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta, StoreStats, check_fingerprint_key
from secretwarden.stores.sops.files import (
    STATE_FILE,
    FileUnit,
    FileView,
    SopsLayout,
    dump_json_doc,
    load_json_doc,
    read_view,
    sidecar_path,
    stat_key,
)
from secretwarden.stores.sops.records import Record, merged_records, parse_ts, version_meta
from secretwarden.stores.sops.rollback import HighWater, bump, generation
from secretwarden.stores.sops.sealing import MAC_LABEL, SIDECAR, STATE, is_sealed, seal, verifies

if TYPE_CHECKING:
    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.stores.sops.journal import SopsJournal

Access = Literal["metadata", "secrets"]


class SopsMetadata:
    """Reading and signing a SOPS store's metadata (the attributes are set by `SopsStore.__init__`)."""

    name: str
    layout: SopsLayout
    access: Access
    stats: StoreStats
    _meta_keys: Fingerprinter | None
    _mac_key: bytes | None
    _mac_key_tried: bool
    _state_cache: tuple[tuple[int, int, int] | None, dict[str, Any]] | None
    _high_water: HighWater | None
    _meta_cache: dict[Path, tuple[tuple[tuple[int, int, int] | None, ...], list[KeyMeta]]]

    # --- metadata (no key needed) --------------------------------------------------

    def _unit(self, slot: SlotRef) -> FileUnit:
        return FileUnit(slot.env, slot.namespace, slot.instance)

    def _sidecar(self, path: Path) -> dict[str, Any]:
        """The file's sidecar, its signature checked (see sealing.py)."""
        side = sidecar_path(path)
        doc = load_json_doc(side)
        where = self._rel(side)
        state = self._state_view()
        if is_sealed(doc):
            key = self._meta_mac_key()
            if key is None:
                self._cannot_check(where)
            elif not verifies(doc, key, SIDECAR, where):
                raise self._tampered(f"warden metadata {where}")
            elif state.get("sealed") is not True:
                raise self._tampered(
                    f"the store state {self._rel(self._state_path())} (missing or unsigned while {where} is signed)"
                )
            else:
                self._check_not_rolled_back(where, doc)
        elif state.get("sealed") is True and (side.exists() or where in (state.get("sidecars") or ())):
            raise self._tampered(f"warden metadata {where} (" + ("its signature was removed)" if side.exists() else "deleted)"))
        keys = doc.get("keys")
        doc["keys"] = keys if isinstance(keys, dict) else {}
        return doc

    # --- signed metadata (sealing.py) ------------------------------------------------

    def _meta_mac_key(self, *, create: bool = False) -> bytes | None:
        """The key that signs sidecars and state; None when the fingerprint key is absent."""
        if self._mac_key is None and (create or not self._mac_key_tried or self.access == "secrets"):
            self._mac_key_tried = True
            if self._meta_keys is not None:
                self._mac_key = self._meta_keys.derived_key(MAC_LABEL, create=create)
        return self._mac_key

    def _tampered(self, what: str) -> IntegrityError:
        return IntegrityError(
            f"store `{self.name}`: {what} fails its authentication check: "
            "changed outside warden (tampering)",
            hint="restore it from git history (`git log -p -- <file>`) and review who changed it; "
            "see docs/security.md",
        )

    def _marks(self) -> HighWater:
        if self._high_water is None:
            self._high_water = HighWater(self.layout.root)
        return self._high_water

    def _check_not_rolled_back(self, where: str, doc: dict[str, Any]) -> None:
        """A signed document older than one this machine read or wrote: rolled back (rollback.py)."""
        seen = self._marks().below(where, doc)
        if seen is not None:
            raise IntegrityError(
                f"store `{self.name}`: warden metadata {where} was rolled back: it is write {generation(doc)}, "
                f"and this machine saw write {seen} (tampering, or an older commit checked out)",
                hint="restore the newer file from git history (`git log -p -- <file>`) and review who changed it; "
                f"if you checked out an older commit on purpose, go back, or remove {self._marks().path} "
                "to accept it on this machine (docs/security.md)",
            )

    def _cannot_check(self, where: str) -> None:
        """A signed file without the key to check it: values are not served on trust."""
        if self.access == "secrets":
            raise MasterKeyError(
                f"store `{self.name}`: {where} is signed, and the project's fingerprint key that checks it "
                "is not on this machine",
                hint="provide the fingerprint key (WARDEN_FINGERPRINT_KEY or its key file; docs/security.md)",
            )

    def _load_state(self) -> dict[str, Any]:
        path = self._state_path()
        doc = load_json_doc(path)
        where = self._rel(path)
        if is_sealed(doc):
            key = self._meta_mac_key()
            if key is None:
                self._cannot_check(where)
            elif not verifies(doc, key, STATE, where):
                recorded = doc.get("fingerprint_key")
                if isinstance(recorded, str):  # signed with another key: say that, not "tampering"
                    check_fingerprint_key(self.name, recorded, self._meta_keys, has_fingerprints=True)
                raise self._tampered(f"the store state {where}")
            else:
                self._check_not_rolled_back(where, doc)
        elif "sealed" in doc:
            raise self._tampered(f"the store state {where} (its signature was removed)")
        return doc

    def _state_view(self) -> dict[str, Any]:
        """The checked state for readers (not to be changed): parsed once while unchanged on disk."""
        stamp = stat_key(self._state_path())
        if self._state_cache is None or self._state_cache[0] != stamp:
            self._state_cache = (stamp, self._load_state())
        return self._state_cache[1]

    def _save_state(self, state: dict[str, Any]) -> None:
        path = self._state_path()
        state["format"] = 1
        key = self._meta_mac_key()
        bump(state)
        if key is not None:
            seal(state, key, STATE, self._rel(path))
        write_atomic(path, dump_json_doc(state))
        if key is not None:
            self._marks().raise_to(self._rel(path), generation(state))

    def _metas_for_file(self, unit: FileUnit, path: Path) -> list[KeyMeta]:
        # `run` asks for each key of a file in turn: parse the file and its sidecar
        # once while neither changes on disk (checked by stat, so other writers count).
        stamp = (stat_key(path), stat_key(sidecar_path(path)), stat_key(self._state_path()))
        cached = self._meta_cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        metas = self._parse_metas(unit, path)
        self._meta_cache[path] = (stamp, metas)
        return metas

    def _parse_metas(self, unit: FileUnit, path: Path) -> list[KeyMeta]:
        view = read_view(path, self.layout.fmt)
        entries: dict[str, Any] = self._sidecar(path)["keys"] if view is not None else {}
        names = sorted(set(view.keys if view else ()) | set(entries))
        compromised = self._compromised_fps() if entries else {}
        out = []
        for key in names:
            entry = entries.get(key)
            records = merged_records(entry, view, key)
            if not records:
                continue
            if compromised and not (entry or {}).get("compromised_at"):
                self._check_mark_kept(SlotRef(unit.env, unit.namespace, key, unit.instance), entry, records, compromised, path)
            out.append(
                KeyMeta(
                    slot=SlotRef(unit.env, unit.namespace, key, unit.instance),
                    versions=tuple(version_meta(r) for r in records),
                    compromised_at=parse_ts((entry or {}).get("compromised_at")),
                )
            )
        return out

    def _compromised_fps(self) -> dict[str, str]:
        """fingerprint -> slot label, for values marked compromised (signed stores only)."""
        state = self._state_view()
        denied = state.get("denied")
        if state.get("sealed") is not True or not isinstance(denied, dict):
            return {}
        out = {}
        for fp, why in denied.items():
            reason = why.get("reason") if isinstance(why, dict) else None
            if isinstance(reason, str) and reason.startswith("compromised: "):
                out[fp] = reason.removeprefix("compromised: ")
        return out

    def _check_mark_kept(
        self, slot: SlotRef, entry: Mapping[str, Any] | None, records: list[Record], compromised: dict[str, str], path: Path
    ) -> None:
        """A live value denied as compromised in this slot must carry the mark.

        A sidecar rolled back to a signed copy from before `mark_compromised`
        verifies; the store state (also signed, changed by the same command)
        still lists the value's fingerprint, so the missing mark is caught
        here. `clear_compromised` records the values it lifted on purpose.
        """
        cleared = set((entry or {}).get("cleared") or ())
        for r in records:
            fp = r.get("fp")
            if not r.get("gone") and fp and compromised.get(fp) == slot.label() and fp not in cleared:
                raise self._tampered(
                    f"warden metadata {self._rel(sidecar_path(path))} (the compromise mark of {slot.label()} is gone)"
                )

    def namespaces(self, env: str) -> set[str]:
        self.stats.metadata_reads += 1
        return {unit.namespace for unit, _ in self.layout.files(env)}

    def list_meta(self, env: str | None = None, namespace: str | None = None) -> Iterator[KeyMeta]:
        self.stats.metadata_reads += 1
        out: list[KeyMeta] = []
        for unit, path in self.layout.files(env):
            if namespace is not None and unit.namespace != namespace:
                continue
            out.extend(self._metas_for_file(unit, path))
        out.sort(key=lambda m: (m.slot.env, m.slot.namespace, m.slot.instance or "", m.slot.key))
        return iter(out)

    def key_meta(self, slot: SlotRef) -> KeyMeta | None:
        self.stats.metadata_reads += 1
        path = self.layout.path_for(self._unit(slot))
        return next((m for m in self._metas_for_file(self._unit(slot), path) if m.slot.key == slot.key), None)

    def _state_path(self) -> Path:
        return self.layout.base_dir / STATE_FILE

    def shared_journal(self) -> SopsJournal:
        """The project's rotation log and incident register, committed under `_warden/` (sops/journal.py)."""
        from secretwarden.stores.sops.journal import SopsJournal

        return SopsJournal(self.layout.base_dir)

    def denied_fingerprints(self) -> set[str]:
        self.stats.metadata_reads += 1
        denied = self._load_state().get("denied")
        return set(denied) if isinstance(denied, dict) else set()

    def _save_sidecar(self, path: Path, doc: dict[str, Any], view: FileView | None) -> None:
        if view is not None:
            for key, entry in doc["keys"].items():
                if key in view.digests:
                    entry["enc"] = view.digests[key]
                else:
                    entry.pop("enc", None)
        side = sidecar_path(path)
        where = self._rel(side)
        key = self._meta_mac_key()
        doc.pop("mac", None)
        bump(doc)
        if key is not None:
            seal(doc, key, SIDECAR, where)
        write_atomic(side, dump_json_doc(doc))
        if key is not None:
            self._marks().raise_to(where, generation(doc))
            state = self._load_state()
            listed = list(state.get("sidecars") or ())
            if where not in listed:  # the state changes once per file, not per write (merges stay quiet)
                state["sidecars"] = sorted([*listed, where])
                self._save_state(state)

    def verify(self, *, deep: bool = False) -> list[str]:
        """Problems with warden's metadata: the signatures of the state and every sidecar."""
        problems = self.metadata_signature_problems()
        if problems:
            return problems
        state = self._state_view()
        if state.get("sealed") is not True:
            return ["warden metadata is not signed yet (signed by the next write of a fingerprint-key holder)"]
        if self._meta_mac_key() is None:
            return ["signatures not checked: the project's fingerprint key is not on this machine"]
        return []

    def metadata_signature_problems(self) -> list[str]:
        """Edited, stripped, deleted or rolled-back metadata (`audit verify`, `store verify`)."""
        from secretwarden.errors import WardenError

        try:
            self._state_view()
        except WardenError as exc:
            return [str(exc)]
        problems: list[str] = []
        for unit, path in self.layout.files():
            try:
                self._parse_metas(unit, path)
            except WardenError as exc:
                problems.append(str(exc))
        return problems

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.layout.root).as_posix()
        except ValueError:
            return str(path)
