"""`-o` naming a device, a pipe or /dev/stdout writes into it and never replaces it.

Before: the report was written to a temp file and renamed over the path, so `warden scan -o
/dev/full` left a regular file where the device was (for every process on the machine), and
`-o /dev/stdout` with stdout redirected replaced the /dev/stdout link. These tests only use
look-alikes in a temp folder, so a regression cannot damage the machine's /dev.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import run_warden


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.txt").write_text("x = 1\n")
    return tmp_path


def test_fifo_with_a_reader_gets_the_report_and_stays_a_fifo(repo: Path) -> None:
    fifo = repo / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    res = run_warden("scan", "-o", fifo, "--format", "json", ".", cwd=repo)
    reader.join()
    assert res.returncode == 0, res.output
    assert b'"tool": "warden"' in received[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_fifo_without_a_reader_is_refused_at_once(repo: Path) -> None:
    fifo = repo / "report.fifo"
    os.mkfifo(fifo)
    res = run_warden("scan", "-o", fifo, ".", cwd=repo)
    assert res.returncode == 2, res.output
    assert "cannot write the report" in res.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_link_to_standard_output_is_written_through_not_replaced(repo: Path, tmp_path: Path) -> None:
    link = repo / "stdout-link"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "captured.json"
    with out.open("wb") as sink:
        proc = subprocess.run(
            [sys.executable, "-m", "secretwarden", "scan", "-o", str(link), "--format", "json", "."],
            cwd=repo, stdout=sink, stderr=subprocess.PIPE, timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert b'"tool": "warden"' in out.read_bytes()


def test_baseline_never_replaces_a_pipe(repo: Path) -> None:
    fifo = repo / "baseline.fifo"
    os.mkfifo(fifo)
    res = run_warden("scan", "--update-baseline", "--baseline", fifo, ".", cwd=repo)
    assert res.returncode == 2, res.output
    assert "Traceback" not in res.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_character_device_stays_a_device(repo: Path) -> None:
    device = repo / "full"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # like /dev/full
    except (PermissionError, OSError):
        pytest.skip("creating a device node needs CAP_MKNOD")
    res = run_warden("scan", "-o", device, ".", cwd=repo)
    assert res.returncode == 2, res.output
    assert "No space left" in res.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)
