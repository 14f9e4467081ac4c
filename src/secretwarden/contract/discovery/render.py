"""Turn an `Inventory` into a first `warden.yaml`, and write it without clobbering.

Plain string building on purpose: the scaffold is meant to be read and edited
by a person, so every choice it makes is a comment next to the line it made.
Keys and comments are escaped here; nothing in the output comes from a value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from secretwarden.contract.discovery.model import Inventory, Place
from secretwarden.contract.discovery.names import looks_plain
from secretwarden.contract.discovery.services import safe_name
from secretwarden.errors import InputError, UsageError
from secretwarden.paths import write_atomic

MAX_PLACES_IN_COMMENT = 3
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Plain scalars YAML 1.1 would read as booleans or null.
_YAML_WORDS = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null"])
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")

HEADER = """\
# Secrets contract of {project}, scaffolded by `warden init` from the names this
# repository already uses ({count} name(s) in {services} service(s), {files} file(s) read).
# Names only, never values. Before committing it, review:
#   - owners: fill in `owner:` for each namespace and service;
#   - required: keys every read of which has a default got `required: false`;
#   - sensitive: names that read as plain configuration got `sensitive: false`;
#   - shared keys: a key used by several services usually belongs in one
#     namespace, referenced elsewhere with `ref: <namespace>/<KEY>`.
# Then run `warden validate`, `warden bootstrap --env dev` and `warden status`.
version: 1
project: {project_yaml}

environments:
  dev:
    store: local
    description: Developer machines; fixtures come from `warden bootstrap --env dev`.
  staging:
    store: local
  prod:
    store: local
    production: true

stores:
  local:
    backend: embedded
    options:
      path: .warden/local.db"""


def _key(name: str) -> str:
    if _PLAIN_KEY.fullmatch(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name)


def _comment(text: str) -> str:
    return _UNPRINTABLE.sub("?", text)


def _where(places: list[Place]) -> str:
    shown = ", ".join(
        f"{p.path}:{p.line} ({p.source}{': ' + p.detail if p.detail else ''})"
        for p in places[:MAX_PLACES_IN_COMMENT]
    )
    more = len(places) - MAX_PLACES_IN_COMMENT
    return _comment(shown + (f" and {more} more" if more > 0 else ""))


def render_contract(inventory: Inventory, project: str) -> str:
    """A contract that `load_contract` accepts: dev/staging/prod, one embedded store,
    one namespace per service, every found name as a key with where it was found."""
    name = safe_name(project)
    if not name:
        raise UsageError(f"`{_comment(project)}` cannot be a project name", hint="pass --project NAME")
    services = inventory.by_service()
    k8s = inventory.kubernetes_secrets()
    out = [
        HEADER.format(
            project=_comment(name),
            project_yaml=_key(name),
            count=inventory.count,
            services=len(services),
            files=inventory.files_scanned,
        )
    ]
    out.append("\n# One namespace per service; add `owner:` to each.\nnamespaces:")
    if not services:
        out[-1] += " {}"
    for svc in services:
        out.append(f"  {_key(svc)}: {{path: /services/{svc}}}")
    out.append("\nservices:" + ("" if services else " {}"))
    for svc, names in services.items():
        out.append(f"  {_key(svc)}:")
        out.append(f"    namespace: {_key(svc)}")
        dirs = sorted(inventory.service_dirs.get(svc, ()))
        if len(dirs) == 1:
            out.append(f"    source: {json.dumps(dirs[0])}")
        own = _own_secret(svc, k8s.get(svc, {}))
        if own is not None:
            out.append(f"    secret_name: {_key(own)}  # the Secret its manifests read")
        for secret_name, places in k8s.get(svc, {}).items():
            out.append(f"    # Kubernetes Secret `{_comment(secret_name)}` is used at {_where(places)}")
        out.append("    secrets:")
        for key, places in names.items():
            out.append(f"      # found at {_where(places)}")
            fields = []
            if all(p.has_default for p in places):
                out.append("      # every read falls back to a default when it is unset")
                fields.append("required: false")
            if looks_plain(key):
                fields.append("sensitive: false")
            out.append(f"      {_key(key)}: {{{', '.join(fields)}}}")
    # Secrets named outside any service that has keys still deserve a mention.
    orphans = {svc: s for svc, s in k8s.items() if svc not in services}
    if orphans:
        out.append("\n# Kubernetes Secrets referenced where no key names were found:")
        for svc, secrets in orphans.items():
            for secret_name, places in secrets.items():
                out.append(f"#   {_comment(svc)}: `{_comment(secret_name)}` at {_where(places)}")
    unfilled = _unfilled_secrets(k8s)
    if unfilled:
        out.append(
            "\n# Secrets the manifests read that no ExternalSecret here fills (made by hand or by other"
            "\n# tooling): `warden lint` accepts them as made elsewhere. Drop one from the list once"
            "\n# `warden render external-secrets` makes it."
            "\nlint:\n  existing_secrets:"
        )
        out.extend(f"    - {_key(name)}" for name in unfilled)
    return "\n".join(out) + "\n"


def _own_secret(svc: str, secrets: dict[str, list[Place]]) -> str | None:
    """The one Secret a service's workloads read their variables from (`secretKeyRef`,
    `envFrom`), to become its `secret_name`; None when there is none, several, or it is
    already the default `<service>-secrets`. Mounted volumes (TLS, files) do not count."""
    read = [
        name for name, places in secrets.items()
        if any(p.source == "kubernetes" and p.detail != "volume" for p in places)
    ]
    if len(read) != 1 or read[0] == f"{svc.lower()}-secrets":
        return None
    return read[0]


def _unfilled_secrets(k8s: dict[str, dict[str, list[Place]]]) -> list[str]:
    """Secrets a manifest reads that no ExternalSecret found in the repository targets."""
    read: set[str] = set()
    filled: set[str] = set()
    for secrets in k8s.values():
        for name, places in secrets.items():
            if any(p.source == "kubernetes" for p in places):
                read.add(name)
            if any(p.source == "external-secret" for p in places):
                filled.add(name)
    return sorted(read - filled)


def check_target(target: Path, *, force: bool) -> None:
    """Raise `UsageError` (exit 2) when `target` must not be written; cheap, so callers can fail early."""
    if target.is_dir():
        raise UsageError(f"{target} is a directory; nothing was written")
    if target.exists() and not force:
        raise UsageError(
            f"{target} already exists; nothing was written",
            hint="pass --force to replace it, or --dry-run to only print the inventory",
        )


def write_contract(target: Path, text: str, *, force: bool) -> None:
    """Write `text` to `target` atomically; refuse to replace an existing file without `force`."""
    check_target(target, force=force)
    try:
        write_atomic(target, text.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"{target}: cannot write the contract ({reason}); nothing was written") from None
