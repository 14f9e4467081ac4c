"""`warden report --scan-results/--lint-results FILE`: result files that are not results.

A FIFO there hung the report, a link to /dev/zero read until memory ran out,
and JSON nested 100,000 deep was exit 4 (RecursionError).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import assert_clear_error, ready_project


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _dev_zero(p: Path) -> None:
    p.symlink_to("/dev/zero")


def _deep(p: Path) -> None:
    p.write_text("[" * 100_000 + "]" * 100_000)


def _not_utf8(p: Path) -> None:
    p.write_bytes(b'{"findings": ["\xff"]}')


MAKERS: dict[str, Callable[[Path], None]] = {"fifo": _fifo, "dev-zero": _dev_zero, "deep": _deep, "not-utf8": _not_utf8}


@pytest.mark.parametrize("option", ["--scan-results", "--lint-results"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_results_file_that_is_no_report(project: Path, tmp_path: Path, option: str, kind: str) -> None:
    canary = ready_project(project)
    results = tmp_path / "results.json"
    MAKERS[kind](results)
    # The timeout only stops a hang; the answer comes at once.
    r = run_warden("-c", project, "report", "--format", "json", option, results, timeout=120)
    first = assert_clear_error(r, 2, canary=canary)
    assert str(results) in first
