"""Filtering audit entries for `warden audit log`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from secretwarden.errors import UsageError


def _since(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since `{text}` is not an ISO date or time", hint="use an ISO date or time, e.g. 2026-01-31 or 2026-01-31T09:30:00+00:00") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def filter_entries(
    entries: Iterable[dict[str, Any]],
    *,
    key: str | None = None,
    service: str | None = None,
    env: str | None = None,
    since: str | None = None,
    command: str | None = None,
    outcome: str | None = None,
    incident: str | None = None,
) -> list[dict[str, Any]]:
    start = _since(since) if since else None
    out = []
    for e in entries:
        if command and e.get("command") != command:
            continue
        if outcome and e.get("outcome") != outcome:
            continue
        if incident and e.get("incident") != incident:
            continue
        if service and e.get("service") != service:
            continue
        if env and e.get("env") != env:
            continue
        if key:
            full = f"{e.get('namespace')}/{e.get('key')}"
            keys = e.get("keys")
            read = [str(k) for k in keys] if isinstance(keys, list) else []
            if key not in (e.get("key"), full) and not any(k.endswith(f":{key}") or k.endswith(f"/{key}") for k in read):
                continue
        if start is not None:
            try:
                when = dt.datetime.fromisoformat(str(e.get("time")))
            except ValueError:
                continue  # an entry without a readable time cannot be placed after --since
            if (when if when.tzinfo else when.replace(tzinfo=dt.UTC)) < start:
                continue
        out.append(e)
    return out
