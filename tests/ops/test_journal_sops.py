"""Two clones of a repository on a SOPS store share the register and the rotation log through
committed files, through the real `warden` command and real git."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden
from tests.stores.sops.sops_support import AgeIdentity, new_identity

CONTRACT = """\
version: 1
project: sopsteam
environments:
  dev: {}
stores:
  repo: {backend: sops, options: {format: yaml}}
namespaces:
  api: {path: /services/api, owner: team-api}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}
"""


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


class Clone:
    def __init__(self, root: Path, ident: AgeIdentity, fingerprint_key: str) -> None:
        self.repo = root / "repo"
        self.env = {
            "WARDEN_CONFIG_DIR": str(root / "home" / "config"),
            "WARDEN_CACHE_DIR": str(root / "home" / "cache"),
            "WARDEN_FINGERPRINT_KEY": fingerprint_key,
            **ident.env,
        }
        self.outputs: list[str] = []

    def w(self, *args: str, input: str | None = None) -> tuple[int, str, str]:
        res = run_warden("-c", self.repo / "warden.yaml", *args, input=input, env=self.env)
        assert "Traceback" not in res.stderr
        self.outputs.append(res.output)
        return res.returncode, res.stdout, res.stderr

    def publish(self, message: str) -> None:
        git(self.repo, "add", "warden.yaml", ".sops.yaml", "secrets")
        git(self.repo, "commit", "-q", "-m", message)
        git(self.repo, "push", "-q", "origin", "HEAD:main")


@pytest.fixture
def clones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Clone, Clone]:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    ident = new_identity(tmp_path / "keys")  # both engineers may decrypt dev
    key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    (tmp_path / "a").mkdir()
    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "a" / "repo"))
    a = Clone(tmp_path / "a", ident, key)
    (a.repo / "warden.yaml").write_text(CONTRACT)
    assert a.w("sops", "init", "-r", f"dev={ident.recipient}")[0] == 0
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    a.publish("contract and dev secrets")
    (tmp_path / "b").mkdir()
    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "b" / "repo"))
    return a, Clone(tmp_path / "b", ident, key)


def test_two_clones_share_the_register_through_commits(clones: tuple[Clone, Clone]) -> None:
    a, b = clones
    code, out, err = a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "seen in a CI log")
    assert code == 0 and "INC-0001 opened" in out, err
    a.publish("incident INC-0001")
    git(b.repo, "pull", "-q", "origin", "main")
    _, out, _ = b.w("incident", "list", "--format", "json")
    assert [(i["id"], i["recorded"]) for i in json.loads(out)] == [("INC-0001", True)]
    assert b.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--reason", "after INC-0001", "--yes")[0] == 0
    assert b.w("incident", "close", "INC-0001", "--root-cause", "CI echo masked")[0] == 0
    b.publish("rotated, INC-0001 closed")
    git(a.repo, "pull", "-q", "origin", "main")
    _, out, _ = a.w("rotation", "log", "--format", "json")
    assert [r["reason"] for r in json.loads(out)] == ["after INC-0001"]
    assert a.w("incident", "list", "--open")[1].strip() == "no incidents"
    # Reviewable: the commit adds plain lines (names and reasons, never a value).
    diff = git(a.repo, "show", "HEAD", "--", "secrets/_warden/incidents.jsonl")
    assert '"root_cause":"CI echo masked"' in diff
    code, out, _ = a.w("audit", "verify")
    assert code == 0, out
    journal = a.repo / "secrets" / "_warden" / "incidents.jsonl"
    journal.write_text(journal.read_text().replace("seen in a CI log", "nothing happened"))
    code, out, _ = a.w("audit", "verify")
    assert code == 1 and "incidents journal" in out and "edited" in out


def test_no_value_in_the_committed_journals(clones: tuple[Clone, Clone]) -> None:
    a, _b = clones
    value = make_canary("sopsjournal") + "-long-enough"
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--stdin", "--reason", "manual", "--yes", input=value)[0] == 0
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    for path in (a.repo / "secrets" / "_warden").iterdir():
        assert value not in path.read_text()
    for text in a.outputs:
        assert value not in text


def test_an_entry_a_merge_dropped_is_named_and_restored(clones: tuple[Clone, Clone]) -> None:
    """Two clones rotate at once; the second resolves the conflict on the journal with the
    remote's lines (docs/team.md): its rotation entry is gone. `audit verify` names it,
    `rotation restore` writes it again."""
    a, b = clones
    contract = a.repo / "warden.yaml"  # a second namespace: the two rotations touch different files
    contract.write_text(
        CONTRACT.replace("  api: {path: /services/api, owner: team-api}\n",
                         "  api: {path: /services/api, owner: team-api}\n  web: {path: /services/web, owner: team-web}\n")
        + "  web:\n    namespace: web\n    secrets:\n      WEB_TOKEN: {min_length: 16, generate: {kind: chars, length: 24}}\n"
    )
    assert a.w("bootstrap", "--env", "dev")[0] == 0
    a.publish("web namespace")
    git(b.repo, "pull", "-q", "origin", "main")
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--reason", "from a", "--yes")[0] == 0
    a.publish("rotation from a")
    assert b.w("rotate", "web/WEB_TOKEN", "--env", "dev", "--generate", "--reason", "from b", "--yes")[0] == 0
    git(b.repo, "add", "secrets")
    git(b.repo, "commit", "-q", "-m", "rotation from b")
    merged = subprocess.run(["git", "pull", "-q", "--no-rebase", "origin", "main"], cwd=b.repo, capture_output=True, text=True,
                            env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"})
    assert merged.returncode != 0 and "CONFLICT" in merged.stdout + merged.stderr
    journal = ["secrets/_warden/rotation.jsonl", "secrets/_warden/rotation.head.json"]
    git(b.repo, "checkout", "--theirs", "--", *journal)  # the remote's lines, as docs/team.md says
    git(b.repo, "add", *journal)
    git(b.repo, "commit", "-q", "--no-edit")

    code, out, _ = b.w("audit", "verify")
    assert code == 1, out
    assert "entry 1 that this machine wrote (rotation of dev:web/WEB_TOKEN at" in out and "dropped when a merge" in out, out
    assert "`warden rotation restore` writes it again" in out
    assert a.w("audit", "verify")[0] == 0  # the other clone lost nothing

    code, out, _ = b.w("rotation", "restore")
    assert code == 0 and "restored: rotation of dev:web/WEB_TOKEN" in out and "now entry 2" in out, out
    code, out, _ = b.w("audit", "verify")
    assert code == 0, out
    _, out, _ = b.w("rotation", "log", "--format", "json")
    assert sorted(r["reason"] for r in json.loads(out)) == ["from a", "from b"]
    assert "nothing to restore" in b.w("rotation", "restore")[1]
    b.publish("rotation from b, restored")
    git(a.repo, "pull", "-q", "origin", "main")
    assert a.w("audit", "verify")[0] == 0


def test_a_head_file_moved_back_one_entry_is_reported_where_it_was_seen_further(clones: tuple[Clone, Clone]) -> None:
    """One entry past the head is what a writer killed between its line and the head file leaves;
    the machine that wrote the later head knows the head never stood that low after it."""
    a, b = clones
    head = a.repo / "secrets" / "_warden" / "incidents.head.json"
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    after_open = head.read_bytes()
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes")[0] == 0
    assert a.w("incident", "close", "INC-0001", "--root-cause", "drill over")[0] == 0
    head.write_bytes(after_open)  # the head file of one commit back (a revert of that file alone)
    a.publish("head moved back")
    code, out, _ = a.w("audit", "verify")
    assert code == 1 and "head was moved back" in out and "reach entry 2" in out, out
    # A machine that never saw the later head cannot tell it from a killed writer: accepted there.
    git(b.repo, "pull", "-q", "origin", "main")
    code, out, _ = b.w("audit", "verify")
    assert code == 0, out


def test_a_damaged_register_head_stops_the_gates(clones: tuple[Clone, Clone]) -> None:
    """Read as "no open incidents", a damaged head would let `run` start a service whose incident is
    open: every gate stops instead (exit 3), and `audit verify` names it."""
    a, _b = clones
    assert a.w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "drill")[0] == 0
    value = make_canary("damagedhead") + "-long-enough"
    assert a.w("rotate", "api/API_TOKEN", "--env", "dev", "--stdin", "--reason", "drill", "--yes", input=value)[0] == 0
    (a.repo / "secrets" / "_warden" / "incidents.head.json").write_text("{not json")
    for args in (("run", "--service", "api", "--env", "dev", "--", "true"), ("check", "--service", "api", "--env", "dev")):
        code, _, err = a.w(*args)
        assert code == 3 and "head of the incidents journal is damaged" in err, (args, err)
    code, out, _ = a.w("audit", "verify")
    assert code == 1 and "head is damaged" in out, out
    # The next append rebuilds the head from the entries (SOPS: the file is the truth).
    assert a.w("incident", "close", "INC-0001", "--root-cause", "drill over")[0] == 0
    assert a.w("run", "--service", "api", "--env", "dev", "--", "true")[0] == 0
    for text in a.outputs:
        assert value not in text
