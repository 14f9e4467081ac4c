"""A store with fingerprints refuses a lost or different fingerprint key (issue 21.3).

The embedded store is covered end to end in test_embedded_attacks.py; this
checks the sops store, which records the key's id in its store-wide state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.errors import MasterKeyError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.stores.sops.sops_support import new_identity

SLOT = SlotRef("dev", "api", "TOKEN")


def state_file(tmp: Path) -> Path:
    found = list((tmp / "repo").rglob(".warden-sops.json"))
    assert len(found) == 1, found
    return found[0]


def sops_store(tmp: Path, fingerprinter: Fingerprinter, recipient: str, env: dict[str, str]) -> object:
    from secretwarden.stores.sops.files import SopsLayout
    from secretwarden.stores.sops.store import SopsStore

    return SopsStore(
        "repo", SopsLayout.from_options(tmp / "repo", {}, "repo"), access="secrets", recipients=[recipient],
        fingerprinter=fingerprinter, clock=lambda: dt.datetime.now(dt.UTC), extra_env=env,
    )


def test_sops_store_refuses_another_fingerprint_key(tmp_path: Path) -> None:
    ident = new_identity(tmp_path / "keys")
    first = sops_store(tmp_path, Fingerprinter(os.urandom(32)), ident.recipient, ident.env)
    first.write_many([WriteRequest(SLOT, SecretValue("v" * 24))])  # type: ignore[attr-defined]
    state = json.loads(state_file(tmp_path).read_text())
    assert isinstance(state.get("fingerprint_key"), str) and len(state["fingerprint_key"]) == 32
    other = sops_store(tmp_path, Fingerprinter(os.urandom(32)), ident.recipient, ident.env)
    with pytest.raises(MasterKeyError, match="not the one"):
        other.write_many([WriteRequest(SLOT, SecretValue("w" * 24))])  # type: ignore[attr-defined]


def test_sops_store_from_before_the_record_proves_the_key(tmp_path: Path) -> None:
    ident = new_identity(tmp_path / "keys")
    key = os.urandom(32)
    older = Fingerprinter(key)  # an older warden: fingerprints, no key id recorded, nothing signed
    first = sops_store(tmp_path, lambda v: older(v), ident.recipient, ident.env)  # type: ignore[arg-type]
    first.write_many([WriteRequest(SLOT, SecretValue("v" * 24))])  # type: ignore[attr-defined]
    assert not list((tmp_path / "repo").rglob(".warden-sops.json"))
    wrong = sops_store(tmp_path, Fingerprinter(os.urandom(32)), ident.recipient, ident.env)
    with pytest.raises(MasterKeyError, match="not the one"):
        wrong.write_many([WriteRequest(SLOT, SecretValue("w" * 24))])  # type: ignore[attr-defined]
    right = sops_store(tmp_path, Fingerprinter(key), ident.recipient, ident.env)
    right.write_many([WriteRequest(SLOT, SecretValue("w" * 24))])  # type: ignore[attr-defined]
    assert "fingerprint_key" in json.loads(state_file(tmp_path).read_text())


def test_vault_store_refuses_another_fingerprint_key(tmp_path: Path, vault_server: object) -> None:
    import secrets

    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    layout = VaultLayout(prefix="fk" + secrets.token_hex(6))
    conn = Connection(vault_server.address, auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WARDEN_TEST_VAULT_TOKEN", vault_server.root_token)  # type: ignore[attr-defined]
        first = VaultStore("vault", layout, conn, access="secrets", fingerprinter=Fingerprinter(os.urandom(32)))
        first.write_many([WriteRequest(SLOT, SecretValue("v" * 24))])
        first.close()
        other = VaultStore("vault", layout, conn, access="secrets", fingerprinter=Fingerprinter(os.urandom(32)))
        with pytest.raises(MasterKeyError, match="not the one"):
            other.write_many([WriteRequest(SLOT, SecretValue("w" * 24))])
        other.close()
