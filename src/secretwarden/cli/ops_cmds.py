"""Contract-wide commands: status, check, run, bootstrap."""

from __future__ import annotations

import sys
from typing import Any

import click

from secretwarden.cli.common import echo_json, env_option, instance_option, workspace
from secretwarden.errors import EXIT_POLICY, UsageError
from secretwarden.slots import printable


@click.command()
@click.option("--env", "-e", "envs", multiple=True, help="Environment(s) to report (default: all).")
@click.option("--service", "-s", default=None, help="Only this service.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table")
@click.option("--verbose", "-v", is_flag=True, help="List every key, not only the gaps.")
@click.option("--read-values-for-names", is_flag=True,
              help="Where a store's metadata lacks key names (data written outside warden), read values to learn them; the report says so.")
@click.pass_context
def status(ctx: click.Context, envs: tuple[str, ...], service: str | None, fmt: str, verbose: bool, read_values_for_names: bool) -> int:
    """Gap report: contract vs stores, from metadata only (exit 1 when blocked)."""
    from secretwarden.cli import render_status as render
    from secretwarden.ops.status import gap_report, store_notices

    # A request the backends may honour (vault does); not a branch on the backend here.
    flags = frozenset({"read-values-for-names"}) if read_values_for_names else frozenset()
    with workspace(ctx, "status", store_flags=flags) as ws:
        report = gap_report(ws, list(envs) or None, service=service)
        notices = store_notices(ws)
    for notice in notices:  # e.g. data written outside warden: the report may miss it
        click.echo(f"warden: note: {notice}", err=True)
    if fmt == "json":
        render.write_status_json(report, sys.stdout)
    elif fmt == "markdown":
        click.echo(render.status_markdown(report), nl=False)
    else:
        click.echo(render.status_table(report, verbose=verbose))
    if report.isolation_unchecked:  # said, but it never decides the exit code (nor does the section)
        click.echo(f"warden: warning: {report.isolation_left_out()}", err=True)
        click.echo("hint: check that store's address and credentials; `warden isolation` is the gate for "
                   "isolation and exits 3 while a store does not answer", err=True)
    if report.unreachable:  # the report is incomplete: a store problem, whatever the rest says
        from secretwarden.cli.partial import not_checked

        return not_checked(report.unreachable, "warden status --env ENV")
    return 0 if report.ok else EXIT_POLICY


@click.command()
@click.option("--service", "-s", required=True)
@env_option
@instance_option
@click.option("--verify-values", is_flag=True, help="Decrypt and validate values instead of trusting write-time checks.")
@click.option("--allow-compromised", is_flag=True, help="Pass even with a compromised key or an incident not closed (audited).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def check(
    ctx: click.Context, service: str, env: str, instance: str | None, verify_values: bool, allow_compromised: bool, fmt: str
) -> int:
    """Fail-fast preflight for one service (for entrypoints and CI): the verdict `run` applies."""
    from secretwarden.cli.render_status import service_json
    from secretwarden.ops.status import service_check

    with workspace(ctx, "check") as ws:
        statuses = service_check(
            ws, service, env, instance, verify_values=verify_values, allow_compromised=allow_compromised
        )
    blocked = any(s.blocked for s in statuses)
    if fmt == "json":
        echo_json({"service": service, "env": env, "ok": not blocked, "instances": [service_json(s) for s in statuses]})
    else:
        for s in statuses:
            click.echo(f"{s.label} in {env}: {s.verdict}", err=s.blocked)
            for r in s.judgement.reasons:
                if r.blocks:
                    click.echo(f"  {r.line}", err=True)
                elif r.code == "unverified" and any(k.var == r.var and k.required for k in s.keys):
                    click.echo(f"  {r.line}; use --verify-values", err=True)
                elif r.severity == "warn" and r.code != "unverified":
                    click.echo(f"  warning: {r.line}", err=True)
    return EXIT_POLICY if blocked else 0


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--service", "-s", required=True)
@env_option
@instance_option
@click.option("--allow-compromised", is_flag=True, help="Start even with a compromised key (audited).")
@click.option("--redact", is_flag=True, help="Stay as the parent and redact the secrets from the command's stdout/stderr.")
@click.option("--pass-env", "pass_env", multiple=True, metavar="NAME",
              help="Pass this variable on although warden strips it by default (a credential); repeatable.")
@click.option("--clean-env", is_flag=True,
              help="Start the command with only the contract's keys plus PATH, HOME, LANG, TZ, TERM (and --pass-env).")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_context
def run(
    ctx: click.Context, service: str, env: str, instance: str | None, allow_compromised: bool, redact: bool,
    pass_env: tuple[str, ...], clean_env: bool, command: tuple[str, ...],
) -> None:
    """Run COMMAND with the service's secrets in its environment (fail closed).

    Use `--` before the command: `warden run -s api -e dev -- ./server --port 80`.
    Warden's and the stores' credentials are not passed on (docs/runtime.md).
    """
    from secretwarden.ops.run import ChildOptions, prepare_run
    from secretwarden.runtime.child import exec_child

    argv = list(command)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise UsageError("no command given", hint="warden run --service S --env E -- CMD ARGS...")
    child = ChildOptions(pass_env=pass_env, clean_env=clean_env)
    with workspace(ctx, "run") as ws:
        prepared = prepare_run(ws, service, env, instance, allow_compromised=allow_compromised, argv=argv, child=child)
    for problem in prepared.problems:
        click.echo(f"warden: warning: {problem}", err=True)
    if redact:
        from secretwarden.redact.supervise import run_redacted

        run_redacted(argv, prepared.child_env, prepared.plan.sensitive_values(prepared.values))
    exec_child(argv, prepared.child_env)


@click.command()
@env_option
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--allow-production", is_flag=True, help="Allow an environment marked production.")
@click.option("--access/--no-access", default=True, help="Create the store's access policies when it can (Vault).")
@click.option("--approles", is_flag=True, help="Also create one AppRole per service (Vault).")
@click.option("--reveal", is_flag=True, help="With --approles: print each role's id and a new secret id (terminal only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def bootstrap(
    ctx: click.Context, env: str, dry_run: bool, allow_production: bool, access: bool, approles: bool, reveal: bool, fmt: str
) -> None:
    """Provision namespaces and generate missing fixture values; never overwrites."""
    import sys

    from secretwarden.ops.bootstrap import bootstrap as run_bootstrap

    if reveal and (not approles or dry_run or not sys.stdout.isatty()):
        raise UsageError(
            "--reveal prints AppRole credentials, only with --approles and only to a terminal",
            hint="without --reveal, bootstrap prints where each role id is",
        )
    with workspace(ctx, "bootstrap") as ws:
        plan = run_bootstrap(
            ws, env, dry_run=dry_run, allow_production=allow_production, access=access, approles=approles
        )
        if reveal and plan.interrupted is None and plan.access is not None:
            from secretwarden.ops.access import issue_credentials

            roles = [c.name for c in plan.access.changes if c.kind == "role"]
            for role, creds in issue_credentials(ws, env, roles).items():
                click.echo(f"{role}: " + "  ".join(f"{k}={v.reveal()}" for k, v in creds.items()))
    try:
        _print_bootstrap(plan, env, dry_run, fmt)
    finally:
        if plan.interrupted is not None:
            raise plan.interrupted


def _print_bootstrap(plan: Any, env: str, dry_run: bool, fmt: str) -> None:
    changes = plan.access.changes if plan.access else []
    if fmt == "json":
        echo_json(
            {
                "env": plan.env,
                "store": plan.store,
                "dry_run": plan.dry_run,
                "namespaces_to_create": plan.namespaces_to_create,
                "keys_to_generate": [s.label() for s in plan.keys_to_generate],
                "namespaces_created": plan.namespaces_created,
                "keys_generated": [s.label() for s in plan.keys_generated],
                "already_present": plan.already_present,
                "missing_without_rule": [s.label() for s in plan.missing_without_rule],
                "skipped_concurrent": [s.label() for s in plan.skipped_concurrent],
                "access": [{"kind": c.kind, "name": c.name, "action": c.action, "detail": c.detail} for c in changes],
                "interrupted": str(plan.interrupted) if plan.interrupted else None,
            }
        )
        return
    for c in changes:
        if c.action != "unchanged" or c.kind == "role":
            verb = {"create": "create", "update": "update", "unchanged": "keep"}[c.action]
            if not dry_run:
                verb = {"create": "created", "update": "updated", "unchanged": "kept"}[c.action]
            click.echo(printable(f"  {verb} {c.kind} {c.name}" + (f" ({c.detail})" if c.detail else "")))
    if plan.access and not plan.access.changed:
        click.echo(f"  access: {len(changes)} item(s) already as the contract says")
    if dry_run:
        click.echo(f"Plan for {env} (store {plan.store}), nothing written:")
        click.echo(printable(f"  create {len(plan.namespaces_to_create)} namespace(s): {', '.join(plan.namespaces_to_create) or '-'}"))
        click.echo(f"  generate {len(plan.keys_to_generate)} key(s):")
        for slot in plan.keys_to_generate:
            click.echo(printable(f"    {slot.namespace}/{slot.key}" + (f"@{slot.instance}" if slot.instance else "")))
    elif plan.interrupted is not None:
        click.echo(
            f"Bootstrap of {env} (store {plan.store}) interrupted: {len(plan.namespaces_created)} namespace(s) "
            f"created, {len(plan.keys_generated)} of {len(plan.keys_to_generate)} key(s) generated before the "
            "store failed; run it again to complete",
            err=True,
        )
    else:
        click.echo(
            f"Bootstrapped {env} (store {plan.store}): {len(plan.namespaces_created)} namespace(s) created, "
            f"{len(plan.keys_generated)} key(s) generated, {plan.already_present} already present"
        )
    if plan.skipped_concurrent:
        click.echo(f"  {len(plan.skipped_concurrent)} key(s) appeared meanwhile and were left alone")
    if plan.missing_without_rule:
        click.echo(f"  {len(plan.missing_without_rule)} required key(s) have no generate rule; set them by hand:")
        for slot in plan.missing_without_rule:
            click.echo(printable(f"    warden set {slot.namespace}/{slot.key} --env {env}" + (f" --instance {slot.instance}" if slot.instance else "")))
