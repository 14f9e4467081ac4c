"""Where a CI job's OIDC identity token comes from, for the Vault store's `auth: {method: jwt}`.

A pipeline proves who it is with a short-lived token its platform signs, so no
long-lived Vault token has to live in CI secrets:

* `jwt_env: NAME` — GitLab's `id_tokens:` (and any platform that exports the token);
* `jwt_file: PATH` — a projected token file;
* `jwt_source: github-actions` — asked from the Actions runtime
  (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, the job needs
  `permissions: id-token: write`), for the `audience` the OpenBao role binds.

The token is a credential: it is never logged, and errors name where it was
looked for, not what it holds.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any

from secretwarden.errors import ContractError, MasterKeyError

SOURCES = ("github-actions",)


def github_actions_token(audience: str | None, *, timeout: float) -> str:
    url = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    bearer = os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        raise MasterKeyError(
            "no GitHub Actions OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL is not set",
            hint="give the job `permissions: id-token: write`, or set `auth.jwt_env` to a variable holding the token",
        )
    if audience:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"audience": audience})
    import requests

    try:
        response = requests.get(url, headers={"Authorization": f"bearer {bearer}"}, timeout=timeout)
    except requests.RequestException as exc:
        raise MasterKeyError(f"the GitHub Actions token service did not answer ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise MasterKeyError(f"the GitHub Actions token service refused the request (HTTP {response.status_code})",
                             hint="the job needs `permissions: id-token: write`")
    try:
        value = response.json()["value"]
    except (ValueError, KeyError, TypeError):
        raise MasterKeyError("the GitHub Actions token service answered without a token") from None
    if not isinstance(value, str) or not value:
        raise MasterKeyError("the GitHub Actions token service answered without a token")
    return value


def identity_token(auth: dict[str, Any], root: Path, *, timeout: float) -> str:
    """The JWT to log in with, from the one source the store's `auth` options name."""
    source = auth.get("jwt_source")
    if source is not None:
        if source != "github-actions":
            raise ContractError(f"unknown `auth.jwt_source` `{source}`", hint="sources: " + ", ".join(SOURCES))
        return github_actions_token(auth.get("audience"), timeout=timeout)
    env_name = auth.get("jwt_env")
    if env_name:
        value = os.environ.get(str(env_name), "").strip()
        if not value:
            raise MasterKeyError(f"the identity token variable {env_name} is not set",
                                 hint="in GitLab CI, declare it under the job's `id_tokens:`")
        return value
    file_name = auth.get("jwt_file")
    if file_name:
        path = Path(str(file_name)).expanduser()
        path = path if path.is_absolute() else root / path
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise MasterKeyError(f"cannot read the identity token from {path} ({exc.strerror})") from None
    raise ContractError(
        "JWT auth needs a token source",
        hint="set `auth.jwt_env`, `auth.jwt_file` or `auth.jwt_source: github-actions`",
    )


