"""What every delivery platform provides, and the small HTTP client they share.

A platform lists the names it holds (values of secrets cannot be read back
from most of them) and sets one name to one value. The client retries what
the platforms document as transient (rate limits with `Retry-After` or a reset
time, 502/503/504) within a bounded budget, and turns every other answer into
a warden error that names the platform, the status and the documented
message field — never a request body, which holds the value.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from secretwarden.errors import MasterKeyError, PermissionDenied, StoreUnavailable, UsageError
from secretwarden.stores.base import SecretValue


@dataclass(frozen=True)
class TargetOptions:
    """The command's `--repo`, `--environment`, `--app`, `--service-id`: where on the platform."""

    repo: str | None = None
    environment: str | None = None
    app: str | None = None
    service_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Platform(Protocol):
    name: str

    @property
    def target_id(self) -> str:
        """Identifies the destination (repository and environment, app, service) for the sync ledger."""
        ...

    def existing_names(self) -> set[str]: ...

    def put_many(self, values: dict[str, SecretValue]) -> None:
        """Set each name to its value (one release where the platform makes one per change)."""
        ...


def token_from(variable: str, platform: str) -> str:
    token = os.environ.get(variable, "").strip()
    if not token:
        raise MasterKeyError(f"no {platform} API token: {variable} is not set",
                             hint=f"export {variable} with a token allowed to write secrets")
    return token


def api_base(variable: str, default: str) -> str:
    """The API root: the platform's, or an override (GitHub Enterprise, a test server)."""
    return os.environ.get(variable, default).rstrip("/")


@dataclass
class HttpClient:
    platform: str
    base: str
    headers: dict[str, str]
    timeout: float = 15.0
    budget: float = 60.0  # seconds of waiting for rate limits and transient failures, per request
    requests: int = 0

    def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
             secret: SecretValue | None = None) -> tuple[int, Any, dict[str, str]]:
        import requests

        url = path if path.startswith("http") else f"{self.base}{path}"
        waited = 0.0
        while True:
            self.requests += 1
            try:
                resp = requests.request(method, url, headers=self.headers, params=params,
                                        data=json.dumps(body) if body is not None else None, timeout=self.timeout)
            except requests.RequestException as exc:
                raise StoreUnavailable(f"{self.platform} API at {self.base} did not answer ({type(exc).__name__})",
                                       hint="check the network, or the API address override") from None
            delay = _retry_delay(resp.status_code, resp.headers)
            if delay is not None and waited + delay <= self.budget:
                time.sleep(delay)
                waited += delay
                continue
            try:
                payload = resp.json() if resp.content else None
            except ValueError:
                payload = None
            if resp.status_code >= 400:
                raise _error(self.platform, method, path, resp.status_code, payload, secret)
            return resp.status_code, payload, {k.lower(): v for k, v in resp.headers.items()}


def _retry_delay(status: int, headers: Any) -> float | None:
    """Seconds to wait before retrying, for the answers platforms document as 'try later'."""
    retry_after = headers.get("Retry-After")
    if status == 429 or (status == 403 and (retry_after or headers.get("x-ratelimit-remaining") == "0")):
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 1.0
        reset = headers.get("x-ratelimit-reset")
        if reset:
            try:
                return max(0.0, float(reset) - time.time())
            except ValueError:
                return 1.0
        return 1.0
    if status in (502, 503, 504):
        return 0.5
    return None


def _error(platform: str, method: str, path: str, status: int, payload: Any, secret: SecretValue | None) -> Exception:
    message = ""
    if isinstance(payload, dict):
        found = payload.get("message") or payload.get("error") or ""
        if isinstance(found, str):
            message = found[:160]
    if secret is not None and secret.reveal() and secret.reveal() in message:
        message = ""  # a server that echoes the request: say nothing of it
    what = f"{platform}: {method} {path.split('?')[0]} answered HTTP {status}" + (f" ({message})" if message else "")
    if status == 401:
        return MasterKeyError(what, hint="the API token is missing, expired or revoked")
    if status == 403:
        return PermissionDenied(what, hint="the token lacks the permission to manage secrets there")
    if status == 404:
        return UsageError(what, hint="check the repository, app or service id (or the token cannot see it)")
    if status == 429:
        return StoreUnavailable(what, hint="rate limited for longer than the retry budget; run again later")
    return StoreUnavailable(what)
