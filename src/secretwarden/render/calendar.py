"""`warden rotation calendar`: due rotations as an iCalendar (RFC 5545) file for the Ops calendar.

One all-day event per key with a due date, on that date, with its owner,
the services that read it and the command that rotates it; overdue and
compromised keys land on the day the file is made, so they are in today's
view. Names only: the file carries metadata, never a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secretwarden.ops.rotation import RotationReport, RotationRow

PRODID = "-//Secret Warden//rotation calendar//EN"
_ACTIONABLE = {"ok", "due", "overdue", "never-rotated", "compromised"}


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    from secretwarden.slots import printable

    # Line breaks keep their meaning; any other control character (no TEXT value may hold one)
    # is written as a Python escape, like every name warden shows.
    text = "\n".join(printable(line) for line in text.replace("\r\n", "\n").split("\n"))
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after one space (RFC 5545 3.1)."""
    out: list[str] = []
    data = line.encode()
    limit = 75
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 sequence
            cut -= 1
        out.append(data[:cut].decode())
        data = b" " + data[cut:]
        limit = 75
    out.append(data.decode())
    return out


def _name(row: RotationRow) -> str:
    name = f"{row.slot.namespace}/{row.slot.key}"
    return f"{name}@{row.slot.instance}" if row.slot.instance else name


def _day(row: RotationRow, today: dt.date) -> dt.date | None:
    if row.state in ("overdue", "compromised"):
        return today
    return row.due_at.date() if row.due_at is not None else None


def _event(project: str, row: RotationRow, day: dt.date, stamp: str) -> list[str]:
    name, env = _name(row), row.slot.env
    headline = {"overdue": "OVERDUE: rotate", "compromised": "COMPROMISED: rotate"}.get(row.state, "Rotate")
    instance = f" --instance {row.slot.instance}" if row.slot.instance else ""
    facts = [
        f"Project {project}, environment {env}, store {row.store}.",
        f"Owner: {row.owner or 'not set in warden.yaml'}.",
        f"Read by: {', '.join(row.services) or 'no service'}.",
    ]
    if row.cadence is not None:
        facts.append(f"Cadence: every {row.cadence.days} days.")
    if row.last_rotated is not None:
        facts.append(f"Last written: {row.last_rotated.date().isoformat()}.")
    facts.append(f"Rotate with: warden rotate {row.slot.namespace}/{row.slot.key} --env {env}{instance}")
    uid_seed = f"{project}|{env}|{name}|{row.version}"
    uid = hashlib.sha256(uid_seed.encode()).hexdigest()[:32]
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}@secretwarden",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{_escape(f'{headline} {name} ({env})')}",
        f"DESCRIPTION:{_escape(chr(10).join(facts))}",
        f"CATEGORIES:{_escape('secret rotation')},{_escape(row.owner or 'unowned')}",
        "TRANSP:TRANSPARENT",
    ]
    if row.state not in ("overdue", "compromised"):
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{_escape(f'{name} ({env}) is due for rotation in a week')}",
            "TRIGGER:-P7D",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def rotation_calendar(report: RotationReport) -> str:
    """The report's due dates as one VCALENDAR (CRLF line ends, folded lines)."""
    stamp = report.generated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    today = report.generated_at.date()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(f'Secret rotation: {report.project}')}",
    ]
    for row in sorted(report.rows, key=lambda r: (r.slot.env, r.slot.namespace, r.slot.key, r.slot.instance or "")):
        if row.state not in _ACTIONABLE:
            continue
        day = _day(row, today)
        if day is not None:
            lines += _event(report.project, row, day, stamp)
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
