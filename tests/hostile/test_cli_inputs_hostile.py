"""Arguments and stdin that are the user's error, never an internal one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_warden
from tests.hostile.support import assert_clear_error, ready_project


def test_a_max_file_size_of_thousands_of_digits_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    r = run_warden("scan", tmp_path, "--max-file-size", "9" * 5000)
    assert_clear_error(r, 2)
    assert "--max-file-size" in r.stderr


def test_scan_of_stdin_is_bounded_by_the_size_limit(tmp_path: Path) -> None:
    r = run_warden("scan", "-", "--max-file-size", "1k", input="x" * 2000, cwd=tmp_path)
    first = assert_clear_error(r, 2)
    assert "stdin is larger than 1024 bytes" in first
    r = run_warden("scan", "-", "--max-file-size", "1k", input="x" * 1000 + "\n", cwd=tmp_path)
    assert r.returncode == 0, r.output


@pytest.mark.parametrize(("command", "option"), [
    (["audit", "log", "--since"], "--since"),
    (["rotation", "log", "--since"], "--since"),
    (["report", "--format", "json", "--now"], "--now"),
])
@pytest.mark.parametrize("text", ["2020-01-01T25:00", "1e400"])
def test_a_time_that_is_no_time_gets_an_example(project: Path, command: list[str], option: str, text: str) -> None:
    first = assert_clear_error(run_warden("-c", project, *command, text), 2)
    assert option in first


@pytest.mark.parametrize(("stdin", "says"), [
    (b"abc\xff\xfe\xc3(def\n", "not valid UTF-8"),
    (b"A" * (1024 * 1024 + 10), "larger than"),
])
@pytest.mark.parametrize("command", [
    ["set", "api/API_TOKEN", "--env", "dev"],
    ["rotate", "api/API_TOKEN", "--env", "dev", "--stdin", "--yes"],
])
def test_a_value_on_stdin_that_cannot_be_a_secret(project: Path, stdin: bytes, says: str, command: list[str]) -> None:
    import subprocess
    import sys

    canary = ready_project(project)
    proc = subprocess.run([sys.executable, "-m", "secretwarden", "-c", str(project), *command],
                          input=stdin, capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("warden: error: ") and says in lines[0] and lines[1].startswith("hint: ")
    assert canary not in err and canary not in proc.stdout.decode()
    r = run_warden("-c", project, "history", "api/API_TOKEN", "--env", "dev")
    assert r.returncode == 0 and r.stdout.startswith("v1 ") and "v2" not in r.stdout, r.output  # nothing written
