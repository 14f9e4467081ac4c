"""The `embedded` store backend: `backend.open_store` is its entry in the registry.

Below: how trouble with the store's SQLite file becomes a store error that names
the file, never a crash. The store (`store.py`) wraps its public methods in
`guard_store`, its shared journals (`journal.py`) in `guard_journals`: one
wrapper, two translations, since the two say different things. A flipped byte
can surface as an sqlite error or as a row whose text no longer parses (a
timestamp, a stamp's JSON, a non-UTF-8 string); a read-only file or disk is the
environment, not damage. It lives here rather than in a module of its own
because `warden run` loads this package anyway, and every module on its path
costs start-up (tests/ops/test_fastrun_imports.py).
"""

from __future__ import annotations

import functools
import sqlite3

from secretwarden.errors import IntegrityError, StoreUnavailable, WardenError
from secretwarden.paths import environment_error

TYPE_CHECKING = False  # `typing` stays off the run path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import ParamSpec, TypeVar

    P = ParamSpec("P")
    R = TypeVar("R")

_VERIFY_HINT = "`warden store verify` checks it; restore the file from a backup"


def sqlite_reason(exc: Exception) -> str:
    # sqlite messages name the problem ("database is locked", "disk I/O error"), never bound values.
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _store_trouble(store: object, exc: Exception) -> WardenError | None:
    where = getattr(store, "path", "store")
    if isinstance(exc, sqlite3.Error):  # DatabaseError (damage) and the interface errors a bad row can cause
        if "readonly" in str(exc):  # a permission or a read-only disk, not damage
            return StoreUnavailable(
                f"{where}: the embedded store is read-only here ({sqlite_reason(exc)})",
                hint="check the owner and mode of the store file and its folder, and that the disk is writable",
            )
        return IntegrityError(
            f"{where}: the embedded store is damaged or unreadable ({sqlite_reason(exc)})", hint=_VERIFY_HINT
        )
    if isinstance(exc, OSError):
        return environment_error(exc, getattr(store, "path", None), "embedded store")
    if isinstance(exc, ValueError | TypeError | KeyError | IndexError | OverflowError | UnicodeError):
        return IntegrityError(
            f"{where}: the embedded store holds a damaged row ({type(exc).__name__})", hint=_VERIFY_HINT
        )
    return None


def _journal_trouble(journal: object, exc: Exception) -> WardenError | None:
    where = getattr(journal, "location", "store")
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailable(
            f"{where}: the shared journals cannot be used ({exc})",
            hint="check the store file's permissions and the disk; `warden store verify` checks the file",
        )
    if isinstance(exc, sqlite3.Error | ValueError | TypeError | KeyError):
        return IntegrityError(
            f"{where}: a shared journal is damaged ({type(exc).__name__})",
            hint="`warden audit verify` shows which entries",
        )
    return None


def _guard(method: Callable[P, R], translate: Callable[[object, Exception], WardenError | None]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except WardenError:
            raise
        except Exception as exc:
            error = translate(args[0], exc)
            if error is None:
                raise
            raise error from None

    return wrapper


def guard_store(method: Callable[P, R]) -> Callable[P, R]:
    """A method of `store.EmbeddedStore`: its file's trouble becomes a store error."""
    return _guard(method, _store_trouble)


def guard_journals(method: Callable[P, R]) -> Callable[P, R]:
    """A method of `journal.EmbeddedJournal`: its tables' trouble becomes a store error."""
    return _guard(method, _journal_trouble)
