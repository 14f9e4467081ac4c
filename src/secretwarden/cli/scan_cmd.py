"""`warden scan`: parse options, call `secretwarden.scan.runner.run_scan`, render."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

import click

from secretwarden.errors import UsageError
from secretwarden.findings.reporters import FORMATS
from secretwarden.scan.config import CONFIDENCE_LEVELS, DEFAULT_MIN_CONFIDENCE

_SIZE = re.compile(r"^(\d{1,30})([kKmMgG]?)[bB]?$")  # bounded: int() refuses texts over 4300 digits


def _parse_size(value: str | None) -> int | None:
    if value is None:
        return None
    m = _SIZE.match(value.strip())
    if not m:
        raise UsageError(f"--max-file-size: cannot read {value!r}", hint="use bytes or a suffix: 500k, 10M, 1G")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    return int(m.group(1)) * factor


# stdin is held in memory whole: bounded like a file (--max-file-size), 64 MiB when not given.
_STDIN_DEFAULT_LIMIT = 64 * 1024 * 1024


def _read_stdin(size: int | None) -> bytes:
    limit = size if size is not None else _STDIN_DEFAULT_LIMIT
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"stdin is larger than {limit} bytes; nothing was scanned",
                         hint="pass --max-file-size to scan more, or scan the file by its path")
    return data


def _progress_bar(enabled: bool) -> tuple[Any, Any]:
    """A rich progress bar on stderr for long interactive scans, or (None, None)."""
    if not enabled or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    progress = Progress("scanning", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    task = progress.add_task("scan", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def _list_rules() -> None:
    from secretwarden.scan.rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.id:<34} {rule.severity:<9} {rule.description}")


@click.command("scan")
@click.argument("targets", nargs=-1, metavar="[PATH]...")
@click.option("--git", "git_history", is_flag=True,
              help="Scan the history instead of the tree: every commit of every ref (branches, tags, remotes), "
                   "merges included (what a merge adds relative to all its parents). PATH arguments restrict "
                   "it to the history of those paths.")
@click.option("--since", metavar="REV",
              help="With --git: every ref's commits that REV does not contain (not only REV..HEAD).")
@click.option("--no-cache", is_flag=True,
              help="With --git: read every commit again instead of skipping those a previous scan found clean.")
@click.option("--branch", metavar="NAME", help="With --git: only this branch's history.")
@click.option("--staged", is_flag=True, help="Scan only lines added in the staged changes (pre-commit).")
@click.option("--no-ignore", is_flag=True, help="Also scan files that .gitignore excludes.")
@click.option("--max-file-size", metavar="SIZE", help="Skip files larger than SIZE (default 10M).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--show-secrets", is_flag=True, help="Print secret values in full (default: first 4 characters).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Baseline file (default: .warden-baseline.json at the repository root).")
@click.option("--update-baseline", is_flag=True, help="Record every current finding in the baseline and exit 0.")
@click.option("--no-baseline", is_flag=True, help="Report findings even when they are in the baseline.")
@click.option("--rule", "only_rules", multiple=True, metavar="ID", help="Run only this rule (repeatable).")
@click.option("--disable-rule", "disabled", multiple=True, metavar="ID", help="Do not run this rule (repeatable).")
@click.option("--min-confidence", type=click.Choice(list(CONFIDENCE_LEVELS)), default=DEFAULT_MIN_CONFIDENCE, show_default=True,
              help="Hide findings below this confidence (low shows dictionary-word passwords and the like).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (default: one per core).")
@click.option("--list-rules", is_flag=True, help="Print the rule ids and exit.")
@click.option("--no-progress", is_flag=True, help="Never show a progress bar.")
@click.option("--notes", "show_notes", is_flag=True,
              help="Also list notes in text and github output: keys that are public by design (Firebase web "
                   "apiKey, Mapbox pk., captcha site keys, Stripe pk_...). Notes never fail; json, sarif and "
                   "markdown always carry them.")
@click.option("--verbose", "-v", is_flag=True, help="List skipped and partly read files.")
@click.pass_context
def scan(ctx: click.Context, targets: tuple[str, ...], git_history: bool, since: str | None, no_cache: bool,
         branch: str | None,
         staged: bool, no_ignore: bool, max_file_size: str | None, fmt: str, output: str | None,
         show_secrets: bool, baseline_path: str | None, update_baseline: bool, no_baseline: bool,
         only_rules: tuple[str, ...], disabled: tuple[str, ...], min_confidence: str, jobs: int,
         list_rules: bool, no_progress: bool, show_notes: bool, verbose: bool) -> int:
    """Find committed secrets: in a tree (default), --git history, --staged changes, or `-` (stdin).

    PATH is a directory or file (default: the current directory); with --git,
    one or more paths inside one repository whose history to scan.

    Exit 0 when clean, 1 when findings remain, 2 on usage errors. Notes
    (public-by-design keys) are listed but never make the exit code 1.
    """
    if list_rules:
        _list_rules()
        return 0
    from secretwarden.findings.model import RenderOptions
    from secretwarden.findings.reporters import render, write_report
    from secretwarden.scan.command import scan as run_scan_command
    from secretwarden.scan.config import ScanOptions
    from secretwarden.scan.report import to_report

    if git_history and staged:
        raise UsageError("--git and --staged cannot be combined")
    if (since or branch or no_cache) and not git_history:
        raise UsageError("--since, --branch and --no-cache need --git")
    if len(targets) > 1 and not git_history:
        raise UsageError("several paths need --git", hint="scan one directory or file at a time")
    target = targets[0] if targets else "."
    mode = "git" if git_history else "staged" if staged else "stdin" if target == "-" else "files"
    if mode == "stdin" and update_baseline:
        raise UsageError("--update-baseline needs a tree or a repository, not stdin")
    if mode in ("files", "staged") and not Path(target).exists():
        raise UsageError(f"{target}: no such file or directory")
    size = _parse_size(max_file_size)
    options = ScanOptions(
        target=target, mode=mode, honour_ignore=not no_ignore, since=since, branch=branch, jobs=jobs,
        disabled_rules=frozenset(disabled), only_rules=frozenset(only_rules),
        min_confidence=CONFIDENCE_LEVELS[min_confidence], paths=targets if mode == "git" else (),
        use_cache=not no_cache,
    )
    if size is not None:
        options.max_file_size = size
    stdin_data = _read_stdin(size) if mode == "stdin" else None
    progress, update = _progress_bar(not no_progress and fmt == "text" and output is None and mode != "stdin")
    options.progress = update
    run = functools.partial(run_scan_command, options, contract_path=(ctx.obj or {}).get("contract_path"),
                            baseline_path=baseline_path, use_baseline=not no_baseline,
                            update_baseline=update_baseline, size_given=size is not None, stdin_data=stdin_data)
    if progress is not None:
        with progress:
            outcome = run()
    else:
        outcome = run()

    if outcome.baseline_written is not None:
        click.echo(f"baseline {outcome.baseline}: {outcome.baseline_written} fingerprint(s) recorded, no values",
                   err=True)
        return 0
    report = to_report(outcome.result, outcome.root, verbose=verbose)
    text = render(report, fmt, RenderOptions(show_secrets=show_secrets, verbose=verbose, colour=output is None,
                                             notes=show_notes))
    if output:
        write_report(Path(output), text, holds_values=show_secrets)
        if fmt != "text":
            click.echo(report.summary, err=True)
    else:
        click.echo(text, nl=False)
    return 0 if outcome.result.clean else 1
