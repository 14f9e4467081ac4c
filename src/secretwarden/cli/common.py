"""Helpers shared by the command modules: workspace loading, value input, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

import click

from secretwarden.errors import InputError
from secretwarden.value_class import FrozenValue

if TYPE_CHECKING:  # imported when a command runs: `warden --help` loads every command module
    from secretwarden.ops.workspace import Workspace
    from secretwarden.stores.base import SecretValue

env_option = click.option("--env", "-e", "env", required=True, help="Environment name from the contract.")
instance_option = click.option("--instance", default=None, help="Tenant instance (per-instance services).")
MAX_VALUE_BYTES = 1024 * 1024


def workspace(ctx: click.Context, command: str, *, store_flags: frozenset[str] = frozenset()) -> Workspace:
    from secretwarden.ops.workspace import Workspace

    obj = ctx.find_root().obj or {}
    return Workspace.load(obj.get("contract_path"), command=command, store_flags=store_flags)


def read_value(*, from_flag: str | None, prompt_name: str) -> SecretValue:
    """A value from --value (with a warning), stdin, or a hidden prompt."""
    from secretwarden.stores.base import SecretValue

    if from_flag is not None:
        click.echo(
            "warden: warning: a value on the command line can leak through shell history and `ps`",
            err=True,
        )
        return SecretValue(from_flag)
    if sys.stdin.isatty():
        first = click.prompt(f"Value for {prompt_name}", hide_input=True, err=True)
        again = click.prompt("Repeat the value", hide_input=True, err=True)
        if first != again:
            raise InputError("the two values differ; nothing was written", hint="type the same value twice")
        return SecretValue(first)
    raw = sys.stdin.buffer.read(MAX_VALUE_BYTES + 1)
    if len(raw) > MAX_VALUE_BYTES:
        raise InputError(f"the value on stdin is larger than {MAX_VALUE_BYTES} bytes; nothing was written", hint="a secret is at most 1 MiB; keep large files outside the store and store their key")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the value on stdin is not valid UTF-8; nothing was written", hint="secrets are text: encode binary values first (for example base64)") from None
    # A single trailing newline comes from `echo`/heredocs, not from the secret.
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if text == "":
        raise InputError("empty value on stdin; nothing was written")
    return SecretValue(text)


def _default(obj: Any) -> Any:
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, FrozenValue):  # the written-out value classes, as a dataclass would be
        return {name: getattr(obj, name) for name in obj._fields}
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    from secretwarden.stores.base import SecretValue

    if isinstance(obj, SecretValue):
        raise TypeError("refusing to serialise a secret value")
    return str(obj)


def echo_json(data: Any) -> None:
    # Indented for people; compact when piped, where the C encoder is ~10x faster on big reports.
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, indent=indent, default=_default, ensure_ascii=False))


def fmt_time(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
