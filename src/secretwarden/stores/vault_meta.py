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
versions fit in one path (a fingerprint is 32 random bytes and dominates);
when a record would not fit, details of superseded versions are dropped
first (their fingerprints stay, reuse checks need them).

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

    # --- JSON ---------------------------------------------------------------------------

    def to_json(self, *, compact_history: bool = False) -> dict[str, Any]:
        actors: list[str] = []

        def actor(name: str) -> int:
            if name not in actors:
                actors.append(name)
            return actors.index(name)

        out: dict[str, Any] = {}
        for name, rec in sorted(self.fields.items()):
            rows = []
            cur = rec.current
            for v in rec.versions:
                slim = compact_history and v is not cur
                rows.append(
                    [
                        v.n,
                        v.kv,
                        v.t,
                        -1 if slim else actor(v.by),
                        "" if slim else v.src,
                        v.fp,
                        None if slim or v.stamp is None else [v.stamp.digest, list(v.stamp.problems)],
                        v.deleted,
                        int(v.destroyed),
                    ]
                )
            entry: list[Any] = [rec.namespace, None if rec.key == name else rec.key, rec.instance, rec.compromised, rows]
            out[name] = entry
        return {"f": FORMAT, "kv": self.kv, "a": actors, "k": out}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PathRecord:
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
                )
                for n, kv, t, a, src, fp, st, dl, x in rows
            ]
            fields[name] = FieldRecord(ns, key or name, inst, int(comp), versions)
        return cls(kv=int(data.get("kv", 0)), fields=fields)


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


def encode_record(record: PathRecord, foreign: dict[str, str], where: str) -> dict[str, str]:
    summary = f"fields={len(record.fields)} kv={record.kv}"
    try:
        return encode_doc(record.to_json(), summary, foreign, where)
    except StoreError:
        return encode_doc(record.to_json(compact_history=True), summary, foreign, where)


def decode_record(custom: dict[str, str] | None, where: str) -> PathRecord | None:
    doc = decode_doc(custom, where)
    if doc is None:
        return None
    return PathRecord.from_json(doc) if doc else PathRecord()
