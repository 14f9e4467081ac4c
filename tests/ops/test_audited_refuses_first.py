"""A command that reads or writes a value stops BEFORE touching the store when its audit entry
could not be written afterwards (ops/secrets.audited asks AuditLog.ready first): a lost audit
key or a log deleted under its anchor is refused (exit 3), and the store is left as it was,
instead of a write that lands and then fails, unaudited. docs/security.md, "The audit log"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden


@pytest.fixture
def ready(project: Path) -> Path:
    assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    return project


def store_mtime(project: Path) -> int:
    return (project.parent / ".warden" / "local.db").stat().st_mtime_ns


@pytest.mark.parametrize("damage", ["lost-audit-key", "deleted-log"])
def test_set_and_get_refuse_before_the_store_when_the_log_cannot_follow(
    ready: Path, isolated_home: Path, damage: str
) -> None:
    if damage == "lost-audit-key":
        (isolated_home / "config" / "keys" / "demo.audit.key").unlink()
        said = "the audit key"
    else:
        (ready.parent / ".warden" / "audit.jsonl").unlink()
        said = "the audit log is missing or empty"
    before = store_mtime(ready)
    value = make_canary("unaudited")
    res = run_warden("-c", ready, "set", "api/API_TOKEN", "--env", "dev", input=value)
    assert res.returncode == 3 and said in res.stderr and "hint:" in res.stderr, res.output
    assert store_mtime(ready) == before  # nothing written that the log could not record
    got = run_warden("-c", ready, "get", "api/API_TOKEN", "--env", "dev")
    assert got.returncode == 3 and got.stdout == "", got.output  # no value read unaudited
    hist = run_warden("-c", ready, "history", "api/API_TOKEN", "--env", "dev")
    assert hist.returncode == 0 and "v2" not in hist.stdout, hist.output
    assert value not in res.output + got.output + hist.output
