"""The sops store: one age-encrypted file per (environment, namespace[, instance]) in git.

Files are ordinary sops files: warden writes them through the real `sops`
binary and reads files that people edit with `sops` directly.

* Values: sops holds one value per key. A new version replaces the value in
  the file; earlier versions keep their metadata (time, author, keyed
  fingerprint, validation stamp) in the sidecar but their values are gone.
  Reading an older version raises `UnsupportedOperation`; the store says so
  through `capabilities.versions = False` (see docs/sops.md).
* Metadata without a key: key names come from the encrypted file (sops keeps
  them in clear), warden's per-key metadata from the clear-text sidecar
  `<file>.warden.json`. The sidecar records a digest of each value's
  ciphertext, so a value changed with `sops set` shows up as a new
  "external" version, with no key needed to notice.
* Writes: under an exclusive lock on the store's folder, the file is copied
  to a temporary name, changed with `sops set --value-stdin` (or created with
  `sops encrypt /dev/stdin`), and renamed over the original. Plaintext moves
  only through pipes. A file that fails its MAC check is never written.
* Store-wide state (fingerprints of values ever marked compromised) lives in
  `.warden-sops.json` in the store's base folder.
* The sidecars and the state are clear text anyone who can commit can edit,
  and they gate access; each is signed (sealing.py: HMAC under a key derived
  from the project's fingerprint key). Every reader that holds that key
  checks them, a reader of values refuses when it cannot, and the state
  lists the signed sidecars, so an edited, stripped or deleted one is
  reported as tampering (exit 3). A store from before signing is signed as
  it stands by the first write of a holder of the key (trust on first use).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.errors import (
    ConflictError,
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    SecretNotFound,
    UnsupportedOperation,
    UsageError,
)
from secretwarden.identity import current_user
from secretwarden.paths import clean_stale_temps, temp_name, write_atomic
from secretwarden.slots import SlotRef
from secretwarden.stores.base import (
    Capabilities,
    KeyMeta,
    RotatedDataKey,
    SecretValue,
    StoreStats,
    ValidationStamp,
    VersionMeta,
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    keyed_fingerprint,
    prove_fingerprint_key,
    refuse_reuse,
)
from secretwarden.stores.sops.files import (
    STATE_FILE,
    FileUnit,
    FileView,
    SopsLayout,
    dump_json_doc,
    load_json_doc,
    read_view,
    sidecar_path,
)
from secretwarden.stores.sops.rollback import HighWater, bump, generation
from secretwarden.stores.sops.sealing import MAC_LABEL, SIDECAR, STATE, is_sealed, seal, verifies
from secretwarden.stores.sops.tool import run_sops

Access = Literal["metadata", "secrets"]
SUPERSEDED = "superseded"  # replaced by a newer version: sops no longer holds the value
DESTROYED = "destroyed"  # removed on purpose (or the key left the file)


if TYPE_CHECKING:
    from secretwarden.crypto.fingerprint import Fingerprinter
    from secretwarden.stores.sops.journal import SopsJournal


def _as_fingerprinter(fp: Callable[[str], str] | None) -> Fingerprinter | None:
    from secretwarden.crypto.fingerprint import Fingerprinter

    return fp if isinstance(fp, Fingerprinter) else None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse_ts(text: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if isinstance(text, str) and text else None




def _as_text(value: Any) -> str | None:
    """A decrypted scalar as the string a process would see; None for nested trees."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


Record = dict[str, Any]  # one version in the sidecar: v, at, by, src, fp, stamp, del, gone


def _version_meta(rec: Record) -> VersionMeta:
    return VersionMeta(
        version=int(rec["v"]),
        created_at=_parse_ts(rec.get("at")) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        created_by=str(rec.get("by", "")),
        source=str(rec.get("src", "set")),
        fingerprint=rec.get("fp"),
        stamp=ValidationStamp.from_json(rec.get("stamp")),
        deleted_at=_parse_ts(rec.get("del")),
        destroyed=bool(rec.get("gone")),
    )


def merged_records(entry: Mapping[str, Any] | None, view: FileView | None, key: str) -> list[Record]:
    """The key's versions: the sidecar's, reconciled with what the file holds now.

    A ciphertext digest that differs from the sidecar's means the value was
    changed outside warden (e.g. `sops set`): earlier versions are superseded
    and an "external" version is added. A key gone from the file has no value.
    """
    records = [dict(r) for r in (entry or {}).get("versions", [])]
    now_digest = view.digests.get(key) if view is not None else None
    known_digest = (entry or {}).get("enc")
    if now_digest is not None and (entry is None or known_digest != now_digest):
        for r in records:
            r.setdefault("gone", None)
            if not r["gone"]:
                r["gone"] = SUPERSEDED
        changed = view.lastmodified if view is not None and view.lastmodified else None
        records.append(
            {
                "v": (records[-1]["v"] if records else 0) + 1,
                "at": _ts(changed or _utcnow()),
                "by": "sops",
                "src": "external",
                "fp": None,
                "external": True,
            }
        )
    elif now_digest is None and records:
        for r in records:
            if not r.get("gone"):
                r["gone"] = DESTROYED
    return records


class SopsStore:
    backend = "sops"
    capabilities = Capabilities(versions=False, extra={"retained_versions": False, "data_key_rotation": True})

    def __init__(
        self,
        name: str,
        layout: SopsLayout,
        *,
        access: Access = "metadata",
        recipients: Iterable[str] = (),
        sops_config: Path | None = None,
        fingerprinter: Callable[[str], str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        extra_env: Mapping[str, str] | None = None,
        meta_keys: Fingerprinter | None = None,
    ) -> None:
        self.name = name
        self.layout = layout
        self.access = access
        self.recipients = [r for r in recipients if r]
        self.sops_config = sops_config
        self.stats = StoreStats()
        self._fingerprint = fingerprinter
        self._fp_key_checked = False
        # Whose key signs the sidecars: the fingerprinter's, or (metadata readers) one that only loads it.
        self._meta_keys = meta_keys if meta_keys is not None else _as_fingerprinter(fingerprinter)
        self._mac_key: bytes | None = None
        self._mac_key_tried = False
        self._state_cache: tuple[tuple[int, int, int] | None, dict[str, Any]] | None = None
        self._sealed_checked = False
        self._high_water: HighWater | None = None  # this machine's rollback marks (rollback.py), on first use
        self._clock = clock or _utcnow
        self._extra_env = dict(extra_env or {})
        # decrypted files, kept only while open and only while unchanged on disk
        self._plain: dict[Path, tuple[tuple[int, int, int] | None, dict[str, str]]] = {}
        self._meta_cache: dict[Path, tuple[tuple[tuple[int, int, int] | None, ...], list[KeyMeta]]] = {}

    def __repr__(self) -> str:
        return f"SopsStore(name={self.name!r}, base={str(self.layout.base_dir)!r}, access={self.access!r})"

    def close(self) -> None:
        self._plain.clear()
        self._meta_cache.clear()
        self._state_cache = None
        self._mac_key = None

    def __enter__(self) -> SopsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        stamp = _stat_key(self._state_path())
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

    def _ensure_sealed(self) -> None:
        """Sign a store from before signing, as it stands (trust on first use by a key holder).

        Runs under the store lock before a write. A signed sidecar in a store
        whose state is not signed means the state was removed: refused, never
        signed over.
        """
        if self._sealed_checked:
            return
        self._guard_fingerprint_key()
        key = self._meta_mac_key(create=self._meta_keys is not None)
        if key is None:
            return
        state = self._load_state()
        if state.get("sealed") is not True:
            listed = []
            for _, path in self.layout.files():
                side = sidecar_path(path)
                if not side.exists():
                    continue
                doc = load_json_doc(side)
                where = self._rel(side)
                if is_sealed(doc):
                    raise self._tampered(
                        f"the store state {self._rel(self._state_path())} (missing or unsigned while {where} is signed)"
                    )
                seal(doc, key, SIDECAR, where)
                write_atomic(side, dump_json_doc(doc))
                listed.append(where)
            state["sealed"] = True
            state["sidecars"] = sorted(listed)
            self._save_state(state)
        self._sealed_checked = True

    def _metas_for_file(self, unit: FileUnit, path: Path) -> list[KeyMeta]:
        # `run` asks for each key of a file in turn: parse the file and its sidecar
        # once while neither changes on disk (checked by stat, so other writers count).
        stamp = (_stat_key(path), _stat_key(sidecar_path(path)), _stat_key(self._state_path()))
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
                    versions=tuple(_version_meta(r) for r in records),
                    compromised_at=_parse_ts((entry or {}).get("compromised_at")),
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

    # --- plumbing --------------------------------------------------------------------

    def _require_secrets(self) -> None:
        if self.access != "secrets":
            raise PermissionDenied(
                f"store `{self.name}` was opened for metadata only; it cannot read or write values"
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time per store: an exclusive lock on the store's base folder."""
        base = self.layout.base_dir
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(base, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _sops(self, args: list[str], *, what: Path | str, stdin: bytes | None = None) -> bytes:
        return run_sops(
            args,
            what=str(what),
            stdin=stdin,
            config=self.sops_config,
            cwd=self.layout.root if self.layout.root.is_dir() else None,
            extra_env=self._extra_env,
        )

    def _types(self) -> list[str]:
        fmt = self.layout.fmt
        return ["--input-type", fmt, "--output-type", fmt]

    def _decrypt(self, path: Path, *, fresh: bool = False) -> dict[str, str]:
        """The file's values. Cached while the file is unchanged on disk; `fresh` (writes)
        always asks sops again, which re-checks the MAC of what is about to change."""
        stamp = _stat_key(path)
        cached = self._plain.get(path)
        if cached is not None and cached[0] == stamp and not fresh:
            return cached[1]
        out = self._sops(
            ["decrypt", "--input-type", self.layout.fmt, "--output-type", "json", str(path)], what=path
        )
        try:
            tree = json.loads(out)
        except ValueError:
            raise IntegrityError(f"{path}: sops returned a document warden cannot read") from None
        if not isinstance(tree, dict):
            raise IntegrityError(f"{path}: a sops secret file must hold a mapping at the top level")
        plain = {str(k): t for k, v in tree.items() if (t := _as_text(v)) is not None}
        self._plain[path] = (stamp, plain)
        return plain

    def _encrypt_new(self, path: Path, doc: dict[str, str]) -> None:
        args = ["encrypt", "--input-type", "json", "--output-type", self.layout.fmt]
        args += ["--filename-override", str(path)]
        if self.recipients:
            args += ["--age", ",".join(self.recipients)]
        data = self._sops([*args, "/dev/stdin"], what=path, stdin=json.dumps(doc).encode("utf-8"))
        write_atomic(path, data)

    @contextmanager
    def _edit_copy(self, path: Path) -> Iterator[Path]:
        """A ciphertext copy of `path` to change with sops; renamed over `path` on success."""
        clean_stale_temps(path.parent, path.name)  # left by a writer that was killed
        tmp = temp_name(path)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        try:
            shutil.copyfile(path, tmp)
            os.chmod(tmp, path.stat().st_mode & 0o777)
            yield tmp
            _fsync(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

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

    def _reconcile(self, path: Path, *, plain: dict[str, str] | None) -> tuple[FileView | None, dict[str, Any]]:
        """Fold changes made outside warden into the sidecar; fingerprint them when `plain` is known."""
        view = read_view(path, self.layout.fmt)
        doc = self._sidecar(path)
        entries = doc["keys"]
        for key in sorted(set(view.keys if view else ()) | set(entries)):
            records = merged_records(entries.get(key), view, key)
            for rec in records:
                rec.pop("external", None)
            live = [r for r in records if not r.get("gone")]
            if plain is not None and live and live[-1].get("fp") is None and key in plain:
                live[-1]["fp"] = self.fingerprint(SecretValue(plain[key]))
            entry = entries.setdefault(key, {})
            entry["versions"] = records
            if view is not None and key in view.digests:
                entry["enc"] = view.digests[key]
        return view, doc

    # --- values -----------------------------------------------------------------------

    def fingerprint(self, value: SecretValue) -> str:
        return keyed_fingerprint(self._fingerprint, value)

    def read(self, slot: SlotRef, version: int | None = None) -> SecretValue:
        self._require_secrets()
        meta = self.key_meta(slot)
        if meta is None:
            raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
        current = meta.current
        if version is not None and (current is None or version != current.version):
            known = {v.version: v for v in meta.versions}
            if version not in known:
                raise SecretNotFound(f"{slot.label()}: no version {version}")
            newer = [v.version for v in meta.versions if v.version > version]
            if newer and known[version].destroyed and known[version].deleted_at is None:
                raise UnsupportedOperation(
                    f"{slot.label()} version {version}: a sops file keeps only the current value of a "
                    f"key; version {version} was replaced and is not retained",
                    hint="history, fingerprints and reuse checks still cover it (`warden history`)",
                )
            raise SecretNotFound(f"{slot.label()} version {version}: no live value in store `{self.name}`")
        if current is None:
            raise SecretNotFound(f"{slot.label()}: no live value in store `{self.name}`")
        plain = self._decrypt(self.layout.path_for(self._unit(slot)))
        if slot.key not in plain:
            raise SecretNotFound(f"{slot.label()}: not a plain string value in its sops file")
        self.stats.values_read += 1
        return SecretValue(plain[slot.key])

    def write_many(self, requests: list[WriteRequest], *, actor: str | None = None) -> list[WriteResult]:
        self._require_secrets()
        who = actor or current_user()
        by_file: dict[Path, list[tuple[int, WriteRequest]]] = {}
        for i, req in enumerate(requests):
            by_file.setdefault(self.layout.path_for(self._unit(req.slot)), []).append((i, req))
        results: dict[int, WriteResult] = {}
        with self._locked():
            self._ensure_sealed()
            denied = self._denied_locked()
            # Check every request before any file changes: a refused write leaves all files as they were.
            plans = {path: self._plan_file(path, reqs, who, denied, results) for path, reqs in by_file.items()}
            for path, (view, doc, values) in plans.items():
                self._apply(path, view, values)
                self._save_sidecar(path, doc, read_view(path, self.layout.fmt))
                self._plain.pop(path, None)
        self.stats.values_written += len(results)
        return [results[i] for i in range(len(requests))]

    def _plan_file(
        self,
        path: Path,
        reqs: list[tuple[int, WriteRequest]],
        who: str,
        denied: set[str],
        results: dict[int, WriteResult],
    ) -> tuple[FileView | None, dict[str, Any], dict[str, str]]:
        plain = self._decrypt(path, fresh=True) if path.exists() else None  # proves the MAC before any write
        view, doc = self._reconcile(path, plain=plain)
        values: dict[str, str] = {}
        for i, req in reqs:
            slot = req.slot
            entry = doc["keys"].setdefault(slot.key, {"versions": []})
            records: list[Record] = entry["versions"]
            meta = KeyMeta(slot, tuple(_version_meta(r) for r in records), _parse_ts(entry.get("compromised_at")))
            newest = meta.newest_version
            if req.cas is not None and req.cas != newest:
                raise ConflictError(
                    f"{slot.label()}: expected version {req.cas}, found {newest} (written concurrently)"
                )
            fp = self.fingerprint(req.value)
            refuse_reuse(slot, fp, meta, denied)
            for r in records:
                if not r.get("gone"):
                    r["gone"] = SUPERSEDED
            records.append(
                {
                    "v": newest + 1,
                    "at": _ts(self._clock()),
                    "by": who,
                    "src": req.source,
                    "fp": fp,
                    "stamp": req.stamp.to_json() if req.stamp else None,
                }
            )
            values[slot.key] = req.value.reveal()
            results[i] = WriteResult(slot, newest + 1, newest == 0)
        return view, doc, values

    def _apply(self, path: Path, view: FileView | None, values: dict[str, str]) -> None:
        if view is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._encrypt_new(path, values)
            return
        with self._edit_copy(path) as tmp:
            for key, value in values.items():
                self._sops(
                    ["set", *self._types(), "--value-stdin", str(tmp), json.dumps([key])],
                    what=path,
                    stdin=json.dumps(value).encode("utf-8"),
                )

    def _guard_fingerprint_key(self) -> None:
        """Refuse a lost or different fingerprint key; record the key's id in the store state."""
        if self._fp_key_checked or self._fingerprint is None:
            return
        state = self._load_state()
        recorded = state.get("fingerprint_key") if isinstance(state.get("fingerprint_key"), str) else None
        metas = [] if recorded is not None else list(self.list_meta())
        has_fps = recorded is not None or bool(state.get("denied")) or any(m.fingerprints for m in metas)
        to_record = check_fingerprint_key(self.name, recorded, self._fingerprint, has_fingerprints=has_fps)
        if to_record is not None:
            prove_fingerprint_key(self, metas)
        if recorded is None:
            to_record = to_record or fingerprint_key_id_of(self._fingerprint)
            if to_record is not None:
                state["fingerprint_key"] = to_record
                self._save_state(state)
        self._fp_key_checked = True

    def _denied_locked(self) -> set[str]:
        denied = self._load_state().get("denied")
        return set(denied) if isinstance(denied, dict) else set()

    def ensure_namespace(self, env: str, namespace: str) -> bool:
        self._require_secrets()
        path = self.layout.path_for(FileUnit(env, namespace))
        with self._locked():
            if path.exists():
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            self._encrypt_new(path, {})
            return True

    # --- version states -----------------------------------------------------------------

    def _update(
        self, slot: SlotRef, change: Callable[[Path, FileView | None, dict[str, Any], list[Record]], list[int]]
    ) -> list[int]:
        self._require_secrets()
        path = self.layout.path_for(self._unit(slot))
        with self._locked():
            self._ensure_sealed()
            view, doc = self._reconcile(path, plain=None)
            entry = doc["keys"].get(slot.key)
            if view is None or entry is None or not entry.get("versions"):
                raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
            chosen = change(path, view, entry, entry["versions"])
            self._save_sidecar(path, doc, read_view(path, self.layout.fmt))
            self._plain.pop(path, None)
        return chosen

    @staticmethod
    def _pick(slot: SlotRef, records: list[Record], versions: Iterable[int] | None) -> list[Record]:
        by_v = {int(r["v"]): r for r in records}
        if versions is None:
            live = [r for r in records if not r.get("gone") and not r.get("del")]
            return live[-1:]
        chosen = list(versions)
        missing = [v for v in chosen if v not in by_v]
        if missing:
            raise SecretNotFound(f"{slot.label()}: no version(s) {', '.join(map(str, missing))}")
        return [by_v[v] for v in chosen]

    def soft_delete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        def change(path: Path, view: FileView | None, entry: dict[str, Any], records: list[Record]) -> list[int]:
            picked = self._pick(slot, records, versions)
            for r in picked:
                if r.get("gone") == SUPERSEDED:
                    raise UnsupportedOperation(
                        f"{slot.label()} version {r['v']}: replaced and not retained by sops; "
                        "only the current version can be deleted"
                    )
            for r in picked:
                if not r.get("gone"):
                    r["del"] = r.get("del") or _ts(self._clock())
            return [int(r["v"]) for r in picked]

        return self._update(slot, change)

    def undelete(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        def change(path: Path, view: FileView | None, entry: dict[str, Any], records: list[Record]) -> list[int]:
            if versions is None:
                picked = [r for r in records if r.get("del") and not r.get("gone")][-1:]
            else:
                picked = self._pick(slot, records, versions)
            for r in picked:
                if r.get("gone"):
                    raise UnsupportedOperation(
                        f"{slot.label()} version {r['v']}: its value is no longer in the sops file"
                    )
                r["del"] = None
            return [int(r["v"]) for r in picked]

        return self._update(slot, change)

    def destroy(self, slot: SlotRef, versions: Iterable[int] | None = None) -> list[int]:
        # Fingerprints stay: a destroyed value still may not come back.
        def change(path: Path, view: FileView | None, entry: dict[str, Any], records: list[Record]) -> list[int]:
            picked = self._pick(slot, records, versions)
            held = [r for r in picked if not r.get("gone")]
            if held and view is not None and slot.key in view.digests:
                with self._edit_copy(path) as tmp:
                    self._sops(
                        ["unset", "--input-type", self.layout.fmt, "--output-type", self.layout.fmt,
                         str(tmp), json.dumps([slot.key])],
                        what=path,
                    )
            for r in held:
                r["gone"] = DESTROYED
                r["del"] = None
            return [int(r["v"]) for r in picked]

        return self._update(slot, change)

    def mark_compromised(self, slot: SlotRef, at: dt.datetime, reason: str) -> None:
        self._require_secrets()
        path = self.layout.path_for(self._unit(slot))
        with self._locked():
            self._ensure_sealed()
            view, doc = self._reconcile(path, plain=None)
            entry = doc["keys"].get(slot.key)
            if view is None or entry is None:
                raise SecretNotFound(f"{slot.label()}: no such key in store `{self.name}`")
            unknown = any(not r.get("gone") and not r.get("fp") for r in entry["versions"])
            if unknown:  # a value set outside warden: fingerprint it so it can be denied for good
                view, doc = self._reconcile(path, plain=self._decrypt(path, fresh=True))
                entry = doc["keys"][slot.key]
            entry["compromised_at"] = _ts(at)
            entry["reason"] = reason
            state = self._load_state()
            denied = state.get("denied") if isinstance(state.get("denied"), dict) else {}
            assert isinstance(denied, dict)
            cleared = set(entry.get("cleared") or ())
            for r in entry["versions"]:
                if r.get("fp"):
                    denied.setdefault(r["fp"], {"reason": f"compromised: {slot.label()}", "at": _ts(at)})
                    cleared.discard(r["fp"])
            if "cleared" in entry:
                entry["cleared"] = sorted(cleared)
            state["denied"] = denied
            # The state first: a sidecar without its mark beside a state that denies the value reads as tampering.
            self._save_state(state)
            self._save_sidecar(path, doc, view)

    def clear_compromised(self, slot: SlotRef) -> None:
        def change(path: Path, view: FileView | None, entry: dict[str, Any], records: list[Record]) -> list[int]:
            entry.pop("compromised_at", None)
            entry.pop("reason", None)
            # Lifted on purpose: recorded (signed) so a live denied value here is not read as a rolled-back mark.
            lifted = {r["fp"] for r in records if r.get("fp") and not r.get("gone")}
            if lifted:
                entry["cleared"] = sorted(set(entry.get("cleared") or ()) | lifted)
            return []

        self._update(slot, change)

    # --- data keys and recipients ----------------------------------------------------------

    def rotate_data_keys(self, env: str, namespace: str | None = None) -> list[RotatedDataKey]:
        """`sops rotate` every file of `env` (or one namespace): new data key, same values."""
        self._require_secrets()
        done: list[RotatedDataKey] = []
        for unit, path in self.layout.files(env):
            if namespace is not None and unit.namespace != namespace:
                continue
            with self._locked():
                self._ensure_sealed()
                _, doc = self._reconcile(path, plain=self._decrypt(path, fresh=True))
                with self._edit_copy(path) as tmp:
                    self._sops(["rotate", *self._types(), "--in-place", str(tmp)], what=path)
                # Every ciphertext changed, no value did: record the new digests as warden's own.
                self._save_sidecar(path, doc, read_view(path, self.layout.fmt))
                self._plain.pop(path, None)
            done.append(RotatedDataKey(unit.env, unit.namespace, unit.instance, self._rel(path)))
        return done

    def update_recipients(self, env: str | None = None) -> list[RotatedDataKey]:
        """`sops updatekeys` every file: re-wrap its data key for .sops.yaml's current recipients."""
        self._require_secrets()
        if self.sops_config is None:
            raise UsageError(
                f"store `{self.name}` has no .sops.yaml; recipients come from its creation rules",
                hint="run `warden sops init` first",
            )
        done: list[RotatedDataKey] = []
        for unit, path in self.layout.files(env):
            with self._locked():
                self._ensure_sealed()
                # updatekeys matches creation rules by file name, so it runs on the file
                # itself; a ciphertext backup restores it should sops fail half-way.
                backup = path.with_name(f".{path.name}.before-updatekeys")
                shutil.copy2(path, backup)
                try:
                    self._sops(["updatekeys", "--yes", "--input-type", self.layout.fmt, str(path)], what=path)
                except BaseException:
                    os.replace(backup, path)
                    raise
                backup.unlink(missing_ok=True)
                _, doc = self._reconcile(path, plain=None)
                self._save_sidecar(path, doc, read_view(path, self.layout.fmt))
            done.append(RotatedDataKey(unit.env, unit.namespace, unit.instance, self._rel(path)))
        return done

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


def rotate_data_key(store: SopsStore, env: str, namespace: str | None = None) -> list[RotatedDataKey]:
    """Library entry for `warden rotate --data-key` on a sops store (see `DataKeyRotator`)."""
    return store.rotate_data_keys(env, namespace)


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


