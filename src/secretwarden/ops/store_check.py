"""`warden store verify`: ask each store of the contract to check itself."""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.ops.workspace import Workspace
from secretwarden.stores.base import IntegrityChecker


@dataclass
class StoreVerdict:
    store: str
    backend: str
    supported: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_stores(ws: Workspace, *, deep: bool = False) -> list[StoreVerdict]:
    verdicts = []
    for name in ws.contract.stores:
        env = next((e for e in ws.contract.environments if ws.contract.store_for(e) == name), None)
        if env is None:
            continue  # a store no environment uses
        store = ws.secrets(env) if deep else ws.metadata(env)
        if not isinstance(store, IntegrityChecker):
            verdicts.append(StoreVerdict(name, store.backend, supported=False))
            continue
        verdicts.append(StoreVerdict(name, store.backend, True, store.verify(deep=deep)))
    ws.audit.append(command="store-verify", outcome="ok", detail="deep" if deep else "metadata")
    return verdicts
