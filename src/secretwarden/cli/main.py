"""The `warden` command group.

Commands are registered by name in `COMMANDS` and imported only when invoked,
so `warden --help` and the fast commands do not pay for the heavy ones.
Adding a command is one module under `secretwarden/cli/` and one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from secretwarden import __version__

# name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "schema": "secretwarden.cli.contract_cmds:schema",
    "validate": "secretwarden.cli.contract_cmds:validate",
    "init": "secretwarden.cli.contract_cmds:init",
    "set": "secretwarden.cli.secret_cmds:set_",
    "get": "secretwarden.cli.secret_cmds:get",
    "ls": "secretwarden.cli.secret_cmds:ls",
    "history": "secretwarden.cli.secret_cmds:history",
    "rm": "secretwarden.cli.secret_cmds:rm",
    "undelete": "secretwarden.cli.secret_cmds:undelete",
    "destroy": "secretwarden.cli.secret_cmds:destroy",
    "status": "secretwarden.cli.ops_cmds:status",
    "check": "secretwarden.cli.ops_cmds:check",
    "run": "secretwarden.cli.ops_cmds:run",
    "bootstrap": "secretwarden.cli.ops_cmds:bootstrap",
    "audit": "secretwarden.cli.audit_cmds:audit",
    "sops": "secretwarden.cli.sops_cmd:sops",
    "store": "secretwarden.cli.store_cmds:store",
    "redact": "secretwarden.cli.redact_cmd:redact",
    "rotation": "secretwarden.cli.rotation_cmds:rotation",
    "rotate": "secretwarden.cli.rotation_cmds:rotate",
    "incident": "secretwarden.cli.incident_cmds:incident",
    "isolation": "secretwarden.cli.isolation_cmd:isolation",
    "scan": "secretwarden.cli.scan_cmd:scan",
    "report": "secretwarden.cli.report_cmd:report",
    "serve": "secretwarden.cli.serve_cmd:serve",
    "lint": "secretwarden.cli.lint_cmd:lint",
    "ci": "secretwarden.cli.ci_cmd:ci",
    "render": "secretwarden.cli.render_cmd:render",
    "import": "secretwarden.cli.import_cmd:import_",
    "migrate": "secretwarden.cli.migrate_cmd:migrate",
    "sync": "secretwarden.cli.sync_cmd:sync",
    # scan / lint / render / ... register here as they land
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

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
