"""Options and helpers shared by `warden report` and `warden serve`."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from secretwarden.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def require_extra(*modules: str) -> None:
    """A clear message instead of an ImportError when the `dashboard` extra is absent."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(
            f"the dashboard needs {', '.join(missing)}, which is not installed",
            hint="install the extra: pip install 'secretwarden[dashboard]'",
        )


def parse_now(text: str | None) -> dt.datetime | None:
    """The report's clock: --now, else SOURCE_DATE_EPOCH (reproducible builds), else None (real time)."""
    if text:
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(f"--now `{text}` is not an ISO date or time", hint="use an ISO date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00+00:00") from None
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds") from None
    return None


def dashboard_options(fn: F) -> F:
    """--env, --scan-results, --lint-results, --audit-limit, --now."""
    for decorator in reversed([
        click.option("--env", "-e", "envs", multiple=True, help="Environment to include (repeatable; default: all)."),
        click.option("--scan-results", type=click.Path(dir_okay=False),
                     help="A `warden scan --format json` report to show (redacted previews only)."),
        click.option("--lint-results", type=click.Path(dir_okay=False),
                     help="A `warden lint --format json` report to show."),
        click.option("--audit-limit", type=click.IntRange(min=0), default=200, show_default=True,
                     help="How many of the newest audit entries to show."),
        click.option("--now", metavar="ISO-TIME",
                     help="Clock for ages and due dates (default: SOURCE_DATE_EPOCH, else the current time)."),
    ]):
        fn = decorator(fn)
    return fn
