"""Public-by-design keys end to end: listed as notes, never failing `scan`, `ci` or a baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.findings.test_paths import uris_resolve
from tests.scan.scan_helpers import fake, git, run_warden


@pytest.fixture
def web_repo(repo: Path) -> tuple[Path, str]:
    """A repository whose only key-shaped values are public by design; values made here."""
    api_key = fake("AIza{b64url:35}")
    (repo / "web").mkdir()
    (repo / "web" / "firebase.js").write_text(
        "export const firebaseConfig = {\n"
        f'  apiKey: "{api_key}",\n'
        '  authDomain: "shop.firebaseapp.com",\n'
        '  messagingSenderId: "123456789012",\n'
        "};\n")
    (repo / "web" / "checkout.js").write_text(f"const stripe = Stripe('{fake('pk_live_{alnum:24}')}');\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "web config")
    return repo, api_key


def test_notes_never_fail_and_text_hides_them_unless_asked(web_repo: tuple[Path, str]) -> None:
    repo, api_key = web_repo
    proc = run_warden("scan", ".", cwd=repo)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    assert "firebase-web-api-key" not in out
    assert "2 notes not shown (public by design, never failing): --notes lists them" in out
    assert "0 findings" in out and "2 notes (public by design, never failing)" in out

    shown = run_warden("scan", ".", "--notes", cwd=repo)
    text = shown.stdout.decode()
    assert shown.returncode == 0
    assert "web/firebase.js:2:12: note [firebase-web-api-key]" in text and "stripe-publishable-key" in text
    assert api_key not in text + shown.stderr.decode()  # a note is still redacted like any finding


def test_machine_formats_carry_notes_at_note_level(web_repo: tuple[Path, str], tmp_path: Path) -> None:
    repo, api_key = web_repo
    proc = run_warden("scan", "web", "--format", "json", cwd=repo)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert {f["severity"] for f in doc["findings"]} == {"note"} and doc["stats"]["notes"] == 2
    assert api_key not in proc.stdout.decode()

    sarif_path = tmp_path / "scan.sarif"
    proc = run_warden("scan", "web", "--format", "sarif", "-o", str(sarif_path), cwd=repo)
    assert proc.returncode == 0
    sarif = json.loads(sarif_path.read_text())
    assert sorted(uris_resolve(sarif)) == ["web/checkout.js", "web/firebase.js"]
    run = sarif["runs"][0]
    assert {r["level"] for r in run["results"]} == {"note"}
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    note_rule = rules["firebase-web-api-key"]
    assert note_rule["defaultConfiguration"]["level"] == "note"
    assert "security-severity" not in note_rule["properties"]  # code scanning shows it as a Note
    assert "security-severity" in rules["gcp-api-key"]["properties"]


def test_github_annotations_are_notices_only_on_request(web_repo: tuple[Path, str]) -> None:
    repo, _ = web_repo
    (repo / "app.py").write_text(f"TOKEN = '{fake('ghp_{alnum:36}')}'\n")
    hidden = run_warden("scan", ".", "--format", "github", cwd=repo)
    assert hidden.returncode == 1
    lines = hidden.stdout.decode().splitlines()
    assert lines[0].startswith("::error file=app.py,line=1,col=10,title=warden scan%3A github-token (critical)::")
    assert not any(line.startswith("::notice") for line in lines)
    shown = run_warden("scan", ".", "--format", "github", "--notes", cwd=repo).stdout.decode().splitlines()
    assert sum(line.startswith("::notice file=web/") for line in shown) == 2


def test_baseline_records_no_note_and_ci_passes(web_repo: tuple[Path, str]) -> None:
    repo, _ = web_repo
    proc = run_warden("scan", ".", "--update-baseline", cwd=repo)
    assert proc.returncode == 0
    assert "0 fingerprint(s) recorded" in proc.stderr.decode()
    baseline = json.loads((repo / ".warden-baseline.json").read_text())
    assert baseline["findings"] == []
    proc = run_warden("scan", ".", "--notes", cwd=repo)
    assert "firebase-web-api-key" in proc.stdout.decode()  # still listed: a baseline never hides a note

    ci = run_warden("ci", cwd=repo)
    out = ci.stdout.decode()
    assert "scan    pass  0 secret finding(s)" in out and "2 note(s), public by design" in out, out
