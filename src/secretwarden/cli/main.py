"""The `warden` command group.

Commands are registered by name in `COMMANDS` and imported only when invoked,
so `warden --help` and the fast commands do not pay for the heavy ones.
Adding a command is one module under `secretwarden/cli/`, a three-line
loader and one entry in `COMMANDS` here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from secretwarden import __version__

# Each loader imports its command's module when the command runs (`warden --help`
# and the fast commands pay for nothing else) and is typed, so mypy catches an
# entry whose module or attribute was renamed.


def _schema() -> click.Command:
    from secretwarden.cli.contract_cmds import schema

    return schema


def _validate() -> click.Command:
    from secretwarden.cli.contract_cmds import validate

    return validate


def _init() -> click.Command:
    from secretwarden.cli.contract_cmds import init

    return init


def _set() -> click.Command:
    from secretwarden.cli.secret_cmds import set_

    return set_


def _get() -> click.Command:
    from secretwarden.cli.secret_cmds import get

    return get


def _ls() -> click.Command:
    from secretwarden.cli.secret_cmds import ls

    return ls


def _history() -> click.Command:
    from secretwarden.cli.secret_cmds import history

    return history


def _rm() -> click.Command:
    from secretwarden.cli.secret_cmds import rm

    return rm


def _undelete() -> click.Command:
    from secretwarden.cli.secret_cmds import undelete

    return undelete


def _destroy() -> click.Command:
    from secretwarden.cli.secret_cmds import destroy

    return destroy


def _status() -> click.Command:
    from secretwarden.cli.ops_cmds import status

    return status


def _check() -> click.Command:
    from secretwarden.cli.ops_cmds import check

    return check


def _run() -> click.Command:
    from secretwarden.cli.ops_cmds import run

    return run


def _bootstrap() -> click.Command:
    from secretwarden.cli.ops_cmds import bootstrap

    return bootstrap


def _audit() -> click.Command:
    from secretwarden.cli.audit_cmds import audit

    return audit


def _sops() -> click.Command:
    from secretwarden.cli.sops_cmd import sops

    return sops


def _store() -> click.Command:
    from secretwarden.cli.store_cmds import store

    return store


def _redact() -> click.Command:
    from secretwarden.cli.redact_cmd import redact

    return redact


def _rotation() -> click.Command:
    from secretwarden.cli.rotation_cmds import rotation

    return rotation


def _rotate() -> click.Command:
    from secretwarden.cli.rotation_cmds import rotate

    return rotate


def _incident() -> click.Command:
    from secretwarden.cli.incident_cmds import incident

    return incident


def _isolation() -> click.Command:
    from secretwarden.cli.isolation_cmd import isolation

    return isolation


def _scan() -> click.Command:
    from secretwarden.cli.scan_cmd import scan

    return scan


def _report() -> click.Command:
    from secretwarden.cli.report_cmd import report

    return report


def _serve() -> click.Command:
    from secretwarden.cli.serve_cmd import serve

    return serve


def _lint() -> click.Command:
    from secretwarden.cli.lint_cmd import lint

    return lint


def _ci() -> click.Command:
    from secretwarden.cli.ci_cmd import ci

    return ci


def _render() -> click.Command:
    from secretwarden.cli.render_cmd import render

    return render


def _import() -> click.Command:
    from secretwarden.cli.import_cmd import import_

    return import_


def _migrate() -> click.Command:
    from secretwarden.cli.migrate_cmd import migrate

    return migrate


def _sync() -> click.Command:
    from secretwarden.cli.sync_cmd import sync

    return sync


COMMANDS: dict[str, Callable[[], click.Command]] = {
    "schema": _schema,
    "validate": _validate,
    "init": _init,
    "set": _set,
    "get": _get,
    "ls": _ls,
    "history": _history,
    "rm": _rm,
    "undelete": _undelete,
    "destroy": _destroy,
    "status": _status,
    "check": _check,
    "run": _run,
    "bootstrap": _bootstrap,
    "audit": _audit,
    "sops": _sops,
    "store": _store,
    "redact": _redact,
    "rotation": _rotation,
    "rotate": _rotate,
    "incident": _incident,
    "isolation": _isolation,
    "scan": _scan,
    "report": _report,
    "serve": _serve,
    "lint": _lint,
    "ci": _ci,
    "render": _render,
    "import": _import,
    "migrate": _migrate,
    "sync": _sync,
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        loader = COMMANDS.get(cmd_name)
        return None if loader is None else loader()

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name is not None and name not in COMMANDS and not name.startswith("-"):
            from secretwarden.contract.suggest import closest

            guess = closest(name, COMMANDS)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            raise click.UsageError(f"unknown command `{name}`{hint}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="warden")
@click.option(
    "--contract",
    "-c",
    "contract_path",
    type=click.Path(dir_okay=False),
    envvar="WARDEN_CONTRACT",
    help="Path to warden.yaml (default: search upwards from the current directory).",
)
@click.option("--debug", is_flag=True, help="Add a traceback to errors (values are never shown).")
@click.pass_context
def cli(ctx: click.Context, contract_path: str | None, debug: bool) -> None:
    """Govern your secrets from one contract (warden.yaml)."""
    ctx.ensure_object(dict)
    ctx.obj["contract_path"] = contract_path
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> Any:
    from secretwarden.cli.errors import run_cli

    return run_cli(cli, argv)
