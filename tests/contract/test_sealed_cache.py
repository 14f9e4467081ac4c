"""contract/sealed_cache.py: a sealed file reads back only under the same key and context, unaltered."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

from secretwarden.contract import sealed_cache

KEY = bytes(range(32))


def write(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def test_a_sealed_body_reads_back(tmp_path: Path) -> None:
    body = os.urandom(5000) + b"\n\n"
    path = write(tmp_path / "f", sealed_cache.seal(KEY, b"ctx", body))
    assert sealed_cache.unseal(KEY, b"ctx", path) == body


def test_another_key_context_or_any_changed_byte_is_a_miss(tmp_path: Path) -> None:
    sealed = sealed_cache.seal(KEY, b"ctx", b"body")
    path = write(tmp_path / "f", sealed)
    assert sealed_cache.unseal(bytes(32), b"ctx", path) is None
    assert sealed_cache.unseal(KEY, b"ctx2", path) is None
    for i in range(len(sealed)):
        changed = bytearray(sealed)
        changed[i] ^= 1
        assert sealed_cache.unseal(KEY, b"ctx", write(tmp_path / f"f{i}", bytes(changed))) is None, i


def test_a_file_sealed_the_older_way_is_a_miss_not_an_error(tmp_path: Path) -> None:
    # Before the fifth 2026-12-05 session the content MAC was HMAC-SHA256 over the same bytes.
    body = b"compiled plan"
    old_mac = hmac.digest(KEY, b"body\0ctx\0" + body, "sha256").hex().encode()
    assert sealed_cache.unseal(KEY, b"ctx", write(tmp_path / "old", old_mac + b"\n" + body)) is None


def test_the_mac_is_as_long_as_before(tmp_path: Path) -> None:
    mac, _, body = sealed_cache.seal(KEY, b"ctx", b"x").partition(b"\n")
    assert body == b"x" and len(mac) == 64 and int(mac, 16) >= 0
