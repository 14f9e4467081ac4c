"""Turn hvac/requests failures into warden errors, and retry what is safe to retry.

Vault's own messages name routes and problems ("permission denied",
"check-and-set parameter did not match"), never submitted data, so the first
line of a server error may be shown. Exception text from `requests` is never
shown: it can carry URLs with query strings.

Retries cover 5xx, 429 (rate limit, performance standby), 412 (a standby that
has not caught up), dropped connections and redirect loops (standbys pointing
at each other during an election), with exponential backoff and jitter, until
a deadline. A server that accepts no connection at all gets a much shorter
budget (`connect_deadline`): `status` and `ci` against a server that is down
must fail in seconds. A single sealed server fails at once (waiting does not
unseal it); in a cluster a sealed node is skipped like a dead one, since a
killed leader comes back sealed while another node takes over.
Check-and-set conflicts are not errors here; they surface as `CasMismatch` so
the caller can re-read and decide.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from secretwarden.errors import MasterKeyError, PermissionDenied, StoreSealed, StoreUnavailable

T = TypeVar("T")
FOLLOW_MAX_DELAY = 0.5  # seconds: longest backoff step while following a cluster's leader


class CasMismatch(Exception):
    """A KV write or metadata write lost a check-and-set race (internal signal)."""


class NotFound(Exception):
    """The path does not exist (internal signal; callers decide what absence means)."""


class ServerUnreachable(StoreUnavailable):
    """No node accepted a connection or answered within the budget."""

    default_hint = "check that the server is running and reachable (VAULT_ADDR / the store's `address`)"


class ServerFailing(StoreUnavailable):
    """The server answered, with an error status, until the retry budget ran out."""


# hvac's exception classes for the statuses a retry may meet, by status code.
_STATUS = {
    "InternalServerError": 500,
    "BadGateway": 502,
    "VaultDown": 503,
    "RateLimitExceeded": 429,
    "PreconditionFailed": 412,
}


@dataclass(frozen=True)
class RetryPolicy:
    deadline: float = 30.0  # seconds for one operation, all attempts included
    first_delay: float = 0.05
    max_delay: float = 2.0
    # Seconds to keep trying while no connection is accepted at all (refused, connect timeout).
    connect_deadline: float = 5.0


def _server_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    text = ""
    if isinstance(errors, list) and errors:
        text = str(errors[0])
    elif isinstance(errors, str):
        text = errors
    text = " ".join(text.split())
    return text[:200]


def _retryable(exc: Exception) -> bool:
    import hvac.exceptions as hx
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return True  # standbys redirecting to each other while a new leader is elected
    if isinstance(exc, hx.VaultDown):
        return "sealed" not in _server_message(exc).lower()
    return isinstance(
        exc, hx.InternalServerError | hx.BadGateway | hx.RateLimitExceeded | hx.PreconditionFailed
    )


def call(
    fn: Callable[[], T],
    *,
    address: str,
    what: str,
    capability: str,
    retry: RetryPolicy,
    idempotent: bool = True,
    token_check: Callable[[], bool] | None = None,
    failover: Callable[[], bool] | None = None,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Run one Vault request; `what` is the API path, `capability` the ACL capability it needs.

    `failover` (HA clusters) re-points the client at the active node and says
    whether it did; it is asked after failures that mean "this node does not
    lead" (dropped connection, sealed, 5xx, standby answers). A write is only
    resent when it is `idempotent`: KV writes guarded by check-and-set are, since
    a resend after a lost answer fails the check instead of adding a version.
    """
    import hvac.exceptions as hx
    import requests

    started = time.monotonic()
    delay = retry.first_delay
    while True:
        try:
            return fn()
        except hx.InvalidRequest as exc:
            msg = _server_message(exc)
            if "check-and-set" in msg:
                raise CasMismatch(msg) from None
            # A KV v2 mount enabled moments ago answers 400 while it sets itself up (not applied).
            if "upgrading from non-versioned" in msg.lower() and time.monotonic() - started + delay < retry.deadline:
                _count(on_retry)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, retry.max_delay)
                continue
            raise StoreUnavailable(f"Vault refused {what}: {msg or 'invalid request'}") from None
        except hx.InvalidPath as exc:
            msg = _server_message(exc)
            if "no handler for route" in msg and what.startswith("auth/"):
                method = "/".join(what.split("/")[:2])
                raise StoreUnavailable(
                    f"no auth method is enabled at `{method}/` on {address}",
                    hint="`warden bootstrap --approles` enables AppRole; or `bao auth enable ...`",
                ) from None
            if "no handler for route" in msg:
                mount = what.split("/", 1)[0]
                raise StoreUnavailable(
                    f"no secrets engine is mounted at `{mount}/` on {address}",
                    hint=f"`warden bootstrap` enables a KV v2 mount there, or run "
                    f"`bao secrets enable -path={mount} kv-v2`",
                ) from None
            raise NotFound(what) from None
        except hx.Forbidden:
            if token_check is not None and not token_check():
                raise MasterKeyError(
                    f"the Vault token for {address} is invalid or expired",
                    hint="log in again (`bao login`), or check VAULT_TOKEN / the store's `auth` options",
                ) from None
            raise PermissionDenied(
                f"permission denied: the token lacks `{capability}` on `{what}` ({address})",
                hint="grant it in the token's policy (`warden render vault-policy` prints the policies warden expects)",
            ) from None
        except hx.Unauthorized:
            raise MasterKeyError(f"Vault at {address} rejected the token (401)") from None
        except Exception as exc:
            sealed = isinstance(exc, hx.VaultDown) and not _retryable(exc)
            if sealed and failover is None:
                raise StoreSealed(f"the Vault server at {address} is sealed") from None
            if not isinstance(exc, hx.VaultError | requests.exceptions.RequestException):
                raise
            if not sealed and not (_retryable(exc) and (idempotent or _not_applied(exc))):
                raise StoreUnavailable(f"{what}: Vault at {address} failed ({_describe(exc)})") from None
            # A cluster node that is sealed (a killed leader that came back) is skipped like a dead
            # one: another node leads, or will once the election is over.
            unreachable = _unreachable(exc)
            budget = retry.connect_deadline if unreachable and failover is None else retry.deadline
            elapsed = time.monotonic() - started
            if elapsed + delay > budget:
                if sealed:
                    raise StoreSealed(
                        f"the Vault server at {address} is sealed and no other node took over within {budget:g}s"
                    ) from None
                if isinstance(exc, hx.VaultError):
                    raise ServerFailing(
                        f"Vault at {address} answered {what} with {_describe(exc)}, "
                        f"still after {elapsed:.0f}s of retries",
                        hint="the server reports an error of its own: its log says why",
                    ) from None
                raise ServerUnreachable(
                    f"Vault at {address} did not answer {what} within {budget:g}s ({_describe(exc)})",
                    hint=_UNRESOLVED_HINT if _unresolved(exc) else None,
                ) from None
            _count(on_retry)
            if failover is not None and failover():
                continue  # another node leads now: resend there at once
            time.sleep(delay * (0.5 + random.random()))
            # Following a cluster, the wait is for an election (seconds): probe it more often.
            delay = min(delay * 2, retry.max_delay if failover is None else min(retry.max_delay, FOLLOW_MAX_DELAY))


def _count(on_retry: Callable[[], None] | None) -> None:
    if on_retry is not None:
        on_retry()


def _unreachable(exc: Exception) -> bool:
    """No connection was made (refused, or none accepted in time): nothing was sent."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ReadTimeout
    )


def _not_applied(exc: Exception) -> bool:
    """Answers that prove the server did not apply the request: safe to resend even a write."""
    import hvac.exceptions as hx
    import requests

    if isinstance(exc, hx.RateLimitExceeded | hx.PreconditionFailed | hx.VaultDown):
        return True
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return True  # every node it reached answered with a redirect, none with a result
    # A standby that could not reach an active node to forward to (an election is under way).
    msg = _server_message(exc).lower()
    return isinstance(exc, hx.InternalServerError) and (
        "node not active" in msg or "active cluster node not found" in msg
    )


_UNRESOLVED_HINT = (
    "check the host name in the store's `address` (or VAULT_ADDR): a name served by an internal DNS"
    " resolves only inside that network (VPN)"
)


def _unresolved(exc: BaseException) -> bool:
    """Whether a connection failed at the DNS lookup (a mistyped or internal-only host name),
    found in the chain requests/urllib3 wrap it in."""
    import socket

    stack: list[object] = [exc]
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError":
            return True
        stack += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return False


def _describe(exc: Exception) -> str:
    import hvac.exceptions as hx
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "no connection accepted in time"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "its host name does not resolve" if _unresolved(exc) else "connection refused or reset"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "redirect loop between nodes"
    if isinstance(exc, hx.VaultError):
        msg = _server_message(exc)
        code = _STATUS.get(type(exc).__name__)
        head = f"HTTP {code} ({type(exc).__name__})" if code else type(exc).__name__
        return head + (f": {msg}" if msg else "")
    return type(exc).__name__
