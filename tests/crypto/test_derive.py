"""crypto/derive.py's SHA-256 and HMAC (built on the interpreter's own SHA-256) give hashlib's and hmac's bytes.

Everything a store, an audit log or a cache file ever MACed or hashed with
`hashlib`/`hmac` must verify the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys

import pytest

from secretwarden.crypto import derive

SIZES = (0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 100_000)


@pytest.mark.parametrize("size", SIZES)
def test_sha256_is_hashlib_s(size: int) -> None:
    data = os.urandom(size)
    assert derive.sha256(data) == hashlib.sha256(data).digest()
    assert derive.sha256_hex(data) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("key_size", (0, 1, 16, 32, 63, 64, 65, 100, 200))
@pytest.mark.parametrize("size", SIZES)
def test_hmac_sha256_is_hmac_s(key_size: int, size: int) -> None:
    key, msg = os.urandom(key_size), os.urandom(size)
    assert derive.hmac_sha256(key, msg) == hmac.digest(key, msg, "sha256")


def test_inputs_above_the_large_threshold_give_the_same_bytes() -> None:
    data = os.urandom(derive._LARGE + 1)
    assert derive.sha256(data) == hashlib.sha256(data).digest()
    assert derive.hmac_sha256(b"k" * 32, data) == hmac.digest(b"k" * 32, data, "sha256")


def test_rfc_4231_case_2() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert derive.hmac_sha256(b"Jefe", b"what do ya want for nothing?").hex() == expected


def test_the_derived_keys_and_macs_are_those_of_hmac() -> None:
    key = os.urandom(32)
    prk = hmac.new(b"secretwarden hkdf v1", key, hashlib.sha256).digest()
    first = hmac.new(prk, b"info" + b"\x01", hashlib.sha256).digest()
    second = hmac.new(prk, first + b"info" + b"\x02", hashlib.sha256).digest()
    assert derive.hkdf(key, b"info", 48) == (first + second)[:48]
    assert derive.key_id(key, b"label") == hmac.new(key, b"secretwarden key id: label", hashlib.sha256).hexdigest()[:32]
    buf = b"warden-mac-v1" + (2).to_bytes(4, "big") + b"\x01a" + (1).to_bytes(4, "big") + b"\x00"
    assert derive.mac_fields(key, "a", None) == hmac.digest(key, buf, "sha256").hex()


def test_same_compares_text_and_bytes() -> None:
    assert derive.same("abc", "abc") and not derive.same("abc", "abd") and not derive.same("abc", "ab")
    assert derive.same("é\udcff", "é\udcff")
    assert derive.same_bytes(b"\x00\xff", b"\x00\xff") and not derive.same_bytes(b"\x00", b"\x01")


def test_importing_it_loads_neither_hashlib_nor_hmac() -> None:
    code = "import sys, secretwarden.crypto.derive; print(sorted({'hashlib', 'hmac', '_hashlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
