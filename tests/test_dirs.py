"""The configuration and cache folders have one definition (dirs.py), which paths.py re-exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from secretwarden import dirs, paths


def test_paths_reexports_the_one_definition() -> None:
    assert paths.config_dir is dirs.config_dir and paths.cache_dir is dirs.cache_dir


def test_overrides_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARDEN_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("WARDEN_CACHE_DIR", str(tmp_path / "cache"))
    assert dirs.config_dir() == tmp_path / "cfg" and dirs.cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("WARDEN_CONFIG_DIR")
    monkeypatch.delenv("WARDEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xc"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xk"))
    assert dirs.config_dir() == tmp_path / "xc" / "secretwarden"
    assert dirs.cache_dir() == tmp_path / "xk" / "secretwarden"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert dirs.config_dir() == tmp_path / "home" / ".config" / "secretwarden"
    assert dirs.cache_dir() == tmp_path / "home" / ".cache" / "secretwarden"
