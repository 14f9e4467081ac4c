"""Durations written in the contract: `90d`, `12h`, `2w`, `30m`, `1y`, or combinations like `1d12h`."""

from __future__ import annotations

import datetime as dt
import functools
import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_PART = r"(\d+)([smhdwy])"  # compiled on first use (re's cache): `warden run`'s fast path never parses one


@functools.lru_cache(maxsize=1024)  # a large contract repeats a handful of cadences
def parse_duration(text: str) -> dt.timedelta:
    cleaned = text.strip().lower()
    if not cleaned or re.sub(_PART, "", cleaned) != "":
        raise ValueError(f"`{text}` is not a duration; write e.g. 90d, 12h, 2w or 1d12h")
    seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(_PART, cleaned))
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return dt.timedelta(seconds=seconds)
