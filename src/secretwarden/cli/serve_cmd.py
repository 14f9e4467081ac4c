"""`warden serve`: the governance dashboard live on a loopback address, read-only."""

from __future__ import annotations

import os
from pathlib import Path

import click

from secretwarden.cli.dashboard_common import dashboard_options, parse_now, require_extra


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback needs WARDEN_DASHBOARD_TOKEN.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@dashboard_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, envs: tuple[str, ...], scan_results: str | None,
          lint_results: str | None, audit_limit: int, now: str | None) -> int:
    """Serve the dashboard pages (GET only), rebuilt from the stores' metadata on every request."""
    require_extra("starlette", "uvicorn", "jinja2")
    from secretwarden.dashboard.server import TOKEN_ENV, DashboardSource, check_bind, check_port
    from secretwarden.dashboard.server import serve as run_server

    token = os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    source = DashboardSource(
        contract_path=(ctx.find_root().obj or {}).get("contract_path"),
        envs=list(envs) or None,
        scan_results=Path(scan_results) if scan_results else None,
        lint_results=Path(lint_results) if lint_results else None,
        audit_limit=audit_limit,
        now=parse_now(now),
    )
    source.build()  # a broken contract or an unknown environment fails now, not on the first request
    check_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"warden: dashboard on http://{shown}:{port}/ (read-only{', token required' if token else ''}; "
               "Ctrl-C stops)", err=True)
    run_server(source, host=host, port=port, token=token)
    return 0
