"""Lint over a repository holding links to /dev/zero and FIFOs under names lint reads: it finishes.

Before: the file reader trusted st_size (0 for /dev/zero) and read to the end, so `warden lint`
and `warden ci` hung forever (and grew without bound) on such a repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_warden

NAMES = [".gitignore", ".env", ".env.example", "docker-compose.yml", "values.yaml", "Chart.yaml", "app.py"]


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in NAMES:
        (tmp_path / name).symlink_to("/dev/zero")
    sub = tmp_path / "sub"
    sub.mkdir()
    for name in (".env", "compose.yaml", "main.py"):
        os.mkfifo(sub / name)
    return tmp_path


@pytest.mark.parametrize("command", [["lint", "."], ["ci", "."]])
def test_lint_finishes_on_devices_and_pipes(hostile_repo: Path, command: list[str]) -> None:
    res = run_warden(*command, cwd=hostile_repo)
    assert res.returncode in (0, 1), res.output  # an answer, not a hang or a crash
    assert "Traceback" not in res.output
