"""json_codec gives json's answers and json's errors: audit entries, metadata and cache files stay the same bytes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secretwarden import json_codec

FORMS: list[dict[str, Any]] = [
    {},  # json.dumps' defaults
    {"sort_keys": True, "separators": (",", ":")},  # plan cache, store journals
    {"separators": (",", ":")},
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False},  # audit entries
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_dumps_writes_json_s_text(value: Any) -> None:
    for form in FORMS:
        assert json_codec.dumps(value, **form) == json.dumps(value, **form)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_loads_reads_json_s_value(value: Any) -> None:
    for form in FORMS:
        text = json.dumps(value, **form)
        for given_text in (text, text.encode("utf-8", "surrogatepass"), f" \n{text}\t\r "):
            got, expected = json_codec.loads(given_text), json.loads(given_text)
            assert json.dumps(got) == json.dumps(expected)  # NaN never equals itself: compare the text
            assert type(got) is type(expected)


def test_the_special_cases() -> None:
    assert json_codec.dumps("plain \u00e9 \udcff") == json.dumps("plain \u00e9 \udcff")
    assert json_codec.dumps("\u00e9", ensure_ascii=False) == json.dumps("\u00e9", ensure_ascii=False)
    assert json_codec.dumps({1: 2, None: 3, 1.5: True}) == json.dumps({1: 2, None: 3, 1.5: True})
    assert math.isnan(json_codec.loads("NaN")) and json_codec.loads("-Infinity") == -math.inf
    assert json_codec.loads('{"a": 1e400, "b": 10000000000000000000000}') == {"a": math.inf, "b": 10**22}
    assert json_codec.loads(b'\xef\xbb\xbf{"a": 1}') == json.loads(b'\xef\xbb\xbf{"a": 1}')  # UTF-8 BOM
    utf16 = '{"a": "\u00e9"}'.encode("utf-16")
    assert json_codec.loads(utf16) == json.loads(utf16) == {"a": "\u00e9"}
    assert json_codec.loads(bytearray(b'[1, "x"]')) == json.loads(bytearray(b'[1, "x"]')) == [1, "x"]
    with pytest.raises(TypeError, match="must be str, bytes or bytearray, not int"):
        json_codec.loads(1)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "{", '{"a": 1} x', '{"a": 1}{}', "[1,]", "\ufeff{}", "nul", '"\x01"',
                                  b"\xff\xfe\x00", b"\x80{}", '{"a" 1}'])
def test_bad_text_raises_json_s_own_error(text: str | bytes) -> None:
    with pytest.raises(ValueError) as expected:
        json.loads(text)
    with pytest.raises(type(expected.value)) as got:
        json_codec.loads(text)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("value", [{"a": object()}, {(1, 2): 3}, [math.nan, {1j: 2}]])
def test_values_json_refuses_raise_json_s_own_error(value: Any) -> None:
    with pytest.raises(TypeError) as expected:
        json.dumps(value, sort_keys=True)
    with pytest.raises(TypeError) as got:
        json_codec.dumps(value, sort_keys=True)
    assert str(got.value) == str(expected.value)


def test_a_cycle_is_json_s_value_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        json_codec.dumps(loop)


def test_importing_it_loads_no_json_package() -> None:
    code = "import sys, secretwarden.json_codec as c; c.loads(c.dumps({'a': [1]})); print('json' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == (
        "False"
    )
