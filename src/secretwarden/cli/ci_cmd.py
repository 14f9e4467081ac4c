"""`warden ci`: scan + lint + status with one summary and one exit code."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("ci")
@click.argument("path", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--env", "-e", "envs", multiple=True, metavar="ENV",
              help="Run the gap report for this environment (repeatable; none: status is skipped).")
@click.option("--sarif", "sarif_out", type=click.Path(dir_okay=False), help="Write one SARIF file with the scan and lint results.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error", show_default=True,
              help="Lint severity that fails the run.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def ci(ctx: click.Context, path: Path, envs: tuple[str, ...], sarif_out: str | None, fail_on: str, fmt: str) -> int:
    """Run `scan`, `lint` and (with --env) `status`; exit with the worst step's code.

    Exit 0 when every step passes, 1 on findings or gaps, 2 on usage or
    contract errors, 3 when a store cannot be read.
    """
    from secretwarden.composite.ci import run_ci, write_sarif
    from secretwarden.errors import UsageError

    if not path.is_dir():
        raise UsageError(f"{path}: not a directory")
    contract_path = (ctx.find_root().obj or {}).get("contract_path")
    result = run_ci(path, contract_path=contract_path, envs=list(envs), fail_on=fail_on)
    if sarif_out:
        write_sarif(result, Path(sarif_out))
    if fmt == "json":
        click.echo(json.dumps({
            "exit_code": result.exit_code,
            "steps": [{"name": s.name, "exit_code": s.exit_code, "skipped": s.skipped, "summary": s.summary}
                      for s in result.steps],
        }, indent=2))
    else:
        for step in result.steps:
            mark = "skip" if step.skipped else ("pass" if step.ok else "FAIL")
            click.echo(f"{step.name:7} {mark:5} {step.summary}")
        verdict = "PASS" if result.ok else f"FAIL (exit {result.exit_code})"
        click.echo(f"ci: {verdict}")
        if not result.ok:
            click.echo("details: `warden scan`, `warden lint`, `warden status --env ...`", err=True)
    return result.exit_code
