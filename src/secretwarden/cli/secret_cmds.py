"""Single-key commands: set, get, ls, history, rm, undelete, destroy.

`get` is the only command that prints a value.
"""

from __future__ import annotations

import sys

import click

from secretwarden.cli.common import (
    echo_json,
    env_option,
    fmt_time,
    instance_option,
    read_value,
    workspace,
)
from secretwarden.slots import parse_slot_name, printable

name_argument = click.argument("name", metavar="NAMESPACE/KEY")
versions_option = click.option(
    "--versions", default=None, help="Comma-separated version numbers (default: the current one)."
)


def _versions(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("versions are integers, e.g. 1,3", param_hint="--versions") from None


@click.command("set")
@name_argument
@env_option
@instance_option
@click.option("--value", "value_flag", default=None, help="The value itself (discouraged: it leaks to history).")
@click.option("--allow-invalid", is_flag=True, help="Store a value that fails its format check.")
@click.option("--undeclared", is_flag=True, help="Allow a key the contract does not declare.")
@click.pass_context
def set_(ctx: click.Context, name: str, env: str, instance: str | None, value_flag: str | None, allow_invalid: bool, undeclared: bool) -> None:
    """Write a new version of a secret, read from stdin or a hidden prompt."""
    from secretwarden.ops import secrets as ops

    ns, key = parse_slot_name(name)
    with workspace(ctx, "set") as ws:
        slot = ops.resolve_slot(ws, env, ns, key, instance, undeclared_ok=undeclared)
        value = read_value(from_flag=value_flag, prompt_name=slot.label())
        result = ops.set_secret(ws, slot, value, allow_invalid=allow_invalid)
    click.echo(f"{slot.label()}: wrote version {result.version}")


@click.command()
@name_argument
@env_option
@instance_option
@click.option("--version", "version", type=int, default=None, help="A specific version.")
@click.pass_context
def get(ctx: click.Context, name: str, env: str, instance: str | None, version: int | None) -> None:
    """Print a secret's value (the only command that does)."""
    from secretwarden.ops import secrets as ops

    ns, key = parse_slot_name(name)
    with workspace(ctx, "get") as ws:
        slot = ops.resolve_stored_slot(ws, env, ns, key, instance)
        value = ops.get_secret(ws, slot, version)
    # The stored bytes exactly (click.echo would drop ANSI escapes when piped), then a newline.
    sys.stdout.flush()
    sys.stdout.buffer.write(value.reveal().encode("utf-8", "surrogateescape") + b"\n")
    sys.stdout.flush()


@click.command()
@env_option
@click.option("--namespace", "-n", default=None, help="Only this namespace.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def ls(ctx: click.Context, env: str, namespace: str | None, fmt: str) -> None:
    """List keys with their versions (metadata only)."""
    from secretwarden.ops import secrets as ops

    with workspace(ctx, "ls") as ws:
        rows = ops.list_keys(ws, env, namespace)
    if fmt == "json":
        echo_json(
            [
                {
                    "slot": r.slot.label(),
                    "namespace": r.slot.namespace,
                    "key": r.slot.key,
                    "instance": r.slot.instance,
                    "version": r.version,
                    "versions": r.versions,
                    "updated_at": r.updated_at,
                    "declared": r.declared,
                    "compromised": r.compromised,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo(f"no keys in {env}" + (f" / {namespace}" if namespace else ""))
        return
    for r in rows:
        flags = [] if r.declared else ["orphaned"]
        if r.version is None:
            flags.append("deleted")
        if r.compromised:
            flags.append("COMPROMISED")
        name = f"{r.slot.namespace}/{r.slot.key}{'@' + r.slot.instance if r.slot.instance else ''}"
        click.echo(
            f"{printable(name)}"
            f"  v{r.version or '-'} ({r.versions} version(s), updated {fmt_time(r.updated_at)})"
            + (f"  [{', '.join(flags)}]" if flags else "")
        )


@click.command()
@name_argument
@env_option
@instance_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
def history(ctx: click.Context, name: str, env: str, instance: str | None, fmt: str) -> None:
    """Show a key's versions: when, by whom, state (never values)."""
    from secretwarden.ops import secrets as ops

    ns, key = parse_slot_name(name)
    with workspace(ctx, "history") as ws:
        slot = ops.resolve_stored_slot(ws, env, ns, key, instance)
        meta = ops.history(ws, slot)
    if fmt == "json":
        echo_json(
            [
                {
                    "version": v.version,
                    "created_at": v.created_at,
                    "created_by": v.created_by,
                    "source": v.source,
                    "deleted_at": v.deleted_at,
                    "destroyed": v.destroyed,
                    "valid": None if v.stamp is None else not v.stamp.problems,
                }
                for v in meta.versions
            ]
        )
        return
    current = meta.current.version if meta.current else None
    for v in meta.versions:
        state = "destroyed" if v.destroyed else ("deleted " + fmt_time(v.deleted_at) if v.deleted_at else "live")
        mark = " (current)" if v.version == current else ""
        click.echo(f"v{v.version}  {fmt_time(v.created_at)}  {v.created_by:<12} {v.source:<9} {state}{mark}")
    if meta.compromised:
        click.echo(f"COMPROMISED since {fmt_time(meta.compromised_at)}: rotate it")


def _versioned(command: str, doc: str) -> click.Command:
    @click.command(command, help=doc)
    @name_argument
    @env_option
    @instance_option
    @versions_option
    @click.pass_context
    def cmd(ctx: click.Context, name: str, env: str, instance: str | None, versions: str | None) -> None:
        from secretwarden.ops import secrets as ops

        op = {"rm": ops.remove, "undelete": ops.undelete, "destroy": ops.destroy}[command]
        ns, key = parse_slot_name(name)
        with workspace(ctx, command) as ws:
            slot = ops.resolve_stored_slot(ws, env, ns, key, instance)
            done = op(ws, slot, _versions(versions))
        verb = {"rm": "deleted (soft)", "undelete": "restored", "destroy": "destroyed"}[command]
        listed = ", ".join(f"v{v}" for v in done) or "nothing"
        click.echo(f"{slot.label()}: {verb} {listed}")

    return cmd


rm = _versioned("rm", "Soft-delete a version (default: the current one); `undelete` restores it.")
undelete = _versioned("undelete", "Restore soft-deleted versions (default: the newest deleted one).")
destroy = _versioned("destroy", "Erase versions' ciphertext for good; their fingerprints stay to block reuse.")
