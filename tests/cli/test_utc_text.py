"""The reports' timestamp writer is `isoformat()`, character for character."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from secretwarden.cli.utc_text import UtcText

ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=2)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))])


@given(st.lists(st.datetimes(timezones=ZONES), max_size=20))
def test_the_same_text_as_isoformat(values: list[dt.datetime]) -> None:
    iso = UtcText()  # one per report: the day cache spans the list
    assert [iso(v) for v in values] == [v.isoformat() for v in values]


def test_whole_seconds_and_a_naive_time() -> None:
    iso = UtcText()
    whole = dt.datetime(2026, 12, 5, 4, 0, tzinfo=dt.UTC)
    assert iso(whole) == "2026-12-05T04:00:00+00:00" == whole.isoformat()  # no fraction, as isoformat
    assert iso(whole.replace(microsecond=7)) == "2026-12-05T04:00:00.000007+00:00"
    naive = dt.datetime(2026, 12, 5, 4, 0)
    assert iso(naive) == naive.isoformat()


@given(st.datetimes(timezones=ZONES), st.one_of(st.integers(-800, 800).map(lambda d: dt.timedelta(days=d)), st.timedeltas(
    min_value=dt.timedelta(days=-800), max_value=dt.timedelta(days=800))), ZONES)
def test_a_pair_is_the_text_of_each(first: dt.datetime, gap: dt.timedelta, zone: dt.tzinfo) -> None:
    """`json_pair` formats the time of day once when the two are whole days apart: still isoformat() each."""
    try:
        second = (first + gap).astimezone(zone)
    except OverflowError:
        return
    iso = UtcText()
    assert iso.json_pair(first, second) == (json.dumps(first.isoformat()), json.dumps(second.isoformat()))
    assert iso.json_pair(None, second) == ("null", json.dumps(second.isoformat()))
    assert iso.json_pair(first, None) == (json.dumps(first.isoformat()), "null")
