"""`warden render helm-values`: the Helm values that point a chart at the Secrets ESO fills.

For each service that reads its secrets through External Secrets in one
environment (one document per instance of a per-instance service), the values
name exactly the Secrets `warden render external-secrets` makes, with the same
names from `contract.kubernetes`, so chart and ExternalSecret agree by
construction:

* `existingSecret: <service Secret>`, the key most charts read to mount a
  Secret made elsewhere instead of creating one;
* `envFrom`: a `secretRef` to that Secret and, per optional key, a
  `secretRef` with `optional: true` to the key's own Secret (`<secret>-<key>`),
  so the pod starts while an optional key is absent.

A Direct-Vault service's chart gets the Secret of its AppRole credentials
(`<service>-bootstrap`: `VAULT_ROLE_ID`, `VAULT_SECRET_ID`) the same way: its
values are read from Vault by the service itself.

Chart values keys are a convention, not a standard: the header of each
document says so, and both keys may be placed anywhere in the values tree
(`--existing-secret-key auth.existingSecret`, `postgresql.auth.existingSecret`
for a subchart, `--env-from-key extraEnvFrom`). The linter reads these keys
at any depth, so what is rendered is what `warden lint` checks. Only the
contract is read, never a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secretwarden.contract.kubernetes import (
    EXISTING_SECRET_KEYS,
    bootstrap_secret_name,
    namespace_of,
    object_name,
    optional_secret_name,
    secret_name,
)
from secretwarden.contract.plan import check_service, requirements
from secretwarden.errors import UsageError

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract

CONVENTION = (
    "Chart values keys are conventions, not a standard: charts differ (`auth.existingSecret`,",
    "`extraEnvFrom`, ...); choose them with --existing-secret-key and --env-from-key.",
)
DEFAULT_EXISTING_SECRET_KEY = "existingSecret"
DEFAULT_ENV_FROM_KEY = "envFrom"


def _key_path(dotted: str, option: str) -> tuple[str, ...]:
    parts = tuple(dotted.split("."))
    if not dotted or any(not p or p != p.strip() for p in parts):
        raise UsageError(f"{option} `{dotted}` is not a dotted values path", hint="for example auth.existingSecret")
    return parts


def key_paths(existing_secret_key: str, env_from_key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two values paths, checked: lint must find the Secret name where it is written."""
    secret = _key_path(existing_secret_key, "--existing-secret-key")
    env_from = _key_path(env_from_key, "--env-from-key")
    if secret[-1] not in EXISTING_SECRET_KEYS:
        raise UsageError(
            f"--existing-secret-key `{existing_secret_key}` must end in "
            + " or ".join(f"`{k}`" for k in EXISTING_SECRET_KEYS),
            hint="the chart keys warden lint checks (at any depth)",
        )
    shorter = min(len(secret), len(env_from))
    if secret[:shorter] == env_from[:shorter]:
        raise UsageError("--existing-secret-key and --env-from-key overlap: one would overwrite the other")
    return secret, env_from


def _put(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value


@dataclass(frozen=True)
class HelmValues:
    service: str
    instance: str | None
    name: str  # file stem: the service, or `<service>-<instance>`
    env: str
    namespace: str | None
    values: dict[str, Any]

    @property
    def text(self) -> str:
        import yaml

        where = f" in namespace `{self.namespace}`" if self.namespace else ""
        header = [
            f"Helm values of `{self.name}` in `{self.env}`, from warden.yaml (`warden render helm-values`).",
            f"They name the Secrets `warden render external-secrets --env {self.env}` produces{where};",
            "pass this file to `helm upgrade --install -f`.",
            *CONVENTION,
        ]
        body = yaml.safe_dump(self.values, sort_keys=False, default_flow_style=False)
        return "".join(f"# {line}\n" for line in header) + body


def helm_values(
    contract: Contract,
    env: str,
    *,
    services: tuple[str, ...] = (),
    include_optional: bool = False,
    existing_secret_key: str = DEFAULT_EXISTING_SECRET_KEY,
    env_from_key: str = DEFAULT_ENV_FROM_KEY,
) -> list[HelmValues]:
    """One values document per External Secrets service (instance) of `env`, in contract order.

    `include_optional` mirrors the same flag of `render external-secrets`:
    optional keys then live in the service's own Secret, so no extra ref.
    The two keys are dotted values paths (nested charts and subcharts).
    """
    secret_path, env_from_path = key_paths(existing_secret_key, env_from_key)
    for name in services:
        check_service(contract, name)
    optional: dict[tuple[str, str | None], list[str]] = {}
    for req in requirements(contract, env):
        if services and req.service not in services:
            continue
        access = contract.services[req.service].access
        if access not in ("external-secrets", "direct-vault"):
            continue
        held = optional.setdefault((req.service, req.slot.instance), [])
        if access == "external-secrets" and not req.required and not include_optional:
            held.append(req.var)
    out = []
    for (service, instance), optional_vars in optional.items():
        svc = contract.services[service]
        direct = svc.access == "direct-vault"
        main = bootstrap_secret_name(service, instance) if direct else secret_name(service, svc, instance)
        refs: list[dict[str, Any]] = [{"secretRef": {"name": main}}]
        refs += [
            {"secretRef": {"name": optional_secret_name(service, svc, instance, var), "optional": True}}
            for var in optional_vars
        ]
        values: dict[str, Any] = {}
        _put(values, secret_path, main)
        _put(values, env_from_path, refs)
        out.append(HelmValues(service, instance, object_name(service, instance), env,
                              namespace_of(svc, env, instance), values))
    return out


def to_text(rendered: list[HelmValues]) -> str:
    """All documents, each opened by `---` (several documents in one stream)."""
    return "".join(f"---\n{doc.text}" for doc in rendered)
