"""A Vault store's address and timeouts written wrong (or by an attacker) are exit 2 with a hint.

Before: `http://[::1` (an unclosed bracket) was an internal error (exit 4) on get/run/bootstrap,
`not a url` was reported as a server that did not answer, and a text or negative `timeout`
was an internal error. No server is needed: every case must be refused before a request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden


def _contract(tmp_path: Path, options: str) -> Path:
    text = MINIMAL_CONTRACT.replace(
        "environments:\n", f"stores:\n  vault: {{backend: vault, options: {{{options}}}}}\nenvironments:\n", 1
    ).replace("dev: {}", "dev: {store: vault}", 1)
    (tmp_path / "warden.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "options, words",
    [
        ('address: "http://[::1"', "is not an http(s)://host[:port] URL"),
        ('address: "not a url"', "is not an http(s)://host[:port] URL"),
        ('address: "ftp://vault.internal"', "is not an http(s)://host[:port] URL"),
        ('address: "http://127.0.0.1:8200,http://h:port"', "`http://h:port`"),
        ('address: "http://127.0.0.1:1", timeout: abc', "`timeout` is a number of seconds"),
        ('address: "http://127.0.0.1:1", timeout: -1', "`timeout` is a number of seconds"),
        ('address: "http://127.0.0.1:1", timeout: .inf', "`timeout` is a number of seconds"),
        ('address: "http://127.0.0.1:1", connect_timeout: []', "`connect_timeout` is a number of seconds"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [["status", "--env", "dev"], ["get", "shared/DATABASE_URL", "--env", "dev"], ["run", "-s", "shared", "-e", "dev", "--", "true"]],
)
def test_bad_vault_options_are_usage_errors(tmp_path: Path, options: str, words: str, command: list[str]) -> None:
    repo = _contract(tmp_path, options)
    res = run_warden(*command, cwd=repo, env={"VAULT_TOKEN": "x", "BAO_TOKEN": "x"})
    assert res.returncode == 2, res.output
    assert words in res.stderr
    assert "hint:" in res.stderr
    assert "Traceback" not in res.output


def test_bad_address_from_the_environment_is_a_usage_error(tmp_path: Path) -> None:
    repo = _contract(tmp_path, "layout: per-key")
    env = {"VAULT_ADDR": "http://[::1", "BAO_ADDR": "http://[::1", "VAULT_TOKEN": "x", "BAO_TOKEN": "x"}
    res = run_warden("bootstrap", "--env", "dev", cwd=repo, env=env)
    assert res.returncode == 2, res.output
    assert "VAULT_ADDR" in res.stderr
