"""`rotation status --format json`: the document, and its text written directly when piped.

On 30,000 keys the document is ~11 MB; a dict per key then `json.dumps` cost
more than computing the report. `rotation_json_text` writes the same text as
`json.dumps(rotation_json(...), ensure_ascii=False)` from one template per key
(tests/cli/test_render_rotation.py holds it to that).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from json.encoder import encode_basestring as _enc  # the C encoder json.dumps uses for str
from typing import TYPE_CHECKING, Any, TextIO

from secretwarden.cli.utc_text import UtcText

if TYPE_CHECKING:
    from secretwarden.ops.rotation import RotationReport, RotationRow

STATES = ("ok", "due", "overdue", "never-rotated", "compromised", "missing", "no-cadence")


def row_json(r: RotationRow, now: dt.datetime) -> dict[str, Any]:
    return {
        "secret": r.slot.label(),
        "env": r.slot.env,
        "namespace": r.slot.namespace,
        "key": r.slot.key,
        "instance": r.slot.instance,
        "store": r.store,
        "services": list(r.services),
        "owner": r.owner,
        "required": r.required,
        "rotate_every_days": None if r.cadence is None else r.cadence.total_seconds() / 86400,
        "last_rotated": r.last_rotated.isoformat() if r.last_rotated else None,
        "due_at": r.due_at.isoformat() if r.due_at else None,
        "days_left": r.days_left(now),
        "state": r.state,
        "version": r.version,
        "rotations": r.rotations,
        "incident": r.incident,
    }


def _head(report: RotationReport, due_within_days: int) -> dict[str, Any]:
    counts = report.counts()
    return {
        "project": report.project,
        "generated_at": report.generated_at.isoformat(),
        "due_within_days": due_within_days,
        "ok": report.ok,
        "counts": {s: counts.get(s, 0) for s in STATES},
    }


def rotation_json(report: RotationReport, due_within_days: int) -> dict[str, Any]:
    return {**_head(report, due_within_days), "keys": [row_json(r, report.generated_at) for r in report.rows]}


_ROW = (  # %-formatting: ~40 % cheaper than str.format per call here
    '{"secret": %s, "env": %s, "namespace": %s, "key": %s, "instance": %s, "store": %s, "services": [%s], '
    '"owner": %s, "required": %s, "rotate_every_days": %s, "last_rotated": %s, "due_at": %s, "days_left": %s, '
    '"state": %s, "version": %s, "rotations": %s, "incident": %s}'
)


def _num(value: float | None) -> str:
    return "null" if value is None else float.__repr__(value)


def _days_left(r: RotationRow, now: dt.datetime) -> str:
    """`_num(r.days_left(now))`, three times faster: formatting to one decimal writes the digits
    repr(round(days, 1)) writes (both round the exact binary value; two datetimes are never more
    than 3.7 million days apart, far below where repr would switch to an exponent)."""
    if r.due_at is None:
        return "null"
    return format((r.due_at - now).total_seconds() / 86400, ".1f")


def _rows_text(rows: list[RotationRow], now: dt.datetime, cadences: dict[dt.timedelta, str], iso: UtcText) -> str:
    """The rows' JSON objects joined by ", ". One loop, few calls per row: at 30,000 rows each
    function call per row costs a few ms (the optional fields are tested inline, not by helpers)."""
    out: list[str] = []
    append = out.append
    for r in rows:
        slot = r.slot
        cadence = r.cadence
        every = "null"
        if cadence is not None:
            every = cadences.get(cadence) or cadences.setdefault(cadence, _num(cadence.total_seconds() / 86400))
        last_rotated, due_at = iso.json_pair(r.last_rotated, r.due_at)
        instance, owner, incident, version = slot.instance, r.owner, r.incident, r.version
        append(_ROW % (
            _enc(slot.label()), _enc(slot.env), _enc(slot.namespace), _enc(slot.key),
            "null" if instance is None else _enc(instance), _enc(r.store), ", ".join(map(_enc, r.services)),
            "null" if owner is None else _enc(owner), "true" if r.required else "false", every, last_rotated, due_at,
            _days_left(r, now), _enc(r.state), "null" if version is None else int.__repr__(version),
            int.__repr__(r.rotations), "null" if incident is None else _enc(incident),
        ))
    return ", ".join(out)


_BATCH = 1000  # keys per piece written: small pieces, and no 11 MB string built (and copied) several times


def rotation_json_chunks(report: RotationReport, due_within_days: int) -> Iterator[str]:
    """`rotation_json_text` in pieces, to be written one after the other."""
    now = report.generated_at
    cadences: dict[dt.timedelta, str] = {}
    iso = UtcText()
    rows = report.rows
    head = json.dumps(_head(report, due_within_days), ensure_ascii=False)
    yield head[:-1] + ', "keys": ['
    for start in range(0, len(rows), _BATCH):
        text = _rows_text(rows[start : start + _BATCH], now, cadences, iso)
        yield ", " + text if start else text
    yield "]}"


def rotation_json_text(report: RotationReport, due_within_days: int) -> str:
    return "".join(rotation_json_chunks(report, due_within_days))


def write_rotation_json(report: RotationReport, due_within_days: int, out: TextIO) -> None:
    """What `rotation status --format json` prints: indented for a terminal, compact (in pieces) when piped."""
    if out.isatty():
        out.write(json.dumps(rotation_json(report, due_within_days), indent=2, ensure_ascii=False) + "\n")
        return
    for chunk in rotation_json_chunks(report, due_within_days):
        out.write(chunk)
    out.write("\n")
