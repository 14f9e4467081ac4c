"""A SOPS store rolled back as a whole — value file, sidecar and state restored together from an
older commit, all validly signed — through the real CLI in a real git repository. The machine
that saw the newer metadata refuses it (exit 3) and `store verify` / `audit verify` report it;
a machine that never saw it cannot tell (docs/security.md, residual risks)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_sops_cmd import CONTRACT
from tests.conftest import Result, make_canary, random_fingerprint_key, run_warden
from tests.stores.sops.sops_support import new_identity

FILES = ("secrets/dev/api.enc.yaml", "secrets/dev/api.enc.yaml.warden.json", "secrets/.warden-sops.json")


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def test_metadata_rolled_back_with_its_state_is_refused_where_the_newer_was_seen(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git(root, "init", "-q")
    (root / "warden.yaml").write_text(CONTRACT.format(fmt="yaml"))
    dev, prod = new_identity(tmp_path / "keys", "dev"), new_identity(tmp_path / "keys", "prod")
    shared = {"WARDEN_FINGERPRINT_KEY": random_fingerprint_key(), "SOPS_AGE_KEY_FILE": str(dev.key_file)}
    outputs: list[str] = []

    def w(*args: str, home: str = "laptop", input: str | None = None) -> Result:
        env = {**shared, "WARDEN_CONFIG_DIR": str(tmp_path / home / "config"),
               "WARDEN_CACHE_DIR": str(tmp_path / home / "cache")}
        res = run_warden(*args, cwd=root, env=env, input=input)
        assert "Traceback" not in res.output
        outputs.append(res.output)
        return res

    assert w("sops", "init", "-r", f"dev={dev.recipient}", "-r", f"prod={prod.recipient}").returncode == 0
    assert w("bootstrap", "--env", "dev").returncode == 0
    leaked = make_canary()
    assert w("set", "api/API_TOKEN", "--env", "dev", input=leaked + "\n").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "token")
    before = git(root, "rev-parse", "HEAD").strip()
    assert w("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    assert w("rotate", "api/API_TOKEN", "--env", "dev", "--generate", "--yes").returncode == 0
    assert w("incident", "close", "INC-0001", "--root-cause", "rotated").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "incident, rotated")
    # The child says whether it got the leaked value, by digest (the value never on a command line).
    digest = hashlib.sha256(leaked.encode()).hexdigest()
    show = [sys.executable, "-c", "import hashlib, os, sys; "
            "print(hashlib.sha256(os.environ['API_TOKEN'].encode()).hexdigest() == sys.argv[1])", digest]
    assert w("run", "--service", "api", "--env", "dev", "--", *show).stdout.strip() == "False"

    # The attack: the value file, its sidecar and the state as they were before the incident,
    # every one with a valid signature, committed as an ordinary change.
    git(root, "checkout", before, "--", *FILES)
    git(root, "commit", "-q", "-m", "tidy secrets")
    for args in (("run", "--service", "api", "--env", "dev", "--", *show), ("get", "api/API_TOKEN", "--env", "dev")):
        res = w(*args)
        assert res.returncode == 3 and "rolled back" in res.stderr and "tampering" in res.stderr, res.output
        assert "True" not in res.stdout and leaked not in res.output
    for args in (("store", "verify"), ("audit", "verify")):
        res = w(*args)
        assert res.returncode in (1, 3) and "rolled back" in res.output, (args, res.output)

    # A machine that never saw the newer metadata has no mark: the residual risk docs/security.md names.
    fresh = w("run", "--service", "api", "--env", "dev", "--", *show, home="fresh-runner")
    assert fresh.returncode == 0 and fresh.stdout.strip() == "True"
    # Back on the newer commit, the laptop serves again.
    git(root, "revert", "--no-edit", "HEAD")
    assert w("run", "--service", "api", "--env", "dev", "--", *show).stdout.strip() == "False"
    for text in outputs:
        assert leaked not in text
