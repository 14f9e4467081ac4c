"""A checkout's local register (from before the stores kept it) is keyed and anchored like the audit log (issue 21.5)."""

from __future__ import annotations

import json
from pathlib import Path

from secretwarden.audit.log import GENESIS, canonical, entry_hash
from secretwarden.ops.journal import Journal, legacy_journal


def incident_journal(audit: Path) -> Journal:
    return legacy_journal(audit, "incidents")


def opened(tmp_path: Path, n: int = 3) -> Path:
    audit = tmp_path / ".warden" / "audit.jsonl"
    journal = incident_journal(audit)
    for i in range(n):
        journal.append({"event": "open", "id": f"INC-{i:04d}"})
    return audit


def test_keyed_register_verifies(tmp_path: Path) -> None:
    journal = incident_journal(opened(tmp_path))
    assert journal.verify() == []
    assert all(e["alg"] == "hmac-sha256" for e in journal.entries())


def test_hiding_the_last_incident_is_detected(tmp_path: Path) -> None:
    journal = incident_journal(opened(tmp_path))
    lines = journal.path.read_text().splitlines()
    journal.path.write_text("\n".join(lines[:-1]) + "\n")
    assert any("anchor records 3" in p for p in journal.verify())


def test_rewriting_the_register_without_the_key_is_detected(tmp_path: Path) -> None:
    journal = incident_journal(opened(tmp_path))
    prev, out = GENESIS, []
    for seq, entry in enumerate(list(journal.entries())[:1], start=1):
        body = {k: v for k, v in entry.items() if k not in ("hash", "alg")}
        body["seq"], body["prev"] = seq, prev
        body["hash"] = prev = entry_hash(body)
        out.append(canonical(body))
    journal.path.write_bytes(b"\n".join(out) + b"\n")
    assert journal.verify()


def test_deleted_register_is_detected(tmp_path: Path) -> None:
    journal = incident_journal(opened(tmp_path))
    journal.path.unlink()
    assert any("deleted" in p for p in journal.verify())


def test_register_from_before_keys_still_verifies_and_continues(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    journal = incident_journal(audit)
    body = {"event": "open", "id": "INC-0001", "seq": 1, "prev": GENESIS}
    body["hash"] = entry_hash(body)
    journal.path.write_text(json.dumps(body) + "\n")
    assert journal.verify() == []
    journal.append({"event": "close", "id": "INC-0001"})
    assert journal.verify() == []
