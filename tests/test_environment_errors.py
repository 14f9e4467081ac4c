"""Hostile or broken machine folders: WARDEN_CONFIG_DIR / WARDEN_CACHE_DIR that are files or unusable.

Each gets one line that names the path the OS failed on, a hint, exit 3 (or the command's own
answer when the folder is only a cache), never an internal error, and no value in any output.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden


def _repo_with_a_value(tmp_path: Path) -> tuple[Path, str]:
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT)
    value = f"postgres://u:{make_canary()}@h/db"
    res = run_warden("set", "shared/DATABASE_URL", "--env", "dev", cwd=tmp_path, input=value)
    assert res.returncode == 0, res.output
    return tmp_path, value


def test_config_dir_that_cannot_be_created_names_it(tmp_path: Path) -> None:
    repo, value = _repo_with_a_value(tmp_path)
    # A folder under /proc can never be created: the audit append must blame it, not audit.jsonl.
    res = run_warden("get", "shared/DATABASE_URL", "--env", "dev", cwd=repo, env={"WARDEN_CONFIG_DIR": "/proc/warden-nope"})
    assert res.returncode == 3, res.output
    assert "/proc/warden-nope" in res.stderr
    assert "hint:" in res.stderr
    assert "Traceback" not in res.output and value not in res.output


def test_config_dir_that_is_a_file_gets_a_hint(tmp_path: Path) -> None:
    repo, value = _repo_with_a_value(tmp_path)
    res = run_warden("get", "shared/DATABASE_URL", "--env", "dev", cwd=repo, env={"WARDEN_CONFIG_DIR": str(repo / "warden.yaml")})
    assert res.returncode == 3, res.output
    assert "WARDEN_CONFIG_DIR" in res.stderr  # the hint
    assert "Traceback" not in res.output and value not in res.output


def test_cache_dir_that_is_a_file_only_costs_speed(tmp_path: Path) -> None:
    repo, value = _repo_with_a_value(tmp_path)
    env = {"WARDEN_CACHE_DIR": str(repo / "warden.yaml")}
    status = run_warden("status", "--env", "dev", cwd=repo, env=env)
    assert status.returncode == 1, status.output  # the gap report's own answer: keys are missing
    run = run_warden("run", "-s", "shared", "-e", "dev", "--", "true", cwd=repo, env=env)
    assert run.returncode == 0, run.output
    for res in (status, run):
        assert "Traceback" not in res.output and value not in res.output
