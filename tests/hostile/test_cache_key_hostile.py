"""The local cache key replaced by a FIFO: every command hung forever (the open waited for a writer)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import ready_project


@pytest.mark.parametrize("command", [
    ["get", "shared/DATABASE_URL", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["status", "--env", "dev"],
])
def test_a_fifo_in_place_of_the_cache_key_does_not_hang(project: Path, isolated_home: Path, command: list[str]) -> None:
    canary = ready_project(project)
    key = isolated_home / "config" / "keys" / "cache.key"
    key.unlink(missing_ok=True)
    os.mkfifo(key, 0o600)
    # The timeout only stops a hang; the command answers at once without its cache.
    r = run_warden("-c", project, *command, timeout=120)
    assert r.returncode == 0, r.output
    assert ("get" in command) == (canary in r.output)
