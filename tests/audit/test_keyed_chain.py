"""Attacks on the audit log (issue 21.5, 21.9, 21.10): each must be reported by `verify`."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.audit.log import GENESIS, AuditLog, canonical, entry_hash
from secretwarden.errors import StoreUnavailable, WardenError


def filled(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / ".warden" / "audit.jsonl", project="demo", repo_root=tmp_path)
    for i in range(n):
        log.append(command="get", env="dev", namespace="api", key=f"K{i}", outcome="ok")
    return log


def rows(log: AuditLog) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.path.read_text().splitlines()]


def write_rows(log: AuditLog, entries: list[dict[str, Any]]) -> None:
    log.path.write_bytes(b"".join(canonical(e) + b"\n" for e in entries))


def rehash_unkeyed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an attacker without the key can do: renumber and recompute plain SHA-256 hashes."""
    prev, out = GENESIS, []
    for seq, entry in enumerate(entries, start=1):
        body = {k: v for k, v in entry.items() if k not in ("hash", "alg")}
        body["seq"], body["prev"] = seq, prev
        body["hash"] = entry_hash(body)
        prev = body["hash"]
        out.append(body)
    return out


def test_keyed_chain_verifies(tmp_path: Path) -> None:
    log = filled(tmp_path)
    verdict = log.verify()
    assert verdict.ok, verdict.problems
    assert all(e["alg"] == "hmac-sha256" for e in rows(log))


def test_cut_tail_and_rewritten_head_is_detected(tmp_path: Path) -> None:
    log = filled(tmp_path)
    kept = rows(log)[:-2]
    write_rows(log, kept)
    # The attacker also rewrites the head beside the log to match the shorter log.
    log.head_path.write_text(json.dumps({"seq": kept[-1]["seq"], "hash": kept[-1]["hash"]}))
    verdict = log.verify()
    assert not verdict.ok and any("anchor records entry 5" in p for p in verdict.problems)


def test_rehash_after_deleting_a_middle_entry_is_detected(tmp_path: Path) -> None:
    log = filled(tmp_path)
    entries = rows(log)
    del entries[2]
    write_rows(log, rehash_unkeyed(entries))
    assert not log.verify().ok


def test_forged_keyed_entries_without_the_key_are_detected(tmp_path: Path) -> None:
    log = filled(tmp_path)
    entries = rows(log)
    entries[1]["key"] = "OTHER"
    entries[1]["hash"] = hashlib.sha256(b"guess").hexdigest()
    write_rows(log, entries)
    verdict = log.verify()
    assert any("keyed hash" in p for p in verdict.problems)


def test_deleting_log_and_head_is_detected(tmp_path: Path) -> None:
    log = filled(tmp_path)
    log.path.unlink()
    log.head_path.unlink(missing_ok=True)
    verdict = log.verify()
    assert not verdict.ok and any("deleted" in p for p in verdict.problems)


def test_append_after_deletion_refuses_to_start_a_new_chain(tmp_path: Path) -> None:
    log = filled(tmp_path)
    log.path.unlink()
    with pytest.raises(StoreUnavailable, match="anchor records 5 entries"):
        log.append(command="get", outcome="ok")


def test_anchor_lives_outside_the_log_folder(tmp_path: Path, isolated_home: Path) -> None:
    log = filled(tmp_path, 1)
    assert log.anchor_path.is_file()
    assert log.path.parent not in log.anchor_path.parents
    assert log.anchor_path.is_relative_to(isolated_home)
    assert not log.head_path.exists()


def test_entry_over_64_kib_keeps_the_chain(tmp_path: Path) -> None:
    log = filled(tmp_path, 1)
    log.append(command="run", outcome="ok", detail="x" * 200_000)
    log.append(command="get", outcome="ok")
    verdict = log.verify()
    assert verdict.ok, verdict.problems
    assert [e["seq"] for e in rows(log)] == [1, 2, 3]


def test_legacy_unkeyed_log_migrates_to_keyed(tmp_path: Path) -> None:
    """An old log (plain SHA-256, head beside it) verifies, then continues keyed."""
    log = AuditLog(tmp_path / "audit.jsonl", project="demo")
    legacy = rehash_unkeyed([{"command": "get", "outcome": "ok", "time": "2026-01-01T00:00:00+00:00"}] * 3)
    write_rows(log, legacy)
    log.head_path.write_text(json.dumps({"seq": 3, "hash": legacy[-1]["hash"]}))
    assert log.verify().ok
    log.append(command="set", outcome="ok")
    after = rows(log)
    assert after[-1]["alg"] == "hmac-sha256" and after[-1]["prev"] == legacy[-1]["hash"]
    assert log.verify().ok
    # From then on, an unkeyed entry is a rewrite.
    write_rows(log, [*after, *rehash_unkeyed([*after, {"command": "get"}])[-1:]])
    assert any("unkeyed entry after keyed" in p for p in log.verify().problems)


def test_symlinked_log_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("")
    folder = tmp_path / ".warden"
    folder.mkdir()
    (folder / "audit.jsonl").symlink_to(elsewhere)
    log = AuditLog(folder / "audit.jsonl", project="demo", repo_root=tmp_path)
    with pytest.raises(StoreUnavailable, match="symlink"):
        log.append(command="get", outcome="ok")
    assert elsewhere.read_text() == ""


def test_symlinked_folder_in_repository_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / ".warden").symlink_to(target)
    log = AuditLog(tmp_path / ".warden" / "audit.jsonl", project="demo", repo_root=tmp_path)
    with pytest.raises(StoreUnavailable, match="symlink"):
        log.append(command="get", outcome="ok")
    assert not any(target.iterdir())


def test_fifo_as_log_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "audit.jsonl")
    with pytest.raises(StoreUnavailable, match="not a regular file"):
        AuditLog(tmp_path / "audit.jsonl", project="demo").append(command="get", outcome="ok")


def test_stale_anchor_temp_files_are_cleaned(tmp_path: Path) -> None:
    log = filled(tmp_path, 1)
    stale = log.anchor_path.with_name(f".{log.anchor_path.name}.999999999.abcd.tmp")
    stale.write_text("{}")
    log.append(command="get", outcome="ok")
    assert not stale.exists()


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                max_leaves=6,
            ).map(lambda v: json.dumps(v).encode()),
            st.fixed_dictionaries(
                {"seq": st.integers() | st.text(max_size=3), "hash": st.text(max_size=4) | st.integers(), "alg": st.sampled_from(["hmac-sha256", "x", 3])}
            ).map(lambda v: json.dumps(v).encode()),
        ),
        max_size=8,
    )
)
def test_any_log_content_gives_a_verdict_never_a_crash(tmp_path: Path, lines: list[bytes]) -> None:
    log = AuditLog(tmp_path / f"fuzz-{uuid.uuid4().hex}.jsonl", project="fuzz")
    log.path.write_bytes(b"\n".join(lines))
    verdict = log.verify()
    assert isinstance(verdict.problems, list)
    assert all(isinstance(e, dict) for e in log.entries())
    with contextlib.suppress(WardenError):  # a damaged log never stops auditing with a crash
        log.append(command="get", outcome="ok")
    assert isinstance(log.verify().problems, list)


def test_lost_audit_key_is_refused_not_replaced(tmp_path: Path, isolated_home: Path) -> None:
    from secretwarden.errors import MasterKeyError

    log = filled(tmp_path, 2)
    key = isolated_home / "config" / "keys" / "demo.audit.key"
    key.unlink()
    with pytest.raises(MasterKeyError, match="audit key"):
        log.append(command="get", outcome="ok")
    assert not key.exists()
    assert any("audit key is missing" in p for p in log.verify().problems)


def test_entries_under_a_fake_key_id_are_forgery_in_the_checkout(tmp_path: Path) -> None:
    log = filled(tmp_path)
    entries = rows(log)
    del entries[1]
    prev = entries[0]["hash"]
    for seq, entry in enumerate(entries[1:], start=2):  # renumbered, "signed" by a key nobody holds
        entry.update(seq=seq, prev=prev, kid="f" * 16, hash=hashlib.sha256(str(seq).encode()).hexdigest())
        prev = entry["hash"]
    write_rows(log, entries)
    assert any("another audit key" in p for p in log.verify().problems)


def test_shared_log_outside_the_checkout_holds_several_users(tmp_path: Path, isolated_home: Path) -> None:
    shared = tmp_path / "team" / "audit.jsonl"
    repo = tmp_path / "repo"
    repo.mkdir()
    log = AuditLog(shared, project="demo", repo_root=repo)
    log.append(command="get", outcome="ok")
    other_user_key = isolated_home / "config" / "keys" / "demo.audit.key"
    mine = other_user_key.read_text()
    other_user_key.unlink()
    log.anchor_path.unlink()  # a second user: own key, own anchor
    log.append(command="set", outcome="ok")
    verdict = log.verify()
    assert verdict.ok and verdict.foreign == 1, verdict.problems
    other_user_key.write_text(mine)  # back to the first user: the second user's entry is foreign
    assert log.verify().foreign == 1
