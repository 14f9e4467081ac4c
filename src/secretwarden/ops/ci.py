"""`warden ci`: scan, lint and status in one run, one summary, one exit code.

Each step is run even when an earlier one fails, so one CI log shows every
problem. A step that cannot run (a malformed contract, an unreachable store)
fails with its own exit code; the overall code is the worst step's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import EXIT_OK, EXIT_POLICY, WardenError


@dataclass
class StepResult:
    name: str
    exit_code: int
    summary: str
    skipped: bool = False
    sarif_run: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK


@dataclass
class CiResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return max((s.exit_code for s in self.steps), default=EXIT_OK)

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def sarif(self) -> dict[str, Any]:
        from secretwarden.lint.reporters.sarif import sarif_log

        return sarif_log([s.sarif_run for s in self.steps if s.sarif_run is not None])


def _failed(name: str, exc: WardenError) -> StepResult:
    return StepResult(name, exc.exit_code, f"could not run: {exc.message}")


def scan_step(root: Path, contract_path: str | None, want_sarif: bool) -> StepResult:
    try:
        from secretwarden.scan.config import ScanOptions, apply_policy, load_policy
        from secretwarden.scan.runner import run_scan
    except ImportError:
        return StepResult("scan", EXIT_OK, "skipped: the scan module is not installed in this build", skipped=True)
    try:
        options = ScanOptions(target=str(root), mode="files")
        options = apply_policy(options, load_policy(contract_path, root.resolve()), size_given=False)
        baseline = root / ".warden-baseline.json"
        if options.baseline is None and baseline.is_file():
            options.baseline = str(baseline)
        result = run_scan(options)
    except WardenError as exc:
        return _failed("scan", exc)
    run: dict[str, Any] | None = None
    if want_sarif:
        import json

        from secretwarden.scan.reporters import get_reporter

        runs = json.loads(get_reporter("sarif")(result, False, False)).get("runs", [])
        run = runs[0] if runs else None
    count = len(result.findings)
    code = EXIT_POLICY if count else EXIT_OK
    return StepResult("scan", code, f"{count} secret finding(s) in {result.stats.files} file(s)", sarif_run=run)


def lint_step(root: Path, contract_path: str | None, fail_on: str, want_sarif: bool) -> StepResult:
    from secretwarden.lint.engine import run_lint

    try:
        result = run_lint(root, contract_path=contract_path)
    except WardenError as exc:
        return _failed("lint", exc)
    run = None
    if want_sarif:
        from secretwarden.lint.reporters.sarif import run_for

        run = run_for(result)
    counts = ", ".join(f"{result.count(s)} {s}(s)" for s in ("error", "warning", "info"))
    code = EXIT_POLICY if result.fails(fail_on) else EXIT_OK
    return StepResult("lint", code, f"{counts} in {result.files} file(s)", sarif_run=run)


def status_step(contract_path: str | None, envs: list[str]) -> StepResult:
    if not envs:
        return StepResult("status", EXIT_OK, "skipped: no --env given", skipped=True)
    from secretwarden.ops.status import gap_report
    from secretwarden.ops.workspace import Workspace

    try:
        with Workspace.load(contract_path, command="ci") as ws:
            report = gap_report(ws, envs)
    except WardenError as exc:
        return _failed("status", exc)
    code = EXIT_OK if report.ok else EXIT_POLICY
    return StepResult("status", code, f"{', '.join(envs)}: {report.verdict}")


def run_ci(
    root: Path,
    *,
    contract_path: str | None = None,
    envs: list[str] | None = None,
    fail_on: str = "error",
    want_sarif: bool = False,
) -> CiResult:
    if contract_path is None and envs:
        from secretwarden.contract.loader import find_contract

        found = find_contract(root)
        contract_path = str(found) if found else None
    result = CiResult()
    result.steps.append(scan_step(root, contract_path, want_sarif))
    result.steps.append(lint_step(root, contract_path, fail_on, want_sarif))
    result.steps.append(status_step(contract_path, list(envs or [])))
    return result
