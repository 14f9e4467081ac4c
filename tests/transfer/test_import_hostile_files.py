"""`warden import` of files an attacker shaped: exit 2 with one line, nothing written, no value shown.

Before: JSON nested 100,000 deep was a RecursionError and a YAML tag, a syntax error or deep
nesting (in the source or the --mapping file) an internal error (exit 4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "warden.yaml").write_text(MINIMAL_CONTRACT)
    return tmp_path


def _hostile_sources(canary: str) -> dict[str, str]:
    return {
        "deep.json": "[" * 100_000,
        "tag.yaml": 'DATABASE_URL: !!python/object/apply:os.system ["true"]\n',
        "deep.yaml": "a: " + "[" * 100_000 + "\n",
        # A broken escape right after a value: the parser's own message would quote it.
        "broken.yaml": f'DATABASE_URL: "{canary}\\q"\n',
    }


@pytest.mark.parametrize("name", ["deep.json", "tag.yaml", "deep.yaml", "broken.yaml"])
def test_hostile_source_is_refused(repo: Path, name: str) -> None:
    canary = make_canary()
    (repo / name).write_text(_hostile_sources(canary)[name])
    res = run_warden("import", name, "--env", "dev", cwd=repo)
    assert res.returncode == 2, res.output
    assert res.stderr.startswith(f"warden: error: {name}:")
    assert "hint:" in res.stderr
    assert canary not in res.output and "Traceback" not in res.output
    assert not (repo / ".warden" / "local.db").exists()


@pytest.mark.parametrize("name", ["tag.yaml", "deep.yaml", "broken.yaml"])
def test_hostile_mapping_file_is_refused(repo: Path, name: str) -> None:
    canary = make_canary()
    (repo / name).write_text(_hostile_sources(canary)[name])
    (repo / "values.json").write_text('{"DATABASE_URL": "postgres://u:p@h/db"}')
    res = run_warden("import", "values.json", "--env", "dev", "--mapping", name, cwd=repo)
    assert res.returncode == 2, res.output
    assert canary not in res.output and "Traceback" not in res.output


def test_mapping_file_that_is_not_utf8(repo: Path) -> None:
    (repo / "m.yaml").write_bytes(b"\xff\xfe: x\n")
    (repo / "values.json").write_text('{"DATABASE_URL": "postgres://u:p@h/db"}')
    res = run_warden("import", "values.json", "--env", "dev", "--mapping", "m.yaml", cwd=repo)
    assert res.returncode == 2, res.output
    assert "not UTF-8" in res.stderr
