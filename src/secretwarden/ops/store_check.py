"""`warden store verify`: ask each store of the contract to check itself.

With `--deep` the incident register is checked against the stores' marks
too: an incident still open whose mark is gone from the store means the
mark was lifted outside warden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.errors import IntegrityError, StoreUnavailable
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
        try:
            store = ws.secrets(env) if deep else ws.metadata(env)
        except (IntegrityError, StoreUnavailable) as exc:  # damage is a finding here, not a failure
            backend = ws.contract.stores[name].backend
            verdicts.append(StoreVerdict(name, backend, True, [f"cannot open: {exc}"]))
            continue
        if not isinstance(store, IntegrityChecker):
            verdicts.append(StoreVerdict(name, store.backend, supported=False))
            continue
        problems = store.verify(deep=deep)
        if deep:
            problems += _incident_problems(ws, name)
        verdicts.append(StoreVerdict(name, store.backend, True, problems))
    ws.audit.append(command="store-verify", outcome="ok", detail="deep" if deep else "metadata")
    return verdicts


def _incident_problems(ws: Workspace, store_name: str) -> list[str]:
    from secretwarden.errors import WardenError
    from secretwarden.ops.incidents import register_disagreements

    try:
        return register_disagreements(ws, store_name)
    except WardenError as exc:
        return [f"the incident register could not be checked against the store: {exc}"]
