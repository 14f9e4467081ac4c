"""The single place that turns exceptions into a message and an exit code.

A `WardenError` becomes `warden: error: <message>` plus an optional hint line.
Anything else is a bug: we print its type only, because the text of a foreign
exception may carry input data. `--debug` (or WARDEN_DEBUG=1) adds the
traceback frames, again without foreign exception text.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from secretwarden.errors import EXIT_INTERRUPTED, EXIT_USAGE, ContractError, WardenError

EXIT_INTERNAL = 4


def _debug_wanted(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("WARDEN_DEBUG") == "1"


def _print_frames(exc: BaseException) -> None:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    sys.stderr.write("Traceback (most recent call last):\n" + frames)
    text = str(exc) if isinstance(exc, WardenError) else "<message withheld: may contain input data>"
    sys.stderr.write(f"{type(exc).__module__}.{type(exc).__qualname__}: {text}\n")


def report_error(exc: WardenError) -> None:
    click.echo(f"warden: error: {exc.message}", err=True)
    if isinstance(exc, ContractError):
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
    if exc.hint:
        click.echo(f"hint: {exc.hint}", err=True)


def run_cli(command: click.Command, argv: list[str] | None = None) -> Any:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_wanted(args)
    try:
        rv = command.main(args=args, prog_name="warden", standalone_mode=False)
    except WardenError as exc:
        if debug:
            _print_frames(exc)
        report_error(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("warden: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("warden: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # Reader went away (`warden ls | head`): not an error worth a message.
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:  # an unexpected bug: never echo its text
        if debug:
            _print_frames(exc)
        click.echo(
            f"warden: internal error ({type(exc).__name__}); this is a bug",
            err=True,
        )
        click.echo("hint: rerun with --debug for the traceback and report it", err=True)
        sys.exit(EXIT_INTERNAL)
    if isinstance(rv, int):
        sys.exit(rv)
    return rv
