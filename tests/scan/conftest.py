"""Fixtures for the scanner tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scan.scan_helpers import git


@pytest.fixture

def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    return path
