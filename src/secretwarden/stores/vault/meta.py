"""Warden's per-version metadata, kept in the KV v2 `custom_metadata` of each path.

KV v2 limits custom_metadata to 64 keys, keys of at most 128 bytes and values
of at most 512 bytes. A per-namespace path holds 50-100+ fields, each with a
version history (keyed fingerprint, validation stamp, time, writer), which
one-entry-per-field cannot fit. So the record of a path is one compact JSON
document, zlib-compressed, base64-encoded and cut into 512-byte chunks:

    warden     "v1 fields=<n> kv=<k> len=<bytes> sha=<first 12 hex of sha256>"   (readable header)
    warden.0   first 512 characters of the encoding
    warden.1   ...

The header's hash detects a torn or hand-edited record. Keys not starting
with `warden` belong to others and are kept as they are. Roughly 500 field
versions fit in one path (a fingerprint is 32 random bytes and dominates).
When the record would not fit, the oldest superseded versions move to
history pages: metadata-only entries under `<prefix>/_warden/history/<path>/<n>`,
in the same encoding, which readers merge back (so reuse and isolation checks
still see every fingerprint). The path's header counts its pages.

One-key-per-path layouts (`{key}` in the path) keep the records of a
namespace's paths together instead: one document per group (the folder above
the `{key}` segment) at `<prefix>/_warden/keys/<group>`, mapping each path's
rest to its record, in the same encoding (`encode_group`). A bulk write then
costs one metadata write per namespace, not one per path. A path whose own
custom_metadata holds a record (written before, or moved out when the group
document is full) is read from there: its own record always wins.

Everything here is metadata: names, versions, times, fingerprints. No value.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from secretwarden.errors import IntegrityError, StoreError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta, ValidationStamp, VersionMeta

HEADER = "warden"
CHUNK = 512
MAX_KEYS = 64
FORMAT = 1


def to_us(value: dt.datetime) -> int:
    return int(value.timestamp() * 1_000_000)


def from_us(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1_000_000, dt.UTC)


@dataclass
class FieldVersion:
    n: int  # warden's version of this key
    kv: int  # KV version of the path written with it (where older versions are read from)
    t: int  # created, µs since the epoch
    by: str = ""
    src: str = "set"
    fp: str | None = None
    stamp: ValidationStamp | None = None
    deleted: int = 0  # µs, 0 = live
    destroyed: bool = False
    page: int = field(default=-1, compare=False)  # history page holding this row; -1 = the path itself

    def to_meta(self) -> VersionMeta:
        return VersionMeta(
            version=self.n,
            created_at=from_us(self.t),
            created_by=self.by,
            source=self.src,
            fingerprint=self.fp,
            stamp=self.stamp,
            deleted_at=from_us(self.deleted) if self.deleted else None,
            destroyed=self.destroyed,
        )

    @property
    def live(self) -> bool:
        return not self.deleted and not self.destroyed


@dataclass
class FieldRecord:
    namespace: str
    key: str
    instance: str | None = None
    compromised: int = 0  # µs, 0 = not marked
    versions: list[FieldVersion] = field(default_factory=list)

    def slot(self, env: str) -> SlotRef:
        return SlotRef(env, self.namespace, self.key, self.instance)

    def key_meta(self, env: str) -> KeyMeta:
        return KeyMeta(
            slot=self.slot(env),
            versions=tuple(v.to_meta() for v in self.versions),
            compromised_at=from_us(self.compromised) if self.compromised else None,
        )

    @property
    def newest(self) -> int:
        return self.versions[-1].n if self.versions else 0

    @property
    def current(self) -> FieldVersion | None:
        for v in reversed(self.versions):
            if v.live:
                return v
        return None

    def version(self, n: int) -> FieldVersion | None:
        return next((v for v in self.versions if v.n == n), None)


@dataclass
class PathRecord:
    kv: int = 0  # the KV version this record accounts for
    fields: dict[str, FieldRecord] = field(default_factory=dict)
    pages: int = 0  # history pages holding superseded versions (see `history_page`)

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self, page: int = -1) -> dict[str, Any]:
        """The rows kept in the path itself (`page=-1`) or in one history page."""
        actors: list[str] = []

        def actor(name: str) -> int:
            if name not in actors:
                actors.append(name)
            return actors.index(name)

        out: dict[str, Any] = {}
        for name, rec in sorted(self.fields.items()):
            rows = [
                [
                    v.n,
                    v.kv,
                    v.t,
                    actor(v.by),
                    v.src,
                    v.fp,
                    None if v.stamp is None else [v.stamp.digest, list(v.stamp.problems)],
                    v.deleted,
                    int(v.destroyed),
                ]
                for v in rec.versions
                if v.page == page
            ]
            if rows or page == -1:
                out[name] = [rec.namespace, None if rec.key == name else rec.key, rec.instance, rec.compromised, rows]
        doc: dict[str, Any] = {"f": FORMAT, "kv": self.kv, "a": actors, "k": out}
        if page == -1 and self.pages:
            doc["h"] = self.pages
        return doc

    @classmethod
    def from_json(cls, data: dict[str, Any], page: int = -1) -> PathRecord:
        actors = data.get("a", [])
        fields: dict[str, FieldRecord] = {}
        for name, (ns, key, inst, comp, rows) in data.get("k", {}).items():
            versions = [
                FieldVersion(
                    n=int(n),
                    kv=int(kv),
                    t=int(t),
                    by=actors[a] if 0 <= a < len(actors) else "",
                    src=src or "set",
                    fp=fp,
                    stamp=ValidationStamp(st[0], tuple(st[1])) if st else None,
                    deleted=int(dl),
                    destroyed=bool(x),
                    page=page,
                )
                for n, kv, t, a, src, fp, st, dl, x in rows
            ]
            fields[name] = FieldRecord(ns, key or name, inst, int(comp), versions)
        return cls(kv=int(data.get("kv", 0)), fields=fields, pages=int(data.get("h", 0)))

    def merge_page(self, page: PathRecord) -> None:
        """Put a history page's rows back in place (oldest first)."""
        for name, rec in page.fields.items():
            mine = self.fields.setdefault(name, FieldRecord(rec.namespace, rec.key, rec.instance))
            mine.versions = sorted([*rec.versions, *mine.versions], key=lambda v: v.n)

    def drop_unlanded(self, kv: int) -> None:
        """Forget rows of KV versions after `kv`, the path's current one: a record saved before
        its value (bulk_write.py) by a writer that died, or lost the race, before the value landed."""
        for name in [n for n, rec in self.fields.items() if any(v.kv > kv for v in rec.versions)]:
            rec = self.fields[name]
            rec.versions = [v for v in rec.versions if v.kv <= kv]
            if not rec.versions:
                del self.fields[name]
        self.kv = min(self.kv, kv)

    def archive_oldest(self, limit: int) -> bool:
        """Move up to `limit` of the oldest superseded rows kept in the path to a new history page."""
        candidates = [
            v for rec in self.fields.values() for v in rec.versions if v.page == -1 and v is not rec.current
        ]
        if not candidates:
            return False
        candidates.sort(key=lambda v: v.t)
        for v in candidates[: max(1, min(limit, len(candidates) // 2 or 1))]:
            v.page = self.pages
        self.pages += 1
        return True


def merged(fresh: PathRecord, record: PathRecord, rows: list[tuple[str, FieldVersion]], new_kv: int) -> PathRecord:
    """`fresh` (another writer's record of the path) with our rows of KV version `new_kv` on top."""
    for fname, row in rows:
        rec = record.fields[fname]
        mine = fresh.fields.setdefault(fname, FieldRecord(rec.namespace, rec.key, rec.instance))
        mine.versions = [v for v in mine.versions if v.kv != new_kv]
        row.n = max(row.n, mine.newest + 1)
        mine.versions.append(row)
    fresh.kv = max(fresh.kv, new_kv)
    return fresh


# --- custom_metadata codec ---------------------------------------------------------------


def _pack(doc: dict[str, Any]) -> str:
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(zlib.compress(raw, 9)).decode()


def is_ours(key: str) -> bool:
    return key == HEADER or key.startswith(HEADER + ".")


def encode_doc(doc: dict[str, Any], summary: str, foreign: dict[str, str], where: str) -> dict[str, str]:
    """custom_metadata holding `doc` plus the keys others put there."""
    text = _pack(doc)
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    room = MAX_KEYS - len(foreign) - 1
    if len(chunks) > room:
        raise StoreError(
            f"{where}: warden's metadata needs {len(chunks)} custom_metadata entries, only {room} are free",
            hint="split the namespace (layout: per-key stores one key per path), or destroy old versions",
        )
    sha = hashlib.sha256(text.encode()).hexdigest()[:12]
    out = dict(foreign)
    out[HEADER] = f"v{FORMAT} {summary} len={len(text)} sha={sha}"
    for i, chunk in enumerate(chunks):
        if chunk:
            out[f"{HEADER}.{i}"] = chunk
    return out


def decode_doc(custom: dict[str, str] | None, where: str) -> dict[str, Any] | None:
    """The document stored by `encode_doc`, or None when the path has none."""
    if not custom or HEADER not in custom:
        return None
    header = dict(p.split("=", 1) for p in custom[HEADER].split()[1:] if "=" in p)
    parts = []
    i = 0
    while f"{HEADER}.{i}" in custom:
        parts.append(custom[f"{HEADER}.{i}"])
        i += 1
    text = "".join(parts)
    if not text:
        return {}
    if hashlib.sha256(text.encode()).hexdigest()[:12] != header.get("sha") or str(len(text)) != header.get("len"):
        raise IntegrityError(
            f"{where}: warden's custom_metadata is damaged (edited by hand or torn)",
            hint="restore it from a backup, or delete the `warden*` custom_metadata keys and re-run `warden bootstrap`",
        )
    try:
        doc: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(text)))
    except (ValueError, zlib.error):
        raise IntegrityError(f"{where}: warden's custom_metadata cannot be decoded") from None
    return doc


def foreign_keys(custom: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (custom or {}).items() if not is_ours(k)}


def encode_record(record: PathRecord, foreign: dict[str, str], where: str, page: int = -1) -> dict[str, str]:
    """custom_metadata of the path (`page=-1`) or of one history page; StoreError when it cannot fit."""
    summary = f"fields={len(record.fields)} kv={record.kv}" + (f" pages={record.pages}" if page == -1 and record.pages else "")
    return encode_doc(record.to_json(page), summary, foreign, where)


def decode_record(custom: dict[str, str] | None, where: str, page: int = -1) -> PathRecord | None:
    doc = decode_doc(custom, where)
    if doc is None:
        return None
    return PathRecord.from_json(doc, page) if doc else PathRecord()


def encode_group(entries: dict[str, dict[str, Any]], foreign: dict[str, str], where: str) -> dict[str, str]:
    """custom_metadata of a group document: path rest -> `PathRecord.to_json()`; StoreError when full."""
    return encode_doc({"f": FORMAT, "p": entries}, f"paths={len(entries)}", foreign, where)


def decode_group(custom: dict[str, str] | None, where: str) -> dict[str, dict[str, Any]]:
    doc = decode_doc(custom, where)
    entries = (doc or {}).get("p") or {}
    if not isinstance(entries, dict):
        raise IntegrityError(f"{where}: warden's group record is not a mapping of paths")
    return entries
