"""A SOPS store's versions as its sidecar records them, reconciled with the encrypted file.

sops holds one value per key; the sidecar keeps every version's metadata
(time, author, source, keyed fingerprint, validation stamp, deleted and
destroyed state). `merged_records` folds in what changed in the file outside
warden (a `sops set`: a new "external" version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from secretwarden.stores.base import ValidationStamp, VersionMeta
from secretwarden.stores.sops.files import FileView

SUPERSEDED = "superseded"  # replaced by a newer version: sops no longer holds the value
DESTROYED = "destroyed"  # removed on purpose (or the key left the file)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_ts(text: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if isinstance(text, str) and text else None


Record = dict[str, Any]  # one version in the sidecar: v, at, by, src, fp, stamp, del, gone


def version_meta(rec: Record) -> VersionMeta:
    return VersionMeta(
        version=int(rec["v"]),
        created_at=parse_ts(rec.get("at")) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        created_by=str(rec.get("by", "")),
        source=str(rec.get("src", "set")),
        fingerprint=rec.get("fp"),
        stamp=ValidationStamp.from_json(rec.get("stamp")),
        deleted_at=parse_ts(rec.get("del")),
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
                "at": ts(changed or utcnow()),
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
