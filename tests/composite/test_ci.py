"""`run_ci` as a library call: one step per gate, the worst exit code, one SARIF log.

The command's output is tested through the real CLI in tests/lint/test_cli.py;
these check the data the command renders.
"""

from __future__ import annotations

from pathlib import Path

from secretwarden.composite.ci import CiResult, run_ci
from secretwarden.errors import EXIT_OK, EXIT_POLICY, EXIT_USAGE
from tests.conftest import MINIMAL_CONTRACT
from tests.scan.scan_helpers import fake

# What the `required-ignore` lint rule asks of every repository.
GITIGNORE = "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n!.env.example\n.warden/\n"


def _steps(result: CiResult) -> dict[str, tuple[int, bool]]:
    return {s.name: (s.exit_code, s.skipped) for s in result.steps}


def test_clean_folder_passes_and_status_is_skipped_without_env(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text(GITIGNORE)
    (tmp_path / "app.py").write_text("import os\nTOKEN = os.environ['API_TOKEN']\n")
    result = run_ci(tmp_path)
    assert _steps(result) == {"scan": (EXIT_OK, False), "lint": (EXIT_OK, False), "status": (EXIT_OK, True)}
    assert result.ok and result.exit_code == EXIT_OK
    runs = result.sarif()["runs"]
    assert [r["tool"]["driver"]["name"] for r in runs] == ["warden scan", "warden lint"]


def test_a_committed_secret_fails_the_scan_step_and_the_run(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(f'GITHUB_TOKEN = "{fake("ghp_{alnum:36}")}"\n')
    result = run_ci(tmp_path)
    assert _steps(result)["scan"] == (EXIT_POLICY, False)
    assert result.exit_code == EXIT_POLICY and not result.ok


def test_status_step_reports_gaps_and_a_contract_error_is_its_own_exit_code(tmp_path: Path) -> None:
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT)
    result = run_ci(tmp_path, envs=["dev"])  # the contract is found from the folder
    assert _steps(result)["status"] == (EXIT_POLICY, False)  # nothing set yet: BLOCKED
    unknown = run_ci(tmp_path, envs=["qa"])
    status = next(s for s in unknown.steps if s.name == "status")
    assert status.exit_code == EXIT_USAGE and status.summary.startswith("could not run:")
    assert unknown.exit_code == EXIT_USAGE
