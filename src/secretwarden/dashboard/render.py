"""One renderer for both forms of the dashboard: the self-contained file
(`warden report --html`) and the live pages (`warden serve`).

Jinja2 templates under `templates/`, autoescaped. The stylesheet and the small
sorting/filtering script are inlined from `templates/dashboard.css|js`; because
their text never varies, the Content-Security-Policy allows exactly them by
SHA-256 hash (in a `<meta>` tag for the file, in a header for the server), and
nothing else: no network fetch, no other script, no inline style attribute.
Charts are inline SVG whose geometry is computed here, so the browser runs no
chart code. Output depends only on the model, so equal inputs give equal HTML.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from secretwarden.dashboard.model import (
    CALENDAR_DAYS,
    ROTATION_WORDS,
    CoverageCell,
    Dashboard,
    RotationItem,
)

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).with_name("templates")
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("coverage", "Coverage"),
    ("rotation", "Rotation"),
    ("incidents", "Incidents"),
    ("isolation", "Isolation"),
    ("guardrails", "Guardrails"),
    ("audit", "Audit"),
)
PAGES = frozenset(k for k, _ in SECTIONS)
Mode = Literal["file", "serve"]


@functools.cache
def _assets() -> tuple[str, str]:
    return (TEMPLATES / "dashboard.css").read_text(encoding="utf-8"), (
        TEMPLATES / "dashboard.js"
    ).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(*, for_meta: bool = False) -> str:
    """Only our own inline stylesheet and script may run; nothing may be fetched.

    `frame-ancestors` is ignored in a `<meta>` tag, so the file form leaves it out.
    """
    css, js = _assets()
    parts = [
        "default-src 'none'",
        f"style-src {_sha256(css)}",
        f"script-src {_sha256(js)}",
        "img-src data:",
        "form-action 'self'",
        "base-uri 'none'",
    ]
    if not for_meta:
        parts.append("frame-ancestors 'none'")
    return "; ".join(parts)


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(fmt_time=fmt_time, fmt_date=fmt_date, num=num, words=ROTATION_WORDS)
    return env


def fmt_time(value: str | None) -> str:
    if not value:
        return "–"
    try:
        return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def num(value: float | None) -> str:
    """A day count as a person writes it: 90, 12.5, or a dash."""
    return "–" if value is None else f"{value:g}"


def fmt_date(value: str | None) -> str:
    return fmt_time(value)[:10] if value else "–"


# --- chart geometry ----------------------------------------------------------------------------


def calendar_geometry(d: Dashboard) -> dict[str, Any]:
    cell_w, left, top, cell_h = 8, 96, 4, 28
    cells: list[dict[str, Any]] = []
    months: list[tuple[int, str]] = []
    for n, day in enumerate(d.rotation.calendar):
        count = len(day.due)
        level = 0 if count == 0 else 1 if count == 1 else 2 if count < 5 else 3
        x = left + n * cell_w
        cells.append({"x": x, "date": day.date, "count": count, "level": level, "names": day.due[:12]})
        when = dt.date.fromisoformat(day.date)
        if n == 0 or when.day == 1:
            months.append((x, f"{when:%b} {when.day}"))
    # Keep month labels from overlapping the first one.
    labels = [{"x": x, "label": text} for i, (x, text) in enumerate(months) if i == 0 or x - months[0][0] >= 40]
    cal = d.rotation.calendar
    return {
        "days": CALENDAR_DAYS,
        "cell_w": cell_w,
        "cell_h": cell_h,
        "left": left,
        "top": top,
        "width": left + len(cells) * cell_w + 8,
        "height": top + cell_h + 26,
        "cells": cells,
        "months": labels,
        "total": sum(c["count"] for c in cells),
        "first": cal[0].date if cal else "",
        "last": cal[-1].date if cal else "",
    }


def ages_geometry(d: Dashboard) -> dict[str, Any]:
    left, span, row_h = 170, 380, 24
    rows = d.rotation.ages
    scale = max([1.0, *(a.oldest_days for a in rows), *(a.cadence_days or 0 for a in rows)])

    def w(days: float) -> float:
        return round(max(1.0, days / scale * span), 1)

    out = []
    for n, a in enumerate(rows):
        out.append(
            {
                "y": 4 + n * row_h,
                "namespace": a.namespace,
                "count": a.keys,
                "median": a.median_days,
                "oldest": a.oldest_days,
                "cadence": a.cadence_days,
                "median_w": w(a.median_days),
                "oldest_w": w(a.oldest_days),
                "cadence_x": None if a.cadence_days is None else round(left + w(a.cadence_days), 1),
            }
        )
    return {
        "left": left,
        "label_x": left + span + 14,
        "width": left + span + 14 + 360,
        "height": 8 + len(rows) * row_h,
        "rows": out,
        "scale_days": round(scale, 1),
    }


# --- filters (the live pages filter on the server, so they work without the script) -------------


def filter_rotation(items: list[RotationItem], filters: Mapping[str, str]) -> list[RotationItem]:
    out = items
    for name in ("owner", "namespace", "env", "state"):
        want = filters.get(name)
        if want:
            out = [i for i in out if (getattr(i, name) or "") == want]
    return out


def filter_audit(entries: list[dict[str, Any]], filters: Mapping[str, str]) -> list[dict[str, Any]]:
    out = entries
    for name in ("key", "service", "user"):
        want = (filters.get(name) or "").lower()
        if want:
            if name == "key":
                out = [e for e in out if e.get("key") and want in f"{e.get('namespace')}/{e.get('key')}".lower()]
            else:
                out = [e for e in out if want in str(e.get(name) or "").lower()]
    outcome = filters.get("outcome")
    if outcome:
        out = [e for e in out if e.get("outcome") == outcome]
    return out


# --- pages -------------------------------------------------------------------------------------


def _links(mode: Mode) -> tuple[Callable[[str], str], Callable[[CoverageCell], str]]:
    if mode == "file":
        return (lambda key: f"#{key}"), (lambda c: f"#keys-{c.id}")
    return (lambda key: "/" if key == "overview" else f"/{key}"), (lambda c: f"/coverage/{c.id}")


def _context(d: Dashboard, mode: Mode, current: str, filters: Mapping[str, str], title: str) -> dict[str, Any]:
    css, js = _assets()
    href, cell_href = _links(mode)
    return {
        "d": d,
        "css": css,
        "js": js,
        "meta_csp": content_security_policy(for_meta=True) if mode == "file" else None,
        "sections": SECTIONS,
        "current": current,
        "href": href,
        "cell_href": cell_href,
        "filters": dict(filters),
        "title": title,
        "calendar": calendar_geometry(d),
        "ages": ages_geometry(d),
        "rotation_items": filter_rotation(d.rotation.items, filters),
        "audit_entries": filter_audit(d.audit.entries, filters),
        "cell": None,
    }


def render_report(d: Dashboard) -> str:
    """The whole dashboard as one self-contained HTML file."""
    ctx = _context(d, "file", "", {}, "Governance report")  # one page: no nav entry is "current"
    return _environment().get_template("report.html.j2").render(ctx)


def render_page(
    d: Dashboard,
    page: str,
    *,
    filters: Mapping[str, str] | None = None,
    cell: CoverageCell | None = None,
) -> str:
    """One page of the live dashboard (`page` is a key of SECTIONS)."""
    if page not in PAGES:
        raise KeyError(page)
    title = dict(SECTIONS)[page]
    if cell is not None:
        title = f"{cell.service}{'@' + cell.instance if cell.instance else ''} in {cell.env}"
    ctx = _context(d, "serve", page, filters or {}, title)
    ctx["cell"] = cell
    return _environment().get_template("page.html.j2").render(ctx)
