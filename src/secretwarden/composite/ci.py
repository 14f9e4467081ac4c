"""`warden ci`: scan, lint and status in one run, one summary, one exit code.

Each step is run even when an earlier one fails, so one CI log shows every
problem. A step that cannot run (a malformed contract, an unreachable store)
fails with its own exit code; the overall code is the worst step's code. The
scan and lint steps keep their `findings.Report`, so the SARIF log is built
from the findings themselves, one run per checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import EXIT_OK, EXIT_POLICY, WardenError
from secretwarden.findings.model import Report


@dataclass
class StepResult:
    name: str
    exit_code: int
    summary: str
    skipped: bool = False
    report: Report | None = None

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

    @property
    def reports(self) -> list[Report]:
        return [s.report for s in self.steps if s.report is not None]

    def sarif(self) -> dict[str, Any]:
        from secretwarden.findings.reporters import sarif

        return sarif.log([sarif.run(r) for r in self.reports])


def _failed(name: str, exc: WardenError) -> StepResult:
    return StepResult(name, exc.exit_code, f"could not run: {exc.message}")


def scan_step(root: Path, contract_path: str | None) -> StepResult:
    from secretwarden.composite.guardrails import scan_report

    try:
        report = scan_report(root, contract_path)
    except WardenError as exc:
        return _failed("scan", exc)
    count = len(report.gating)  # notes (public-by-design keys) are listed, never failing
    files = report.details.get("stats", {}).get("files", 0)
    code = EXIT_POLICY if count else EXIT_OK
    summary = f"{count} secret finding(s) in {files} file(s)"
    if report.notes:
        summary += f"; {len(report.notes)} note(s), public by design"
    return StepResult("scan", code, summary, report=report)


def lint_step(root: Path, contract_path: str | None, fail_on: str) -> StepResult:
    from secretwarden.composite.guardrails import lint_report

    try:
        report = lint_report(root, contract_path, fail_on)
    except WardenError as exc:
        return _failed("lint", exc)
    summary = report.details.get("summary", {})
    counts = ", ".join(f"{summary.get(s, 0)} {s}(s)" for s in ("error", "warning", "info"))
    code = EXIT_POLICY if report.failed else EXIT_OK  # lint's --fail-on never reaches a note
    return StepResult("lint", code, f"{counts} in {report.details.get('files', 0)} file(s)", report=report)


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
) -> CiResult:
    if contract_path is None and envs:
        from secretwarden.contract.loader import find_contract

        found = find_contract(root)
        contract_path = str(found) if found else None
    result = CiResult()
    result.steps.append(scan_step(root, contract_path))
    result.steps.append(lint_step(root, contract_path, fail_on))
    result.steps.append(status_step(contract_path, list(envs or [])))
    return result


def write_sarif(result: CiResult, path: Path) -> None:
    """The combined SARIF log (`warden ci --sarif`), written atomically."""
    import json

    from secretwarden.findings.reporters import write_report

    write_report(path, json.dumps(result.sarif(), indent=2, ensure_ascii=False) + "\n")
