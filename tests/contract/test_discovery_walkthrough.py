"""Problems a user walkthrough of `warden init` found, checked through the real CLI on real files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_warden

_COMPOSE = """\
services:
  web:
    image: example/web
    environment:
      DATABASE_URL: ${DATABASE_URL}
      API_TOKEN: ${API_TOKEN:-local}
      CACHE_URL: ${CACHE_URL}
"""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _init_json(root: Path) -> dict[str, object]:
    result = run_warden("init", "--dry-run", "--format", "json", root)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_a_compose_line_is_listed_once_per_name(tmp_path: Path) -> None:
    _write(tmp_path, "docker-compose.yml", _COMPOSE)
    text = run_warden("init", "--dry-run", tmp_path)
    assert text.returncode == 0, text.stderr
    assert "docker-compose.yml:5, docker-compose.yml:5" not in text.stdout
    assert "docker-compose.yml:5" in text.stdout
    names = _init_json(tmp_path)["services"][tmp_path.name]["names"]  # type: ignore[index]
    assert [(p["path"], p["line"]) for p in names["DATABASE_URL"]] == [("docker-compose.yml", 5)]


def test_distinct_lines_stay_distinct_and_a_default_on_the_line_is_kept(tmp_path: Path) -> None:
    # must-not: two lines are two places; the default of `${API_TOKEN:-local}` is not lost by the merge
    _write(tmp_path, "docker-compose.yml", _COMPOSE + "  worker:\n    image: example/worker\n"
           "    environment:\n      - DATABASE_URL=${DATABASE_URL}\n")
    names = _init_json(tmp_path)["services"][tmp_path.name]["names"]  # type: ignore[index]
    assert [p["line"] for p in names["DATABASE_URL"]] == [5, 11]
    assert [p.get("has_default") for p in names["API_TOKEN"]] == [True]
    assert [p.get("has_default") for p in names["CACHE_URL"]] == [None]
    written = run_warden("init", tmp_path)
    assert written.returncode == 0, written.stderr
    contract = (tmp_path / "warden.yaml").read_text()
    assert "API_TOKEN: {required: false}" in contract
    cache = next(line for line in contract.splitlines() if line.strip().startswith("CACHE_URL:"))
    assert "required: false" not in cache


def test_json_output_has_the_keys_docs_init_md_shows(tmp_path: Path) -> None:
    _write(tmp_path, "docker-compose.yml", _COMPOSE)
    data = _init_json(tmp_path)
    doc = (Path(__file__).parents[2] / "docs" / "init.md").read_text()
    sample = doc.split("`--format json` prints:", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    assert set(json.loads(sample)) == set(data)
