"""The one exception hierarchy of Secret Warden.

Every error a user can cause or meet derives from `WardenError`. Each class
carries the process exit code the CLI uses for it and an optional hint. The
CLI's error handler (`secretwarden.cli.errors`) is the only place that turns
these into a one-line message and an exit code.

Rule for every raise site: messages name keys, paths, files and versions,
never a secret value. Wrap foreign exceptions with `from None` when their text
could carry input data.
"""

from __future__ import annotations

# Documented exit codes (README, docs/cli.md).
EXIT_OK = 0
EXIT_POLICY = 1  # a gap, a finding, a refused write: the tool worked and said no
EXIT_USAGE = 2  # bad arguments, malformed contract or input file
EXIT_STORE = 3  # store unavailable, sealed, permission denied, wrong or missing key
EXIT_INTERRUPTED = 130


class WardenError(Exception):
    """Base class; `exit_code` and `hint` drive the CLI's message."""

    exit_code: int = EXIT_USAGE
    default_hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message


# --- usage and input (exit 2) -------------------------------------------------


class UsageError(WardenError):
    """Arguments that cannot work together, an unknown service or environment."""

    exit_code = EXIT_USAGE


class UnsupportedOperation(WardenError):
    """The store's backend cannot do this (e.g. read a version a sops file no longer holds)."""

    exit_code = EXIT_USAGE


class InputError(WardenError):
    """A file or stream the user gave us cannot be read or parsed."""

    exit_code = EXIT_USAGE


class ContractError(WardenError):
    """`warden.yaml` is missing, malformed or inconsistent.

    `problems` holds one line per problem, each already prefixed with
    `file:line:column`.
    """

    exit_code = EXIT_USAGE
    default_hint = "see docs/contract.md for the format; `warden schema` prints the JSON Schema"

    def __init__(self, message: str, *, problems: list[str] | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.problems = problems or []


# --- policy (exit 1) -----------------------------------------------------------


class PolicyError(WardenError):
    """The tool worked and the answer is no: a gap, a refused write, a compromised key."""

    exit_code = EXIT_POLICY


class SecretNotFound(PolicyError):
    """The slot has no live version."""


class ReuseRefused(PolicyError):
    """A write whose value equals an earlier or compromised value."""

    default_hint = "generate a new value (`warden rotate` can do it for keys with a generate rule)"


class CompromisedSecret(PolicyError):
    """A key is under an open incident and has not been rotated since."""

    default_hint = "rotate the key (`warden rotate`), or pass --allow-compromised (audited)"


class ValidationFailed(PolicyError):
    """A value does not satisfy its contract spec (format, min_length)."""


class SettingsInvalid(ValidationFailed):
    """An application's settings miss or break the contract; `problems` names keys, never values."""

    def __init__(self, message: str, *, problems: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems


# --- store and keys (exit 3) ---------------------------------------------------


class StoreError(WardenError):
    """Base for anything that goes wrong inside a store backend."""

    exit_code = EXIT_STORE


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


class StoreSealed(StoreUnavailable):
    default_hint = "unseal the server (`bao operator unseal`) and retry"


class PermissionDenied(StoreError):
    """The store refused an operation; the message names path and capability."""


class MasterKeyError(StoreError):
    """The root key is missing or does not open this store."""

    default_hint = (
        "set WARDEN_MASTER_KEY, or restore the key file named in the message; "
        "a store's data cannot be recovered without its root key"
    )


class IntegrityError(StoreError):
    """Stored data failed authentication or a consistency check."""

    default_hint = "the file was changed outside warden: restore it from version control or a backup (`warden store verify` checks a store)"


class ConflictError(StoreError):
    """A check-and-set write lost against a concurrent writer."""

    default_hint = "re-read the key and retry"


class PartialWrite(StoreError):
    """A non-transactional store failed after part of a batch was committed.

    `written` holds the `WriteResult`s that landed; the message and exit code
    are those of the failure (`cause`).
    """

    def __init__(self, cause: WardenError, written: list[object]) -> None:
        super().__init__(cause.message, hint=cause.hint)
        self.cause = cause
        self.written = written
        self.exit_code = cause.exit_code
