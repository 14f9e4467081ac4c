"""`warden render`: documents and manifests generated from the contract."""

from __future__ import annotations

import click


@click.group("render")
def render() -> None:
    """Generate files from warden.yaml."""


@render.command("secrets-doc")
@click.option("--service", "-s", "services", multiple=True, metavar="NAME",
              help="Only this service (repeatable; default: every service).")
@click.option("--write", is_flag=True, help="Update each service's README in place instead of printing.")
@click.pass_context
def secrets_doc(ctx: click.Context, services: tuple[str, ...], write: bool) -> None:
    """The "Secrets architecture" README section of each service, from the contract."""
    from secretwarden.contract.loader import load_contract
    from secretwarden.contract.plan import check_service
    from secretwarden.render.secrets_doc import render_section, write_sections

    loaded = load_contract(ctx.find_root().obj.get("contract_path"))
    contract = loaded.contract
    chosen = list(services) or list(contract.services)
    for name in chosen:
        check_service(contract, name)
    if write:
        changed = write_sections(contract, loaded.root, chosen)
        for path in changed:
            click.echo(f"updated {path}")
        click.echo(f"{len(changed)} README file(s) changed, {len(chosen) - len(changed)} already up to date", err=True)
        return
    click.echo("\n".join(render_section(contract, name) for name in chosen), nl=False)
