"""The embedded store while another process holds its write lock (a real second process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import assert_clear_error, assert_store_intact, ready_project

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@pytest.mark.slow  # the write waits out SQLite's busy timeout (30 s) before it gives up
def test_a_write_while_another_process_holds_the_lock_is_a_clear_store_error(project: Path) -> None:
    canary = ready_project(project)
    db = project.parent / ".warden" / "local.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        # Readers are not blocked by a writer (WAL).
        r = run_warden("-c", project, "get", "shared/DATABASE_URL", "--env", "dev")
        assert r.returncode == 0 and canary in r.stdout, r.output
        r = run_warden("-c", project, "set", "api/OPTIONAL_HOOK", "--env", "dev", input="https://hooks.example.com/a")
        first = assert_clear_error(r, 3, canary=canary)
        assert "busy or read-only" in first
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    assert_store_intact(project, canary)
    # The refused write left nothing behind: the same value is new to the key, and is version 1.
    r = run_warden("-c", project, "set", "api/OPTIONAL_HOOK", "--env", "dev", input="https://hooks.example.com/a")
    assert r.returncode == 0 and "wrote version 1" in r.output, r.output
