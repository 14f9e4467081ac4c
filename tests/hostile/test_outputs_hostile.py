"""Output paths a command cannot write: every one is the user's error (exit 2), named as given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run_warden, run_warden_obeying_file_modes
from tests.hostile.support import ready_project

OUTPUTS = [
    ("render", "schema", "--service", "api", "--lang", "zod", "--out", "{dir}/settings.ts"),
    ("render", "env-example", "--out", "{dir}"),
    ("rotation", "calendar", "--out", "{dir}/due.ics"),
    ("scan", "{src}", "-o", "{dir}/scan.json", "--format", "json"),
    ("report", "--format", "json", "-o", "{dir}/report.json"),
]


@pytest.mark.parametrize("command", OUTPUTS)
def test_an_output_in_a_read_only_folder_is_a_usage_error_naming_the_path(project: Path, tmp_path: Path, command: tuple[str, ...]) -> None:
    canary = ready_project(project)
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    src = tmp_path / "src"
    src.mkdir()
    try:
        args = [part.format(dir=folder, src=src) for part in command]
        proc = run_warden_obeying_file_modes("-c", project, *args)
    finally:
        folder.chmod(0o700)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"warden: error: {folder}/") and lines[1].startswith("hint: "), proc.stderr
    assert ".warden.tmp" not in proc.stderr and canary not in proc.stderr + proc.stdout
    assert list(folder.iterdir()) == []


def test_render_schema_into_a_fifo_nobody_reads_does_not_wait(project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "settings.ts"
    os.mkfifo(fifo)
    r = run_warden("-c", project, "render", "schema", "--service", "api", "--lang", "zod", "--out", fifo, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith(f"warden: error: {fifo}: cannot write the schema"), r.output
    assert fifo.exists() and not fifo.is_file()  # written into, never replaced
