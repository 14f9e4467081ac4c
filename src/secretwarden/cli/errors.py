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


def environment_problem(exc: BaseException) -> WardenError | None:
    """Problems of the machine, not of warden: a deleted working folder, permissions,
    a read-only or full disk, a damaged SQLite file. They get a message and exit 2/3,
    never "this is a bug" (exit 4). Only the path and the OS reason are shown."""
    from secretwarden.errors import StoreUnavailable, UsageError

    if isinstance(exc, OSError):
        try:
            os.getcwd()
        except FileNotFoundError:
            return UsageError(
                "the current folder no longer exists (deleted or moved)", hint="cd to an existing folder and retry"
            )
        from secretwarden.paths import environment_error

        name = exc.filename if isinstance(exc.filename, (str, os.PathLike)) else None
        return environment_error(exc, os.fspath(name) if name is not None else None, "file")
    if type(exc).__module__ == "sqlite3":
        return StoreUnavailable(
            f"a store file is damaged or unreadable ({type(exc).__name__})",
            hint="`warden store verify` checks each store; restore a damaged file from a backup",
        )
    return None


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
    except Exception as exc:  # an unexpected bug, or an environment problem nobody wrapped
        if debug:
            _print_frames(exc)
        known = environment_problem(exc)
        if known is not None:
            report_error(known)
            sys.exit(known.exit_code)
        click.echo(
            f"warden: internal error ({type(exc).__name__}); this is a bug",
            err=True,
        )
        click.echo("hint: rerun with --debug for the traceback and report it", err=True)
        sys.exit(EXIT_INTERNAL)
    if isinstance(rv, int):
        sys.exit(rv)
    return rv
