"""Test support for the sops backend: real age identities (pyrage) and real sops stores.

Identities are generated at test time and written only into tmp folders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from secretwarden.stores.base import SecretStore


@dataclass(frozen=True)
class AgeIdentity:
    key_file: Path
    recipient: str

    @property
    def env(self) -> dict[str, str]:
        return {"SOPS_AGE_KEY_FILE": str(self.key_file)}


def new_identity(folder: Path, name: str = "id") -> AgeIdentity:
    import pyrage  # type: ignore[import-untyped]

    ident = pyrage.x25519.Identity.generate()
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / f"{name}.agekey"
    key_file.write_text(f"{ident}\n")
    key_file.chmod(0o600)
    return AgeIdentity(key_file, str(ident.to_public()))


@contextmanager
def sops_factory(tmp: Path, clock: Callable[[], dt.datetime]) -> Iterator[SecretStore]:
    """Conformance-suite factory: a sops store in `tmp` with its own age identity."""
    from secretwarden.stores.sops.files import SopsLayout
    from secretwarden.stores.sops.store import SopsStore
    from tests.stores.conftest import FP

    ident = new_identity(tmp / "keys")
    store = SopsStore(
        "repo",
        SopsLayout.from_options(tmp / "repo", {}, "repo"),
        access="secrets",
        recipients=[ident.recipient],
        fingerprinter=FP,
        clock=clock,
        extra_env=ident.env,
    )
    try:
        yield store
    finally:
        store.close()
