"""`warden lint`: guardrail policies for the repository and its deployment files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from secretwarden.findings.reporters import FORMATS

if TYPE_CHECKING:
    from secretwarden.lint.context import LintContext
    from secretwarden.lint.model import LintResult


def _list_rules() -> None:
    from secretwarden.lint.registry import all_rules

    for rule in all_rules():
        scope = " (needs warden.yaml)" if rule.needs_contract else ""
        click.echo(f"{rule.id:32} {rule.severity:8} {rule.title}{scope}")


@click.command("lint")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True,
              help="Exit 1 when a finding at or above this severity remains.")
@click.option("--checklist", is_flag=True, help="Print the new-service bootstrap checklist per service.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--rule", "only", multiple=True, metavar="ID", help="Run only this rule (repeatable).")
@click.option("--no-contract", is_flag=True, help="Ignore warden.yaml; use name heuristics only.")
@click.option("--list-rules", is_flag=True, help="Print the rule ids and exit.")
@click.option("--staged", is_flag=True, help="Lint only the files staged in git (for a pre-commit hook).")
@click.pass_context
def lint(ctx: click.Context, path: Path, fmt: str, fail_on: str, checklist: bool, output: str | None,
         only: tuple[str, ...], no_contract: bool, list_rules: bool, staged: bool) -> int:
    """Check PATH (default: .) against the guardrail rules and warden.yaml.

    Exit 0 when clean, 1 when a finding at or above --fail-on remains, 2 on
    usage or contract errors. Silence one line with
    `# warden:allow <rule-id> <reason>`.
    """
    if list_rules:
        _list_rules()
        return 0
    from secretwarden.errors import UsageError
    from secretwarden.findings.model import RenderOptions
    from secretwarden.findings.reporters import render, write_report
    from secretwarden.lint.engine import lint_repository
    from secretwarden.lint.report import to_report

    if not path.is_dir():
        raise UsageError(f"{path}: not a directory", hint="pass the repository folder to lint")
    contract_path = (ctx.find_root().obj or {}).get("contract_path")
    result, lctx = lint_repository(path, contract_path=contract_path, use_contract=not no_contract,
                                   only=list(only) or None, staged=staged)
    if checklist:
        return _checklist(result, lctx)
    report = to_report(result, fail_on=fail_on)
    text = render(report, fmt, RenderOptions(colour=output is None))
    if output:
        write_report(Path(output), text)
        click.echo(report.summary, err=True)
    else:
        click.echo(text, nl=False)
    return 1 if report.failed else 0


def _checklist(result: LintResult, lctx: LintContext) -> int:
    from secretwarden.errors import UsageError
    from secretwarden.lint.checklist import build_checklist

    lists = build_checklist(result, lctx)
    if not lists:
        raise UsageError("--checklist needs a warden.yaml", hint="pass --contract PATH or run inside the repository")
    for entry in lists:
        verdict = "ready" if entry.ok else "NOT READY"
        click.echo(f"{entry.service}: {verdict}")
        for item in entry.items:
            mark = "✓" if item.ok else "✗"
            click.echo(f"  {mark} {item.label} — {item.detail}")
    return 0 if all(e.ok for e in lists) else 1
