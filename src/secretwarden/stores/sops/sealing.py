"""Warden's clear-text SOPS metadata, authenticated (HMAC) under the project's key.

The sidecars (`<file>.warden.json`) and the store state (`.warden-sops.json`)
sit in clear text in the repository, so whoever can commit can edit them.
They decide who may read what (a compromise mark, a denied fingerprint, a
deleted version), so each carries a `mac`: `crypto.derive.mac_fields` (the
helper the embedded store uses for its rows) under a key derived from the
project's fingerprint key, over the document and the file's place in the
repository (a sidecar copied onto another file does not verify).

The fingerprint key is the one every machine that writes the store holds
already (its fingerprints and the shared journals' chain depend on it), so
any authorised writer can sign and any holder can check; an attacker who can
only commit cannot.
"""

from __future__ import annotations

import json
from typing import Any

from secretwarden.crypto.derive import mac_fields, same

MAC_LABEL = b"secretwarden sops metadata mac v1"
SIDECAR = "sops-sidecar"
STATE = "sops-state"


def _canonical(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "mac"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal(doc: dict[str, Any], key: bytes, kind: str, where: str) -> None:
    """Set `doc["mac"]` over the document, what it is, and where it lives."""
    doc["mac"] = mac_fields(key, kind, where, _canonical(doc))


def is_sealed(doc: dict[str, Any]) -> bool:
    return "mac" in doc


def verifies(doc: dict[str, Any], key: bytes, kind: str, where: str) -> bool:
    mac = doc.get("mac")
    return isinstance(mac, str) and same(mac, mac_fields(key, kind, where, _canonical(doc)))
