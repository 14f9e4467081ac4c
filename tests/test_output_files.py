"""`paths.write_output`: the one way a command writes a file the user asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden.errors import InputError
from secretwarden.paths import write_output, write_outputs
from tests.conftest import run_warden


def test_output_is_written_whole_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.txt"
    assert write_output(target, "first\n") == target
    write_output(target, "second\n", mode=0o600)
    assert target.read_text() == "second\n" and (target.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in tmp_path.joinpath("deep").iterdir()] == ["report.txt"]  # no temp file left


def test_several_outputs_in_one_folder(tmp_path: Path) -> None:
    written = write_outputs(tmp_path / "out", {"a.hcl": "a\n", "b.hcl": "b\n"}, what="policy")
    assert [p.name for p in written] == ["a.hcl", "b.hcl"] and written[1].read_text() == "b\n"


def test_unwritable_path_is_the_users_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match=r"out\.ics: cannot write the calendar \(.+\)$"):
        write_output(blocker / "out.ics", "x", what="calendar")


def test_cli_output_into_a_file_path_is_exit_2_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    (tmp_path / "a.py").write_text("print('hello')\n")
    proc = run_warden("scan", tmp_path / "a.py", "--format", "json", "-o", blocker / "scan.json", cwd=tmp_path)
    assert proc.returncode == 2
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("warden: error: ") and "scan.json: cannot write the report (" in first
    assert "Traceback" not in proc.stderr


def test_render_out_into_a_file_is_exit_2_one_line(tmp_path: Path) -> None:
    from tests.conftest import MINIMAL_CONTRACT

    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_warden("--contract", contract, "render", "env-example", "--out", blocker / "examples", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write the rendered file (" in proc.stderr and "Traceback" not in proc.stderr
    ok = run_warden("--contract", contract, "render", "env-example", "--out", tmp_path / "examples", cwd=tmp_path)
    assert ok.returncode == 0 and "wrote " in ok.stdout
    reported = [Path(line.removeprefix("wrote ")).name for line in ok.stdout.splitlines() if line.startswith("wrote ")]
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == sorted(reported)
