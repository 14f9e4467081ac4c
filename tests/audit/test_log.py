"""The hash-chained audit log detects edits, removals, reordering and truncation."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from secretwarden.audit.log import AuditLog


def filled(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append(command="get", env="dev", namespace="api", key=f"K{i}", outcome="ok")
    return log


def lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def test_intact_chain(tmp_path: Path) -> None:
    log = filled(tmp_path)
    verdict = log.verify()
    assert verdict.ok and verdict.entries == 5


def test_unknown_fields_are_dropped(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    entry = log.append(command="set", key="K", value="should-never-be-here", outcome="ok")
    assert "value" not in entry and "should-never-be-here" not in log.path.read_text()


def test_edited_entry(tmp_path: Path) -> None:
    log = filled(tmp_path)
    rows = lines(log)
    entry = json.loads(rows[2])
    entry["key"] = "SOMETHING_ELSE"
    rows[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    log.path.write_text("\n".join(rows) + "\n")
    verdict = log.verify()
    assert not verdict.ok and any("line 3" in p and "edited" in p for p in verdict.problems)


def test_removed_entry(tmp_path: Path) -> None:
    log = filled(tmp_path)
    rows = lines(log)
    del rows[1]
    log.path.write_text("\n".join(rows) + "\n")
    verdict = log.verify()
    assert not verdict.ok and any("removed" in p for p in verdict.problems)


def test_reordered_entries(tmp_path: Path) -> None:
    log = filled(tmp_path)
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    log.path.write_text("\n".join(rows) + "\n")
    assert not log.verify().ok


def test_truncated_tail(tmp_path: Path) -> None:
    log = filled(tmp_path)
    rows = lines(log)
    log.path.write_text("\n".join(rows[:-2]) + "\n")
    verdict = log.verify()
    assert not verdict.ok and any("cut off" in p for p in verdict.problems)


def _append_many(path: str, tag: str) -> None:
    log = AuditLog(Path(path))
    for i in range(50):
        log.append(command="run", service=tag, outcome="ok", detail=str(i))


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), t)) for t in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    verdict = AuditLog(path).verify()
    assert verdict.ok, verdict.problems
    assert verdict.entries == 150
