"""Turn hvac/requests failures into warden errors, and retry what is safe to retry.

Vault's own messages name routes and problems ("permission denied",
"check-and-set parameter did not match"), never submitted data, so the first
line of a server error may be shown. Exception text from `requests` is never
shown: it can carry URLs with query strings.

Retries cover 5xx, 429 (rate limit, performance standby), 412 (a standby that
has not caught up) and dropped connections, with exponential backoff and
jitter, until a deadline. Sealed servers fail at once: waiting does not unseal.
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


@dataclass(frozen=True)
class RetryPolicy:
    deadline: float = 30.0  # seconds for one operation, all attempts included
    first_delay: float = 0.05
    max_delay: float = 2.0


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
            if isinstance(exc, hx.VaultDown) and not _retryable(exc):
                # One sealed node of a cluster: the others may still serve (bounded by the deadline).
                if failover is not None and time.monotonic() - started < retry.deadline and failover():
                    _count(on_retry)
                    continue
                raise StoreSealed(f"the Vault server at {address} is sealed") from None
            if not isinstance(exc, hx.VaultError | requests.exceptions.RequestException):
                raise
            if not (_retryable(exc) and (idempotent or _not_applied(exc))):
                raise StoreUnavailable(f"{what}: Vault at {address} failed ({_describe(exc)})") from None
            if time.monotonic() - started + delay > retry.deadline:
                raise StoreUnavailable(
                    f"Vault at {address} did not answer {what} within {retry.deadline:g}s ({_describe(exc)})",
                    hint="check that the server is running and reachable (VAULT_ADDR / the store's `address`)",
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


def _not_applied(exc: Exception) -> bool:
    """Answers that prove the server did not apply the request: safe to resend even a write."""
    import hvac.exceptions as hx

    if isinstance(exc, hx.RateLimitExceeded | hx.PreconditionFailed | hx.VaultDown):
        return True
    # A standby that could not reach an active node to forward to (an election is under way).
    msg = _server_message(exc).lower()
    return isinstance(exc, hx.InternalServerError) and (
        "node not active" in msg or "active cluster node not found" in msg
    )


def _describe(exc: Exception) -> str:
    import hvac.exceptions as hx
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection refused or reset"
    if isinstance(exc, hx.VaultError):
        msg = _server_message(exc)
        return f"{type(exc).__name__}" + (f": {msg}" if msg else "")
    return type(exc).__name__
