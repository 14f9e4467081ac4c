"""Ctrl-C during start-up (before the CLI's error handler exists) is one line and exit 130, no traceback.

A real SIGINT is delivered to the process at a fixed point of start-up: an audit hook sends it
when the contract file is opened, which is the fast `run` path's (and every command's) first
read. Before the fix this printed a KeyboardInterrupt traceback from inside an import or a read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT

# The driver restores Python's own SIGINT handler: a suite started in the background by a
# non-interactive shell inherits SIGINT ignored, and Python then installs no handler at all.
_DRIVER = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
def hook(event, args):
    if event == "open" and str(args[0]).endswith("warden.yaml"):
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(hook)
sys.argv = ["warden", *sys.argv[1:]]
from secretwarden.entry import main
main()
"""


@pytest.mark.parametrize("args", [["run", "-s", "shared", "-e", "dev", "--", "true"], ["status", "--env", "dev"], ["validate"]])
def test_ctrl_c_while_the_contract_is_read(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT)
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "warden: interrupted"
