"""Any value a store accepts can be redacted: long values (Hyperscan refuses literals of ~16 KB)
are found by an anchor and confirmed whole, and a set the compiler refuses falls back to plain
search. Never an exception (issue 21.8)."""

from __future__ import annotations

import secrets

import pytest

from secretwarden.redact.redactor import LONG_FORM, Redactor


def long_value(size: int) -> str:
    return secrets.token_hex(size // 2 + 1)[:size]


@pytest.mark.parametrize("size", [LONG_FORM, LONG_FORM + 1, 8 * 1024, 16 * 1024, 20 * 1024, 200 * 1024])
def test_long_values_are_redacted_whole(size: int) -> None:
    value = long_value(size)
    r = Redactor({"BIG": value, "SMALL": "small-secret-1"})
    text = f"a {value} b small-secret-1 c {value[:-1]}Z d"
    out = r.redact(text)
    assert out.startswith("a [REDACTED:BIG] b [REDACTED:SMALL] c ")
    assert value not in out
    assert value[:-1] + "Z" in out  # a look-alike that differs at the end is not the secret


@pytest.mark.parametrize("chunk", [1, 777, 4096, 65536])
def test_a_stream_redacts_a_long_value_split_anywhere(chunk: int) -> None:
    value = long_value(40 * 1024)
    r = Redactor({"BIG": value})
    data = f"start {value} middle {value}\nend\n".encode()
    stream = r.stream()
    out = b"".join(stream.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)) + stream.finish()
    assert out == b"start [REDACTED:BIG] middle [REDACTED:BIG]\nend\n"


def test_two_long_values_with_the_same_start_are_told_apart() -> None:
    head = long_value(2048)
    one, two = head + "-one-" + long_value(64), head + "-two-" + long_value(64)
    r = Redactor({"ONE": one, "TWO": two})
    assert r.redact(f"{two} {one}") == "[REDACTED:TWO] [REDACTED:ONE]"


def test_plain_search_gives_the_same_answer() -> None:
    value = long_value(30 * 1024)
    pairs = {"BIG": value, "SMALL": "small-secret-1", "NESTED": value[100:200]}
    text = f"x {value} y small-secret-1 z {value[100:200]} w"
    fast = Redactor(pairs)
    plain = Redactor(pairs)
    plain._fallback = True  # what happens when the compiler refuses the set
    assert plain.redact(text) == fast.redact(text) == "x [REDACTED:BIG] y [REDACTED:SMALL] z [REDACTED:NESTED] w"
