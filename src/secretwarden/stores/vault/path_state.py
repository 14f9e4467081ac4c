"""What one metadata read of a KV path found (`PathState`): versions, times and warden's record.

Reads and writes of the store pass it around; writes check-and-set against the versions it holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from secretwarden.stores.vault.meta import PathRecord, to_us


def parse_time(text: str) -> dt.datetime | None:
    """A server timestamp (RFC 3339, nanoseconds, `Z`) as an aware datetime; None for empty."""
    if not text:
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00" if frac else f"{head}+00:00")


@dataclass
class PathState:
    """One metadata read of a path."""

    path: str
    exists: bool = False
    kv: int = 0  # current KV version (0: none yet)
    mv: int | None = None  # metadata version, when the server supports metadata check-and-set
    oldest: int = 0
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)
    record: PathRecord | None = None
    foreign: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    page_custom: dict[int, dict[str, str]] = field(default_factory=dict)  # history pages as loaded
    # One-key-per-path layouts: the group document holding (or to hold) this path's record, the
    # path's name in it, and its entry there as read (what a save is checked against).
    group: str | None = None
    rel: str = ""
    base_entry: dict[str, Any] | None = None
    # The path's record held rows of a KV version it does not have (dropped when read): another
    # writer saved its record first and its value is in flight, or never landed.
    record_ahead: bool = False

    def created_us(self, kv: int) -> int:
        when = parse_time(str(self.versions.get(kv, {}).get("created_time", "")))
        return to_us(when) if when else 0

    def latest_readable(self) -> bool:
        info = self.versions.get(self.kv, {})
        return self.kv > 0 and not info.get("deletion_time") and not info.get("destroyed")
