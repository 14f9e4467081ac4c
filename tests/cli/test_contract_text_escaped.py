"""Free text a contract carries (owners, descriptions, runbook steps) and text other writers put
in a shared register (incident reasons) is shown escaped like store-written key names
(`slots.printable`), never obeyed: a pull request that puts a terminal escape in an owner must
not repaint the terminal of whoever runs `rotation status`, and a description with a line break
must not add a line of its own to a generated `.env.example`."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_warden

OWNER = "team\x1b]0;owned\x07\x1b[2J"
CONTRACT = """\
version: 1
project: demo
environments:
  dev: {}
namespaces:
  api: {path: /services/api, owner: "team\\e]0;owned\\a\\e[2J"}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN:
        description: "the token\\nINJECTED=1\\e[31m"
        rotate_every: 30d
        generate: {kind: chars, length: 24}
        runbook:
          - step: "tell the \\e[5mteam\\e[0m"
"""


def clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, text[-2000:]


def project(tmp_path: Path) -> Path:
    (tmp_path / "warden.yaml").write_text(CONTRACT)
    return tmp_path


def test_rotation_reports_escape_owners_and_runbook_steps(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert run_warden("bootstrap", "--env", "dev", cwd=root).returncode == 0
    for args in (
        ("rotation", "status", "--verbose"),
        ("rotation", "status", "--format", "markdown"),
        ("rotation", "calendar"),
        ("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes", "--reason", "drill\x1b[31m"),
        ("rotation", "log", "--format", "markdown"),
        ("rotation", "log", "--format", "csv"),
    ):
        res = run_warden(*args, cwd=root)
        assert res.returncode == 0, (args, res.output)
        clean(res.output)
    status = run_warden("rotation", "status", "--verbose", cwd=root)
    assert "team\\x1b]0;owned" in status.stdout
    rotate = run_warden("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes", cwd=root)
    assert "tell the \\x1b[5mteam" in rotate.stderr


def test_generated_files_keep_descriptions_on_their_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    res = run_warden("render", "env-example", "--service", "api", cwd=root)
    assert res.returncode == 0, res.output
    clean(res.output)
    assert not any(line.startswith("INJECTED") for line in res.stdout.splitlines()), res.stdout
    doc = run_warden("render", "secrets-doc", "--service", "api", cwd=root)
    assert doc.returncode == 0, doc.output
    clean(doc.output)


def test_incident_reasons_from_the_register_are_escaped(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert run_warden("bootstrap", "--env", "dev", cwd=root).returncode == 0
    opened = run_warden("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak\x1b[31m\x07", cwd=root)
    assert opened.returncode == 0, opened.output
    for fmt in ("table", "markdown"):
        res = run_warden("incident", "list", "--format", fmt, cwd=root)
        assert res.returncode == 0, res.output
        clean(res.output)
        assert "leak\\x1b[31m\\x07" in res.stdout
