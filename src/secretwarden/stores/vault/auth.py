"""Where the Vault store connects and how it logs in.

Settings come from the store's `options:` in warden.yaml first, then the
environment the `bao`/`vault` CLIs use (`BAO_*` before `VAULT_*`, as `bao`
does), then `~/.vault-token`. The contract names where credentials are
(environment variables, files), never the credentials themselves.

Auth methods:
* `token` (default): `auth.token_env` (default BAO_TOKEN/VAULT_TOKEN), else `~/.vault-token`.
* `approle`: role id from `role_id` / `role_id_env` / `role_id_file`, secret id
  from `secret_id_env` / `secret_id_file` (never inline); mount `approle`.
* `kubernetes`: service-account token from `jwt_file` (the pod's default path
  when absent) and `role`; mount `kubernetes`.
* `jwt`: a CI job's OIDC identity token (`jwt_env`, `jwt_file` or
  `jwt_source: github-actions` with `audience`) and `role`; mount `jwt` (see oidc.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretwarden.errors import (
    ContractError,
    MasterKeyError,
    PermissionDenied,
    StoreSealed,
    StoreUnavailable,
)
from secretwarden.stores.vault.errors import ServerFailing, ServerUnreachable

K8S_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


@dataclass(frozen=True)
class Connection:
    address: str
    namespace: str | None = None
    verify: bool | str = True
    auth: dict[str, Any] = field(default_factory=dict)
    timeout: float = 10.0  # seconds for an answer once connected
    connect_timeout: float = 3.0  # seconds for a connection to be accepted

    @property
    def timeouts(self) -> tuple[float, float]:
        """(connect, read) as `requests` takes them: a dead address fails in seconds."""
        return (min(self.connect_timeout, self.timeout), self.timeout)


def connection_from(options: dict[str, Any], root: Path, store: str) -> Connection:
    # An absent address is only an error once a request is made: rendering policies works offline.
    address = options.get("address") or _env("BAO_ADDR", "VAULT_ADDR") or ""
    verify: bool | str = True
    cacert = options.get("ca_cert") or _env("BAO_CACERT", "VAULT_CACERT")
    if cacert:
        path = Path(str(cacert)).expanduser()
        verify = str(path if path.is_absolute() else root / path)
    skip = options.get("skip_verify")
    if skip is None:
        skip = (_env("BAO_SKIP_VERIFY", "VAULT_SKIP_VERIFY") or "").lower() in {"1", "true", "yes"}
    if skip:
        sys.stderr.write(f"warden: warning: store `{store}`: TLS verification of {address} is disabled\n")
        verify = False
    auth = options.get("auth") or {"method": "token"}
    if not isinstance(auth, dict):
        raise ContractError(f"store `{store}`: `auth` is a mapping such as {{method: approle, ...}}")
    if "secret_id" in auth or "token" in auth or "jwt" in auth:
        raise ContractError(
            f"store `{store}`: credentials never go in warden.yaml",
            hint="use `secret_id_env`/`secret_id_file` or `token_env` to say where they are",
        )
    _check_addresses(str(address), store)
    return Connection(
        address=str(address).rstrip("/"),
        namespace=options.get("namespace") or _env("BAO_NAMESPACE", "VAULT_NAMESPACE"),
        verify=verify,
        auth=dict(auth),
        timeout=_seconds(options, "timeout", 10.0, store),
        connect_timeout=_seconds(options, "connect_timeout", 3.0, store),
    )


def _seconds(options: dict[str, Any], name: str, default: float, store: str) -> float:
    # `requests` turns a text, a list or a negative number into a ValueError deep in a request.
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86400:
        raise ContractError(f"store `{store}`: `{name}` is a number of seconds, above 0 and below a day")
    return float(value)


def _check_addresses(address: str, store: str) -> None:
    """A malformed address is a usage error now, not a failed request (or a bug) later."""
    from urllib.parse import urlsplit

    from secretwarden.stores.vault.ha import split_addresses

    for node in split_addresses(address):
        try:
            parts = urlsplit(node)
            port_ok = parts.port is not None or ":" not in parts.netloc.rsplit("]", 1)[-1]
        except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
            parts, port_ok = None, False
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ContractError(
                f"store `{store}`: Vault address `{node}` is not an http(s)://host[:port] URL",
                hint="fix the store's `options.address` in warden.yaml, or VAULT_ADDR / BAO_ADDR",
            )


def _read_file(path: str, what: str, root: Path) -> str:
    p = Path(path).expanduser()
    p = p if p.is_absolute() else root / p
    try:
        return p.read_text().strip()
    except OSError as exc:
        raise MasterKeyError(f"cannot read the {what} from {p} ({exc.strerror})") from None


def _secret_from(auth: dict[str, Any], name: str, root: Path, *, default_env: tuple[str, ...] = ()) -> str | None:
    env_name = auth.get(f"{name}_env")
    if env_name:
        value = os.environ.get(str(env_name))
        if not value:
            raise MasterKeyError(f"the {name.replace('_', ' ')} variable {env_name} is not set")
        return value
    file_name = auth.get(f"{name}_file")
    if file_name:
        return _read_file(str(file_name), name.replace("_", " "), root)
    return _env(*default_env) if default_env else None


def make_client(conn: Connection, root: Path, pool_size: int = 16) -> Any:
    """An authenticated hvac client (login happens here for approle/kubernetes)."""
    import hvac
    import requests
    from requests.adapters import HTTPAdapter

    if not conn.address:
        raise ContractError(
            "no Vault address",
            hint="set the store's `options.address` in warden.yaml, or VAULT_ADDR in the environment",
        )

    session = requests.Session()
    verify = conn.verify
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        # Without proxies to honour, requests would still walk the whole environment on every
        # request looking for them (a tenth of a bulk write's time): read the one setting that
        # remains, the CA bundle, once here instead.
        session.trust_env = False
        if verify is True:
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    # hvac takes TLS verification from a session it is given, not from its own `verify` argument:
    # without this, `ca_cert` and `skip_verify` were ignored.
    session.verify = verify
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    from secretwarden.stores.vault.ha import split_addresses

    # A cluster's address lists its nodes; the store points the client at the active one.
    # token="": hvac would otherwise read VAULT_TOKEN or ~/.vault-token itself, unguarded (a FIFO
    # there hung, /dev/zero filled the memory); the token is chosen below.
    client = hvac.Client(
        url=split_addresses(conn.address)[0], namespace=conn.namespace, verify=verify, timeout=conn.timeouts,
        session=session, token="",
    )
    method = str(conn.auth.get("method", "token"))
    if method == "token":
        token = _secret_from(conn.auth, "token", root, default_env=("BAO_TOKEN", "VAULT_TOKEN"))
        if token is None:
            token_file = Path.home() / ".vault-token"
            if token_file.exists():
                from secretwarden.paths import read_input_file

                raw = read_input_file(token_file, limit=64 * 1024, what="Vault token file",
                                      hint="remove it or run `bao login` again")
                token = raw.decode("utf-8", "replace").strip()
        if not token:
            raise MasterKeyError(
                f"no Vault token for {conn.address}",
                hint="set VAULT_TOKEN (or BAO_TOKEN), run `bao login`, or configure `auth` in warden.yaml",
            )
        if not token.isascii() or not token.isprintable() or " " in token:
            # The server answers such a header with a bare 400 "invalid request"; the token is never shown.
            raise MasterKeyError(
                f"the Vault token for {conn.address} holds characters no token has (control, space or non-ASCII)",
                hint="check VAULT_TOKEN (or BAO_TOKEN) for a pasted escape sequence, or run `bao login` again",
            )
        client.token = token
        return client
    mount = str(conn.auth.get("mount", method))
    try:
        _login(client, conn, root, method, mount)
    except (StoreUnavailable, PermissionDenied) as exc:
        # A refused login (400 or 403, depending on whether the auth method is enabled)
        # is a credentials problem, not a missing capability on a path. A server that is
        # down or answers with its own error (HTTP 5xx) is reported as exactly that.
        if isinstance(exc, ServerUnreachable | ServerFailing | StoreSealed):
            raise
        raise MasterKeyError(
            f"{method} login to {conn.address} failed: {exc.message.split(': ', 1)[-1]}",
            hint="check the role and the credentials the store's `auth` options point at",
        ) from None
    return client


def _login_retry(conn: Connection) -> Any:
    from secretwarden.stores.vault.errors import RetryPolicy

    # A login that fails with a server error is retried briefly: such errors rarely pass.
    return RetryPolicy(deadline=min(conn.timeout, 3.0), connect_deadline=min(conn.timeout, 3.0))


def _login(client: Any, conn: Connection, root: Path, method: str, mount: str) -> None:
    from secretwarden.stores.vault.errors import call

    call(
        _login_request(client, conn, root, method, mount),
        address=conn.address,
        what=f"auth/{mount}/login",
        capability="update",
        retry=_login_retry(conn),
    )


def _login_request(client: Any, conn: Connection, root: Path, method: str, mount: str) -> Callable[[], Any]:
    """The login call of one auth method, its credentials gathered first (errors name where they are)."""
    if method == "approle":
        role_id = conn.auth.get("role_id") or _secret_from(conn.auth, "role_id", root)
        secret_id = _secret_from(conn.auth, "secret_id", root)
        if not role_id or not secret_id:
            raise MasterKeyError(
                "AppRole login needs a role id and a secret id",
                hint="set `auth.role_id_env`/`role_id_file` and `auth.secret_id_env`/`secret_id_file`",
            )
        return lambda: client.auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=mount)
    if method == "kubernetes":
        role = conn.auth.get("role")
        if not role:
            raise ContractError("Kubernetes auth needs `auth.role`")
        jwt = _read_file(str(conn.auth.get("jwt_file", K8S_TOKEN)), "service-account token", root)
        return lambda: client.auth.kubernetes.login(role=role, jwt=jwt, mount_point=mount)
    if method in ("jwt", "oidc"):
        from secretwarden.stores.vault.oidc import identity_token

        role = conn.auth.get("role")
        if not role:
            raise ContractError("JWT auth needs `auth.role` (the OpenBao role bound to the pipeline's claims)")
        token = identity_token(conn.auth, root, timeout=conn.timeout)
        return lambda: client.auth.jwt.jwt_login(role=role, jwt=token, path=mount)
    raise ContractError(f"unknown Vault auth method `{method}` (token, approle, kubernetes, jwt)")
