"""The sops lint rules on files written by the real sops binary, through `warden lint`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secretwarden.stores.sops.tool import run_sops
from tests.conftest import make_canary, run_warden
from tests.lint.conftest import git
from tests.stores.sops.sops_support import new_identity

RULES = ("sops-unencrypted", "sops-plaintext-value", "sops-decrypted-copy-tracked", "sops-decrypted-not-ignored")


def _lint(repo: Path) -> dict[str, list[str]]:
    args = [a for r in RULES for a in ("--rule", r)]
    res = run_warden("lint", str(repo), "--no-contract", "--format", "json", *args, cwd=repo)
    assert res.returncode in (0, 1) and "Traceback" not in res.output, res.output
    found: dict[str, list[str]] = {}
    for f in json.loads(res.stdout)["findings"]:
        found.setdefault(f["rule_id"], []).append(f"{f['file']}:{f['line']}")
    return found


@pytest.mark.slow
def test_real_sops_files_pass_and_hand_edits_fail(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "secrets").mkdir(parents=True)
    git(repo, "init", "-q")
    ident = new_identity(tmp_path / "keys")
    (repo / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: ^secrets/.*\\.enc\\.yaml$\n    age: {ident.recipient}\n"
    )
    (repo / ".gitignore").write_text("*.dec.*\n*.plain.*\n")
    enc = run_sops(
        ["encrypt", "--input-type", "json", "--output-type", "yaml", "--filename-override",
         str(repo / "secrets" / "dev.enc.yaml"), "/dev/stdin"],
        what="test", stdin=json.dumps({"API_TOKEN": make_canary()}).encode(), config=repo / ".sops.yaml",
        extra_env=ident.env,
    )
    (repo / "secrets" / "dev.enc.yaml").write_bytes(enc)
    assert _lint(repo) == {}

    leaked = make_canary()
    (repo / "secrets" / "prod.enc.yaml").write_text(f"API_TOKEN: {leaked}\n")  # forgot to encrypt
    (repo / "secrets" / "dev.enc.yaml").write_bytes(enc.replace(b"sops:\n", f"HOOK: {leaked}\nsops:\n".encode(), 1))
    (repo / "secrets" / "dev.dec.yaml").write_text("API_TOKEN: x\n")
    git(repo, "add", "-f", "secrets/dev.dec.yaml")
    (repo / ".gitignore").write_text("")
    res = run_warden("lint", str(repo), "--no-contract", cwd=repo)
    assert leaked not in res.output
    found = _lint(repo)
    assert found["sops-unencrypted"] == ["secrets/prod.enc.yaml:1"]
    assert found["sops-plaintext-value"] == ["secrets/dev.enc.yaml:2"]
    assert found["sops-decrypted-copy-tracked"] == ["secrets/dev.dec.yaml:1"]
    assert len(found["sops-decrypted-not-ignored"]) == 2
