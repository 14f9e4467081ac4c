"""`warden --help` lists every command, so it imports every command module: those
modules import what a command needs when it runs, not when they load."""

from __future__ import annotations

import subprocess
import sys

# Heavy or store-side modules no help text needs.
NOT_FOR_HELP = (
    "pydantic", "yaml", "ruamel", "rich", "hvac", "hyperscan", "jinja2", "cryptography", "sqlite3",
    "secretwarden.ops.workspace", "secretwarden.contract.model", "secretwarden.audit.log",
)


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from secretwarden.cli.main import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='warden')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "status" in proc.stdout and "scan" in proc.stdout  # the help was printed, commands listed
    loaded = set(proc.stderr.split())
    heavy = sorted(m for m in loaded if m.split(".")[0] in NOT_FOR_HELP or m in NOT_FOR_HELP)
    assert heavy == [], heavy
