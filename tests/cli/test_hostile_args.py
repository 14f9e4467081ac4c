"""Odd and hostile command-line arguments: exit 2 with one line, nothing written, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT)
    return tmp_path


@pytest.mark.parametrize("name", ["shared/X\x1b]0;owned\x07", "shared/A\tB", "shared/\x1b[31mRED", "shared/" + "K" * 300])
def test_undeclared_key_names_that_would_replay_in_every_listing_are_refused(repo: Path, name: str) -> None:
    res = run_warden("set", name, "--env", "dev", "--undeclared", cwd=repo, input="abcdefghijklmnopqrst")
    assert res.returncode == 2, res.output
    assert "not a usable key name" in res.stderr and "hint:" in res.stderr
    assert "\x1b" not in res.output and "\x07" not in res.output
    # Nothing was written: the store was never created.
    listing = run_warden("ls", "--env", "dev", cwd=repo)
    assert "\x1b" not in listing.output and "\t" not in listing.output


def test_a_plain_undeclared_key_is_still_written(repo: Path) -> None:
    res = run_warden("set", "shared/NEW_KEY", "--env", "dev", "--undeclared", cwd=repo, input="abcdefghijklmnopqrst")
    assert res.returncode == 0, res.output


@pytest.mark.parametrize(
    "args",
    [
        ["get", "shared/DATABASE_URL", "--env", "../x"],
        ["get", "shared/DATABASE_URL", "--env", ""],
        ["get", "", "--env", "dev"],
        ["get", "../x", "--env", "dev"],
        ["get", "shop/SHOP_KEY", "--env", "dev", "--instance", "../x"],
        ["status", "--env", "../x"],
        ["run", "-s", "../x", "-e", "dev", "--", "true"],
    ],
)
def test_odd_arguments_are_usage_errors(repo: Path, args: list[str]) -> None:
    res = run_warden(*args, cwd=repo)
    assert res.returncode == 2, res.output
    assert "Traceback" not in res.output
    assert res.stderr.startswith("warden: error:") or res.stderr.startswith("Usage:")
