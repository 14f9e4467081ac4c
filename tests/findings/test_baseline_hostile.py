"""A baseline shaped by whoever wrote the repository: exit 2 with a hint, never a hang or exit 4.

The default baseline (`.warden-baseline.json`) is part of the scanned repository. Before: a link
to /dev/zero read until memory ran out, a FIFO blocked forever, and JSON nested 100,000 deep was
an internal error (RecursionError).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_warden

DEFAULT = ".warden-baseline.json"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("x = 1\n")
    return tmp_path


def _plant(repo: Path, kind: str) -> None:
    target = repo / DEFAULT
    if kind == "dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.write_text("[" * 100_000)


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "deep"])
def test_hostile_default_baseline_is_refused(repo: Path, kind: str) -> None:
    _plant(repo, kind)
    res = run_warden("scan", ".", cwd=repo)
    assert res.returncode == 2, res.output
    assert res.stderr.startswith("warden: error:") and "baseline" in res.stderr
    assert "--no-baseline" in res.stderr  # the hint
    assert "Traceback" not in res.output


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_no_baseline_still_scans(repo: Path, kind: str) -> None:
    _plant(repo, kind)
    res = run_warden("scan", "--no-baseline", ".", cwd=repo)
    assert res.returncode == 0, res.output
