"""The baseline: fingerprints of findings accepted as known, never their values.

A fingerprint hashes the rule id, the path and a hash of the secret, so the
file can be committed and reviewed. Findings whose fingerprint is in the
baseline are not reported.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from secretwarden.errors import InputError
from secretwarden.scan.model import Finding

FORMAT_VERSION = 1


def load(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read baseline {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise InputError(f"{path} is not a warden baseline (version {FORMAT_VERSION})")
    entries = data.get("findings", [])
    return frozenset(e["fingerprint"] for e in entries if isinstance(e, dict) and "fingerprint" in e)


def write(path: Path, findings: Iterable[Finding]) -> int:
    entries = {}
    for f in findings:
        entries[f.fingerprint] = {"fingerprint": f.fingerprint, "rule": f.rule_id, "path": f.path}
    data = {
        "version": FORMAT_VERSION,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": "fingerprints of accepted findings: sha256(rule, path, sha256(secret)); no secret values",
        "findings": sorted(entries.values(), key=lambda e: (e["path"], e["rule"], e["fingerprint"])),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".baseline-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return len(entries)
