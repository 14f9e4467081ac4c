"""Which values warden stores at all: the one check every path a value enters goes through.

A value `warden run` could never hand to a process (a NUL byte, more than
Linux accepts for one environment variable) is refused when it enters, not
found out when a service starts. `WriteRequest` calls `refuse_unstorable`,
so `set`, `import`, `rotate`, `bootstrap`, `migrate` and every backend's
writer share it; readers of untrusted input (`import`, `migrate`) call
`unstorable_reason` first to report the one key instead of stopping.
Messages name the key and the reason, never the value.
"""

from __future__ import annotations

from secretwarden.errors import InputError

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true
if TYPE_CHECKING:
    from secretwarden.slots import SlotRef

# Linux refuses a single "NAME=value" string longer than 32 pages (MAX_ARG_STRLEN).
MAX_ONE_VARIABLE = 32 * 4096


def unstorable_reason(name: str, value: str) -> str | None:
    """Why `value` (for the variable `name`) cannot be stored, or None."""
    if "\0" in value:
        return "contains a NUL byte, which no environment variable can carry"
    if len(value) * 4 + len(name) + 2 <= MAX_ONE_VARIABLE:  # cannot exceed it: skip the encode
        return None
    size = len(name.encode()) + 1 + len(value.encode("utf-8", "surrogateescape")) + 1
    if size > MAX_ONE_VARIABLE:
        return (
            f"is too large for an environment variable ({size} bytes with its name; "
            f"Linux allows {MAX_ONE_VARIABLE})"
        )
    return None


def refuse_unstorable(slot: SlotRef, value: str) -> None:
    problem = unstorable_reason(slot.key, value)
    if problem is not None:
        raise InputError(
            f"the value for {slot.label()} {problem}; it was not written",
            hint="docs/runtime.md lists the size limits of each backend and target",
        )
