"""Vault tokens that cannot be tokens, against a real OpenBao dev server.

A token holding an escape sequence (pasted from a terminal) reached the server
as a header, which answered a bare 400: every command said "Vault refused
<path>: invalid request" with no hint. `~/.vault-token` was read with
read_text(): a FIFO there hung the command, invalid UTF-8 was exit 4.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, run_warden
from tests.hostile.support import assert_clear_error
from tests.vault_server import VaultServer

pytestmark = [pytest.mark.vault]

COMMANDS = [
    ["get", "api/API_TOKEN", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["status", "--env", "dev"],
    ["set", "api/OPTIONAL_HOOK", "--env", "dev"],
]


def vault_contract(tmp_path: Path, server: VaultServer) -> Path:
    prefix = f"hostile{os.getpid()}x{abs(hash(tmp_path)) % 10**8}"
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{address: {server.address}, path_prefix: {prefix}}}\n"
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    return contract


@pytest.mark.parametrize("token", ["s.abc\x1b]0;title\x07def", "s.two words", "s.caf\u00e9"])
def test_a_token_with_characters_no_token_has(tmp_path: Path, vault_server: VaultServer, token: str) -> None:
    contract = vault_contract(tmp_path, vault_server)
    for command in COMMANDS:
        r = run_warden("-c", contract, *command, env=vault_server.env(token), input="https://hooks.example.com/t")
        first = assert_clear_error(r, 3)
        assert "characters no token has" in first and token not in r.output and "\x1b" not in r.output


@pytest.mark.parametrize("kind", ["fifo", "not-utf8", "dev-zero"])
def test_a_token_file_that_is_no_token(tmp_path: Path, vault_server: VaultServer, kind: str) -> None:
    contract = vault_contract(tmp_path, vault_server)
    home = tmp_path / "home"
    home.mkdir()
    token_file = home / ".vault-token"
    if kind == "fifo":
        os.mkfifo(token_file)
    elif kind == "dev-zero":
        token_file.symlink_to("/dev/zero")
    else:
        token_file.write_bytes(b"s.\xff\xfe\n")
    env = {k: "" for k in ("VAULT_TOKEN", "BAO_TOKEN")}
    env.update(HOME=str(home), VAULT_ADDR=vault_server.address, BAO_ADDR=vault_server.address)
    r = run_warden("-c", contract, "status", "--env", "dev", env=env, timeout=120)
    assert r.returncode in (2, 3), r.output
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("warden: error: ") and lines[1].startswith("hint: "), r.stderr
