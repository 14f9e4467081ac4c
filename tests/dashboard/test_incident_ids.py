"""The dashboard names incidents as `warden incident list` does: where two stores hold one id
(both took a number at once), each shows as `<store>/<id>`, the name `incident close` accepts.
Real stores: dev's is the OpenBao of the fixtures, prod's an embedded file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Recorder, make_canary, run_warden
from tests.ops.test_journal_incident_ids import (
    laptop,  # noqa: F401  (the fixture: OpenBao + embedded)
    take_one_id_in_both_stores,
)

pytestmark = pytest.mark.vault


def test_the_dashboard_shows_the_ids_incident_list_shows(laptop: tuple[Path, dict[str, str]], tmp_path: Path) -> None:  # noqa: F811
    repo, env = laptop
    w = Recorder(cwd=repo, env=env)

    canary = make_canary()
    # dev opens INC-0001 while a second machine takes number 1 in prod
    assert take_one_id_in_both_stores(w, repo, canary).returncode == 0
    listed = sorted(i["id"] for i in json.loads(w("incident", "list", "--format", "json").stdout))
    assert listed == ["bao/INC-0001", "local/INC-0001"]

    report = w("report", "--format", "json")
    assert report.returncode == 0, report.output
    assert sorted(i["id"] for i in json.loads(report.stdout)["incidents"]) == listed
    page = tmp_path / "dash.html"
    assert w("report", "--html", page).returncode == 0
    html = page.read_text()
    for name in listed:
        assert f"<code>{name}</code>" in html
    assert "<code>INC-0001</code>" not in html
    # Each name the dashboard shows is one `incident close` takes (no "in 2 stores" refusal).
    assert w("rotate", "api/API_TOKEN", "--env", "prod", "--generate", "--yes").returncode == 0
    assert w("incident", "close", "local/INC-0001", "--root-cause", "chat export").returncode == 0
    states = {i["id"]: i["state"] for i in json.loads(w("report", "--format", "json").stdout)["incidents"]}
    assert states == {"bao/INC-0001": "open", "local/INC-0001": "closed"}
    for text in [*w.outputs, html]:
        assert canary not in text


def test_a_lone_id_stays_as_it_is_stored(laptop: tuple[Path, dict[str, str]]) -> None:  # noqa: F811
    repo, env = laptop
    assert run_warden("set", "api/API_TOKEN", "--env", "prod", cwd=repo, env=env, input=make_canary()).returncode == 0
    assert run_warden("incident", "open", "api/API_TOKEN", "--env", "prod", "--reason", "a", cwd=repo, env=env).returncode == 0
    report = run_warden("report", "--format", "json", cwd=repo, env=env)
    assert [i["id"] for i in json.loads(report.stdout)["incidents"]] == ["INC-0001"]
