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
from typing import TYPE_CHECKING, Any

from secretwarden.errors import (
    ConflictError,
    IntegrityError,
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
    WriteRequest,
    WriteResult,
    check_fingerprint_key,
    fingerprint_key_id_of,
    keyed_fingerprint,
    prove_fingerprint_key,
    refuse_reuse,
)
from secretwarden.stores.sops.files import (
    FileUnit,
    FileView,
    SopsLayout,
    dump_json_doc,
    exists,
    load_json_doc,
    read_view,
    sidecar_path,
    stat_key,
)
from secretwarden.stores.sops.metadata import Access, SopsMetadata
from secretwarden.stores.sops.records import (
    DESTROYED,
    SUPERSEDED,
    Record,
    merged_records,
    parse_ts,
    ts,
    utcnow,
    version_meta,
)
from secretwarden.stores.sops.rollback import HighWater
from secretwarden.stores.sops.sealing import SIDECAR, is_sealed, seal
from secretwarden.stores.sops.tool import run_sops

if TYPE_CHECKING:
    from secretwarden.crypto.fingerprint import Fingerprinter


def _as_fingerprinter(fp: Callable[[str], str] | None) -> Fingerprinter | None:
    from secretwarden.crypto.fingerprint import Fingerprinter

    return fp if isinstance(fp, Fingerprinter) else None


def _as_text(value: Any) -> str | None:
    """A decrypted scalar as the string a process would see; None for nested trees."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


class SopsStore(SopsMetadata):
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
        self._clock = clock or utcnow
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
        stamp = stat_key(path)
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
        plain = self._decrypt(path, fresh=True) if exists(path) else None  # proves the MAC before any write
        view, doc = self._reconcile(path, plain=plain)
        values: dict[str, str] = {}
        for i, req in reqs:
            slot = req.slot
            entry = doc["keys"].setdefault(slot.key, {"versions": []})
            records: list[Record] = entry["versions"]
            meta = KeyMeta(slot, tuple(version_meta(r) for r in records), parse_ts(entry.get("compromised_at")))
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
                    "at": ts(self._clock()),
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
            if exists(path):
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
                    r["del"] = r.get("del") or ts(self._clock())
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
            entry["compromised_at"] = ts(at)
            entry["reason"] = reason
            state = self._load_state()
            denied = state.get("denied") if isinstance(state.get("denied"), dict) else {}
            assert isinstance(denied, dict)
            cleared = set(entry.get("cleared") or ())
            for r in entry["versions"]:
                if r.get("fp"):
                    denied.setdefault(r["fp"], {"reason": f"compromised: {slot.label()}", "at": ts(at)})
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
            stat_key(path)  # a FIFO or a device link is refused before it is copied (files() lists them)
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

def rotate_data_key(store: SopsStore, env: str, namespace: str | None = None) -> list[RotatedDataKey]:
    """Library entry for `warden rotate --data-key` on a sops store (see `DataKeyRotator`)."""
    return store.rotate_data_keys(env, namespace)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


