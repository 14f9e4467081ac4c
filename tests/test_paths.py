"""paths.py: private folders, temp files a killed writer left, symlink refusal (issue 21.10, 21.11, 21.14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from secretwarden.errors import StoreUnavailable
from secretwarden.paths import (
    TEMP_SUFFIX,
    check_regular_file,
    ensure_private_dir,
    open_nofollow,
    write_atomic,
)


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temp_of_a_dead_writer_is_removed_live_one_kept(tmp_path: Path) -> None:
    target = tmp_path / "secrets.enc.yaml"
    stale = tmp_path / f".{target.name}.{dead_pid()}.ab12{TEMP_SUFFIX}"
    live = tmp_path / f".{target.name}.{os.getpid()}.cd34{TEMP_SUFFIX}"
    stale.write_text("x")
    live.write_text("x")
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data" and not stale.exists() and live.exists()


def test_private_folder_is_0700_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ensure_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "a" / "b").stat().st_mode & 0o777 == 0o700


def test_existing_wide_folder_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / ".warden"
    folder.mkdir()
    folder.chmod(0o755)
    ensure_private_dir(folder)
    assert folder.stat().st_mode & 0o777 == 0o700


def test_dangling_symlink_folder_is_a_store_error(tmp_path: Path) -> None:
    link = tmp_path / "cfg"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(StoreUnavailable, match="symlink"):
        ensure_private_dir(link / "keys")


def test_symlinks_and_fifos_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_text("x")
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(StoreUnavailable, match="symlink"):
        check_regular_file(link, what="store")
    with pytest.raises(StoreUnavailable, match="symlink"):
        open_nofollow(link, os.O_RDONLY, what="store")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(StoreUnavailable, match="not a regular file"):
        open_nofollow(fifo, os.O_RDONLY, what="store")
