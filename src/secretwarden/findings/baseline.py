"""The baseline: fingerprints of findings accepted as known, never their values.

A fingerprint hashes the rule id, the path (relative to the repository root)
and, for a secret, a hash of the value, so the file can be committed and
reviewed. Findings whose fingerprint is in the baseline are not reported.
Notes (public-by-design keys) are never recorded: they fail nothing, so there
is nothing to accept, and recording one would hide it from the next listing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from secretwarden.errors import InputError
from secretwarden.findings.model import Finding
from secretwarden.findings.severity import gates

FORMAT_VERSION = 1
NOTE = "fingerprints of accepted findings: sha256(rule, path, sha256(secret)); no secret values"

F = TypeVar("F", bound=Finding)
_MAX_BASELINE_BYTES = 64 * 1024 * 1024


def load(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    from secretwarden.paths import read_input_file

    # The default baseline sits in the repository being scanned: a link to /dev/zero, a FIFO or
    # nesting deep enough to exhaust the parser must be one line, not a hang or a crash.
    hint = "replace it with `warden scan --update-baseline`, or pass --no-baseline"
    raw = read_input_file(path, limit=_MAX_BASELINE_BYTES, what="baseline", hint=hint)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"cannot read baseline {path}: {type(exc).__name__}", hint=hint) from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise InputError(f"{path} is not a warden baseline (version {FORMAT_VERSION})")
    entries = data.get("findings", [])
    if not isinstance(entries, list):
        raise InputError(f"{path} is not a warden baseline (no findings list)")
    return frozenset(e["fingerprint"] for e in entries
                     if isinstance(e, dict) and isinstance(e.get("fingerprint"), str))


def split(findings: Sequence[F], known: frozenset[str]) -> tuple[list[F], int]:
    """The findings not in the baseline, and how many were."""
    kept = [f for f in findings if f.fingerprint not in known]
    return kept, len(findings) - len(kept)


def write(path: Path, findings: Iterable[Finding]) -> int:
    from secretwarden.paths import write_atomic

    entries = {}
    for f in findings:
        if not gates(f.severity):
            continue
        entries[f.fingerprint] = {"fingerprint": f.fingerprint, "rule": f.rule_id, "path": f.path}
    data = {
        "version": FORMAT_VERSION,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "note": NOTE,
        "findings": sorted(entries.values(), key=lambda e: (e["path"], e["rule"], e["fingerprint"])),
    }
    try:
        write_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot write the baseline ({exc.strerror})") from None
    return len(entries)
