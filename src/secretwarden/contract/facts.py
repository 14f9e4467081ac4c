"""What opening a workspace needs of a contract, without its pydantic model.

A report on 30,000 slots has half a second; importing the contract model and
validating it again from the cache costs a fifth of that. The workspace only
needs a few facts to open stores and the audit log (project, environments and
their stores, store options, path overrides, the audit path), so the loader
keeps them beside the validated contract in its sealed cache and the model is
built only when some code asks for `loaded.contract`.

Facts are always derived from a validated `Contract` (`facts_of`), never
written by hand, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract


@dataclass(frozen=True)
class StoreFacts:
    backend: str
    options: dict[str, Any]


@dataclass(frozen=True)
class ContractFacts:
    project: str
    env_store: dict[str, str]  # environment -> the store serving it, in contract order
    stores: dict[str, StoreFacts]  # in contract order
    path_overrides: dict[tuple[str, str], str]  # (namespace, key) -> path
    audit_path: str | None

    @property
    def environments(self) -> list[str]:
        return list(self.env_store)

    def store_for(self, env: str) -> str:
        return self.env_store[env]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "env_store": self.env_store,
            "stores": {name: [s.backend, s.options] for name, s in self.stores.items()},
            "path_overrides": [[ns, key, path] for (ns, key), path in self.path_overrides.items()],
            "audit_path": self.audit_path,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ContractFacts:
        return cls(
            project=str(doc["project"]),
            env_store={str(k): str(v) for k, v in doc["env_store"].items()},
            stores={str(name): StoreFacts(str(b), dict(o)) for name, (b, o) in doc["stores"].items()},
            path_overrides={(str(ns), str(key)): str(path) for ns, key, path in doc["path_overrides"]},
            audit_path=None if doc["audit_path"] is None else str(doc["audit_path"]),
        )


def path_overrides(contract: Contract) -> dict[tuple[str, str], str]:
    """(namespace, key) -> path, for keys whose real location differs from the routing."""
    out: dict[tuple[str, str], str] = {}
    for svc in contract.services.values():
        for key, spec in svc.secrets.items():
            if spec.ref is None and spec.path:
                out[(svc.namespace, key)] = spec.path
    return out


def facts_of(contract: Contract) -> ContractFacts:
    return ContractFacts(
        project=contract.project,
        env_store={env: contract.store_for(env) for env in contract.environments},
        stores={
            name: StoreFacts(cfg.backend, cfg.model_dump(mode="json")["options"]) for name, cfg in contract.stores.items()
        },
        path_overrides=path_overrides(contract),
        audit_path=contract.audit.path,
    )
