"""What every hostile-input test asserts: one line and a hint, a documented exit code, no value shown."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Result, make_canary, run_warden

DOCUMENTED_ERROR_CODES = (1, 2, 3)


def ready_project(contract: Path) -> str:
    """Bootstrap `dev` and plant a canary database URL; returns the canary."""
    r = run_warden("-c", contract, "bootstrap", "--env", "dev")
    assert r.returncode == 0, r.output
    canary = make_canary("db")
    r = run_warden("-c", contract, "set", "shared/DATABASE_URL", "--env", "dev", input=f"postgres://app:{canary}@db/app")
    assert r.returncode == 0, r.output
    return canary


def assert_clear_error(r: Result, code: int, *, canary: str | None = None) -> str:
    """`warden: error: ...` on one line, then a hint; the exit code given; no traceback, no value."""
    assert r.returncode == code, r.output
    assert code in DOCUMENTED_ERROR_CODES
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    lines = r.stderr.splitlines()
    assert lines and lines[0].startswith("warden: error: "), r.stderr
    assert len(lines) == 2 and lines[1].startswith("hint: "), r.stderr
    if canary is not None:
        assert canary not in r.output
    return lines[0]


def assert_store_intact(contract: Path, canary: str) -> None:
    """The store still opens and holds the value; the audit chain still verifies."""
    r = run_warden("-c", contract, "get", "shared/DATABASE_URL", "--env", "dev")
    assert r.returncode == 0 and canary in r.stdout, r.output
    r = run_warden("-c", contract, "audit", "verify")
    assert r.returncode == 0, r.output
    assert canary not in r.output
