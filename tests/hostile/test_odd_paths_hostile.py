"""A project in a folder whose name is not UTF-8 (bytes the file system allows, Python sees as surrogates).

`status`, `rotation status`, `isolation` and `report` built their cache context
with a strict UTF-8 encode, `report --html` wrote its file the same way, and
the SARIF writer percent-quoted paths strictly: each was exit 4
(UnicodeEncodeError) for a folder name any user can create.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, Result
from tests.hostile.support import ready_project


def run_warden(*args: str, cwd: Path) -> Result:
    """The real command; its output may carry the folder's bytes as they are, so it is decoded leniently."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "secretwarden", *args], cwd=cwd, capture_output=True, timeout=120)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


@pytest.fixture
def odd_project(tmp_path: Path) -> Path:
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/proj\xfe\xff"))
    folder.mkdir()
    contract = folder / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    return contract


@pytest.mark.parametrize("command", [
    ["status", "--env", "dev"],
    ["status", "--env", "dev", "--format", "json"],
    ["rotation", "status"],
    ["isolation"],
    ["report", "--format", "json"],
    ["lint", ".", "--format", "sarif"],
])
def test_reports_from_a_folder_named_in_bytes(odd_project: Path, command: list[str]) -> None:
    canary = ready_project(odd_project)
    r = run_warden(*command, cwd=odd_project.parent)
    assert r.returncode in (0, 1), r.output
    assert "Traceback" not in r.output and "internal error" not in r.output and canary not in r.output


@pytest.mark.parametrize("command", [
    ["report", "--html", "{out}/dash.html"],
    ["lint", ".", "--format", "sarif", "-o", "{out}/lint.sarif"],
    ["ci", ".", "--sarif", "{out}/ci.sarif"],
])
def test_output_files_from_a_folder_named_in_bytes(odd_project: Path, tmp_path: Path, command: list[str]) -> None:
    canary = ready_project(odd_project)
    args = [part.format(out=tmp_path) for part in command]
    r = run_warden(*args, cwd=odd_project.parent)
    assert r.returncode in (0, 1), r.output
    assert "internal error" not in r.output and canary not in r.output
    written = tmp_path / Path(args[-1]).name
    assert canary not in written.read_bytes().decode("utf-8", "replace")
    if written.suffix == ".sarif":
        doc = json.loads(written.read_bytes())
        assert doc["runs"] and "\\udc" not in json.dumps(doc)  # percent-encoded bytes, not surrogates
