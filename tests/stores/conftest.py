"""Backend fixtures for the conformance suite: one parametrised `secret_store` per backend.

A backend joins the suite by adding a factory to `BACKEND_FACTORIES`; the
factory yields an opened store (access="secrets") with a fingerprinter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.stores.base import SecretStore
from tests.stores.sops.sops_support import sops_factory


class Clock:
    """An injectable clock that only moves when told."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(microseconds=1)
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


FP = Fingerprinter(b"k" * 32)


@contextmanager
def embedded_factory(tmp: Path, clock: Clock) -> Iterator[SecretStore]:
    from secretwarden.stores.embedded.store import EmbeddedStore

    store = EmbeddedStore("local", tmp / "store.db", access="secrets", create=True, fingerprinter=FP, clock=clock)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def vault_factory(tmp: Path, clock: Clock, layout_name: str = "per-namespace") -> Iterator[SecretStore]:
    """A Vault store on the shared OpenBao test server, under a path prefix of its own."""
    import secrets

    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore
    from tests.vault_server import shared_server

    server = shared_server()
    layout = VaultLayout(prefix="t" + secrets.token_hex(6), layout=layout_name)
    conn = Connection(server.address, auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WARDEN_TEST_VAULT_TOKEN", server.root_token)
        store = VaultStore("vault", layout, conn, access="secrets", fingerprinter=FP, clock=clock)
        try:
            yield store
        finally:
            store.close()


BACKEND_FACTORIES: dict[str, Callable[[Path, Clock], AbstractContextManager[SecretStore]]] = {
    "embedded": embedded_factory,
    "sops": sops_factory,
    "vault": vault_factory,
    "vault-per-key": lambda tmp, clock: vault_factory(tmp, clock, "per-key"),
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(BACKEND_FACTORIES))
def secret_store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[SecretStore]:
    with BACKEND_FACTORIES[request.param](tmp_path, clock) as store:
        yield store
