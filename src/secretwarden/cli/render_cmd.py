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


# --- Vault/OpenBao and Kubernetes wiring (issue 6) -------------------------------------------


def _write_files(out: str, files: dict[str, str]) -> None:
    """Write through the library's one output helper; only the report of what was written is ours."""
    from pathlib import Path

    from secretwarden.paths import write_outputs

    for path in write_outputs(Path(out), files, what="rendered file"):
        click.echo(f"wrote {path}")


@render.command("vault-policy")
@click.option("--env", "-e", "env", required=True, help="Environment name from the contract.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Write one <policy>.hcl per policy here.")
@click.pass_context
def vault_policy(ctx: click.Context, env: str, out: str | None) -> None:
    """The Vault/OpenBao policies `warden bootstrap` applies, without applying them."""
    from secretwarden.cli.common import workspace
    from secretwarden.render.vault_policy import policies_text, vault_policies

    with workspace(ctx, "render") as ws:
        policies = vault_policies(ws, env)
    if out:
        _write_files(out, {f"{name}.hcl": text for name, text in policies.items()})
    else:
        click.echo(policies_text(policies), nl=False)


@render.command("external-secrets")
@click.option("--env", "-e", "env", required=True, help="Environment name from the contract.")
@click.option("--store-ref", default=None, help="Name of the (Cluster)SecretStore (default: the warden store's name).")
@click.option("--store-kind", type=click.Choice(["ClusterSecretStore", "SecretStore"]), default=None,
              help="Default: a SecretStore per service with `kubernetes_auth.roles: per-service`, else ClusterSecretStore.")
@click.option("--api-version", type=click.Choice(["v1", "v1beta1"]), default="v1",
              help="external-secrets.io version (ESO >= 0.17 serves only v1).")
@click.option("--refresh-interval", default="1h", show_default=True)
@click.option("--k8s-namespace", default=None, help="metadata.namespace of the ExternalSecrets.")
@click.option("--include-optional", is_flag=True, help="Also list optional keys (ESO fails the sync while one is missing).")
@click.option("--service", "-s", "services", multiple=True, help="Only this service (repeatable).")
@click.option("--snippets", is_flag=True, help="Print the container `env` snippets instead of the ExternalSecrets.")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Write <name>.externalsecret.yaml and <name>.env.yaml per service here.")
@click.option("--with-store", is_flag=True,
              help="Also render the (Cluster)SecretStore, with Kubernetes auth to Vault/OpenBao.")
@click.option("--operator-role", default=None,
              help="Vault role of the operator (ClusterSecretStore; default from the store's `kubernetes_auth`).")
@click.pass_context
def external_secrets_cmd(
    ctx: click.Context, env: str, store_ref: str | None, store_kind: str | None, api_version: str, refresh_interval: str,
    k8s_namespace: str | None, include_optional: bool, services: tuple[str, ...], snippets: bool, out: str | None,
    with_store: bool, operator_role: str | None,
) -> None:
    """One ExternalSecret per service (External Secrets Operator), plus a container env snippet."""
    from secretwarden.cli.common import workspace
    from secretwarden.render.external_secrets import (
        env_snippet,
        external_secrets,
        secret_stores,
        service_files,
        store_files,
        to_yaml,
    )

    with workspace(ctx, "render") as ws:
        rendered = external_secrets(
            ws, env, store_ref=store_ref, store_kind=store_kind, api_version=api_version,
            refresh_interval=refresh_interval, k8s_namespace=k8s_namespace,
            include_optional=include_optional, services=services,
        )
        stores = secret_stores(ws, env, rendered, store_ref=store_ref, store_kind=store_kind,
                               api_version=api_version, operator_role=operator_role) if with_store else []
    if stores and not snippets:
        if out:
            _write_files(out, store_files(stores))
        else:
            click.echo(to_yaml(stores), nl=False)
    if out:
        _write_files(out, service_files(rendered))
    elif snippets:
        # One YAML document per service: several `env:` keys in one document would be a duplicate key.
        for m in rendered:
            click.echo(f"---\n# container env of `{m.name}`\n" + env_snippet(m), nl=False)
    else:
        click.echo(to_yaml([doc for m in rendered for doc in m.documents]), nl=False)


@render.command("helm-values")
@click.option("--env", "-e", "env", required=True, help="Environment name from the contract.")
@click.option("--service", "-s", "services", multiple=True, help="Only this service (repeatable).")
@click.option("--include-optional", is_flag=True,
              help="Optional keys sit in the service's Secret (as with `render external-secrets --include-optional`).")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Write <service>.values.yaml per service (<service>-<instance> per instance) here.")
@click.option("--existing-secret-key", default="existingSecret", show_default=True,
              help="Values path of the Secret name, dotted for nested charts (auth.existingSecret).")
@click.option("--env-from-key", default="envFrom", show_default=True,
              help="Values path of the envFrom list, dotted for nested charts (extraEnvFrom).")
@click.pass_context
def helm_values_cmd(ctx: click.Context, env: str, services: tuple[str, ...], include_optional: bool,
                    out: str | None, existing_secret_key: str, env_from_key: str) -> None:
    """Chart values (`existingSecret`, `envFrom`) naming the Secrets `render external-secrets` makes."""
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.helm_values import helm_values, to_text

    contract = load_contract(ctx.find_root().obj.get("contract_path")).contract
    rendered = helm_values(contract, env, services=services, include_optional=include_optional,
                           existing_secret_key=existing_secret_key, env_from_key=env_from_key)
    if out:
        _write_files(out, {f"{doc.name}.values.yaml": doc.text for doc in rendered})
    else:
        click.echo(to_text(rendered), nl=False)


@render.command("bootstrap-job")
@click.option("--env", "-e", "env", required=True, help="Environment to bootstrap (not a production one).")
@click.option("--k8s-namespace", default="warden-system", show_default=True, help="Namespace of the job.")
@click.option("--schedule", default="*/30 * * * *", show_default=True, help="CronJob schedule.")
@click.option("--once", is_flag=True, help="A Job that runs once instead of a CronJob.")
@click.option("--image", default="python:3.11-slim", show_default=True, help="Container image.")
@click.option("--package", default="secretwarden", show_default=True,
              help="What pip installs in the container (an index name, a path or a URL).")
@click.option("--service-account", default="warden-bootstrap", show_default=True,
              help="ServiceAccount the store's Kubernetes auth role binds.")
@click.pass_context
def bootstrap_job_cmd(ctx: click.Context, env: str, k8s_namespace: str, schedule: str, once: bool, image: str,
                      package: str, service_account: str) -> None:
    """ServiceAccount + ConfigMap + CronJob (or Job) that run `warden bootstrap` in a dev cluster."""
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.bootstrap_job import bootstrap_job
    from secretwarden.render.external_secrets import to_yaml

    loaded = load_contract(ctx.find_root().obj.get("contract_path"))
    docs = bootstrap_job(loaded, env, namespace=k8s_namespace, schedule=None if once else schedule, image=image,
                         package=package, service_account=service_account)
    click.echo(to_yaml(docs), nl=False)


@render.command("env-example")
@click.option("--service", "-s", "services", multiple=True, help="Only this service (repeatable).")
@click.option("--env", "-e", "env", default=None, help="Only keys needed in this environment.")
@click.option("--out", default=None, type=click.Path(file_okay=False), help="Write <service>.env.example files here.")
@click.pass_context
def env_example_cmd(ctx: click.Context, services: tuple[str, ...], env: str | None, out: str | None) -> None:
    """A `.env.example` per service: placeholders and a comment per key, never a value."""
    from secretwarden.contract.loader import load_contract
    from secretwarden.render.env_example import env_example

    contract = load_contract(ctx.find_root().obj.get("contract_path")).contract
    chosen = list(services) or list(contract.services)
    texts = {name: env_example(contract, name, env) for name in chosen}
    if out:
        _write_files(out, {f"{name}.env.example": text for name, text in texts.items()})
    else:
        click.echo("\n".join(texts.values()), nl=False)


@render.command("schema")
@click.option("--service", "-s", required=True, help="Service whose settings schema to generate.")
@click.option("--lang", "-l", required=True, metavar="LANG",
              help="zod, pydantic, envconfig, ts-types or json-schema.")
@click.option("--env", "-e", "env", default=None,
              help="Keys of this environment only (default: every environment the service runs in; "
                   "a key is required when every one of them requires it).")
@click.option("--out", "-o", default=None, type=click.Path(dir_okay=False),
              help="Write the module to this file instead of printing it.")
@click.pass_context
def schema_cmd(ctx: click.Context, service: str, lang: str, env: str | None, out: str | None) -> None:
    """A settings module that validates the service's environment at start-up and exits non-zero."""
    from pathlib import Path

    from secretwarden.contract.loader import load_contract
    from secretwarden.render.schema import render_schema, write_schema

    loaded = load_contract(ctx.find_root().obj.get("contract_path"))
    if out is None:
        click.echo(render_schema(loaded.contract, service, lang, env=env), nl=False)
        return
    changed = write_schema(loaded.contract, loaded.root, service, lang, Path(out), env=env)
    click.echo(f"wrote {out}" if changed else f"{out} is up to date", err=True)
