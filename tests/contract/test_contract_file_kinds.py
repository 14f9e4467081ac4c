"""A contract path that is not a regular file (a FIFO, a device, /proc) is refused at once with exit 2.

Before, `-c fifo` blocked forever waiting for a writer and `-c /dev/zero` read without end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_warden


def _assert_refused(res_rc: int, output: str, words: str) -> None:
    assert res_rc == 2, output
    assert "Traceback" not in output
    assert words in output
    assert "hint:" in output or "warden: error:" in output


@pytest.mark.parametrize("command", [["validate"], ["status", "--env", "dev"], ["run", "-s", "api", "-e", "dev", "--", "true"]])
def test_fifo_contract_is_refused_not_waited_on(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "warden.yaml"
    os.mkfifo(fifo)
    res = run_warden("-c", fifo, *command, cwd=tmp_path)
    _assert_refused(res.returncode, res.output, "not a regular file")


def test_device_contract_is_refused_not_read_without_end(tmp_path: Path) -> None:
    link = tmp_path / "warden.yaml"
    link.symlink_to("/dev/zero")
    res = run_warden("-c", link, "validate", cwd=tmp_path)
    _assert_refused(res.returncode, res.output, "not a regular file")


def test_device_named_by_the_environment_variable_is_refused(tmp_path: Path) -> None:
    res = run_warden("validate", cwd=tmp_path, env={"WARDEN_CONTRACT": "/dev/zero"})
    _assert_refused(res.returncode, res.output, "not a regular file")


def test_unreadable_proc_file_names_the_path(tmp_path: Path) -> None:
    # /proc/self/mem opens but every read at offset 0 fails with EIO.
    res = run_warden("-c", "/proc/self/mem", "validate", cwd=tmp_path)
    assert res.returncode == 2, res.output
    assert "cannot be read" in res.output
    assert "Traceback" not in res.output
