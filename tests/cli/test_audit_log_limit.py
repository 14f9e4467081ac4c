"""`warden audit log --limit N` shows the last N entries; N below 1 is a usage error
(0 used to print every entry and -1 all but the oldest)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_warden


def test_limit_keeps_the_newest_and_refuses_below_one(project: Path) -> None:
    for _ in range(3):
        assert run_warden("-c", project, "bootstrap", "--env", "dev").returncode == 0
    every = run_warden("-c", project, "audit", "log").stdout.splitlines()
    assert len(every) >= 3
    assert run_warden("-c", project, "audit", "log", "--limit", "2").stdout.splitlines() == every[-2:]
    for bad in ("0", "-1"):
        result = run_warden("-c", project, "audit", "log", "--limit", bad)
        assert result.returncode == 2 and "--limit" in result.stderr and "Traceback" not in result.output
