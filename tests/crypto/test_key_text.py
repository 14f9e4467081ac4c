"""Key text (URL-safe base64 without padding) read and written like the base64 module would."""

from __future__ import annotations

import base64
import os

import pytest

from secretwarden.crypto.keyfile import key_from_base64, key_to_base64


def test_keys_round_trip_as_the_base64_module_writes_them() -> None:
    for size in range(28, 40):
        key = os.urandom(size)
        text = base64.urlsafe_b64encode(key).decode().rstrip("=")
        assert key_to_base64(key) == text
        assert key_from_base64(text) == key
        assert key_from_base64(f"  {text}==\n") == key  # padding and whitespace as written by hand


@pytest.mark.parametrize("text", ["a", "abcd$efg", "é" * 12])
def test_text_that_is_no_base64_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        key_from_base64(text)
