"""Names and durations shared by the AppRole and Kubernetes auth steps (approle.py, kubernetes_auth.py)."""

from __future__ import annotations

import re

from secretwarden.stores.vault.access import policy_name

DURATION = re.compile(r"^(\d+)([smhd]?)$")


def seconds(text: str) -> int:
    """`1h` -> 3600, as OpenBao reports a TTL it was given as text."""
    m = DURATION.match(text.strip())
    if m is None:
        raise ValueError(text)
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def service_role(project: str, env: str, service: str, instance: str | None) -> str:
    """A service's machine role (AppRole, or Kubernetes auth role per service)."""
    return policy_name(project, env, service, instance or "")


def read_policy_of(project: str, env: str, service: str, instance: str | None) -> str:
    """The service's read policy, as access.py names it."""
    return policy_name(project, env, service, instance or "", "read")


def credentials_policy_of(project: str, env: str, service: str, instance: str | None) -> str:
    """Read on a Direct-Vault service's stored AppRole credentials."""
    return policy_name(project, env, service, instance or "", "bootstrap-read")
