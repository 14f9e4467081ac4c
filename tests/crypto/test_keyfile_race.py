"""A key file appears whole or not at all: concurrent creators and readers never see a partial key."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from secretwarden.crypto.keyfile import create_key_file, read_key_text


def _create(path: Path, text: str, won: list[bool]) -> None:
    won.append(create_key_file(path, text, what="fingerprint key"))


def _read(path: Path, seen: list[str | None]) -> None:
    for _ in range(50):
        seen.append(read_key_text(path, what="fingerprint key") if path.parent.exists() else None)


def test_readers_never_see_a_partial_key_while_many_create_it(tmp_path: Path) -> None:
    for round_ in range(20):
        path = tmp_path / f"k{round_}" / "project.fingerprint.key"
        seen: list[str | None] = []
        won: list[bool] = []
        texts = [secrets.token_hex(32) + "\n" for _ in range(6)]
        threads = [threading.Thread(target=_create, args=(path, t, won)) for t in texts] + [
            threading.Thread(target=_read, args=(path, seen)) for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert won.count(True) == 1
        final = read_key_text(path, what="fingerprint key")
        assert final in texts
        assert all(s is None or s == final for s in seen), "a reader saw a partial or different key"
        assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left behind"
