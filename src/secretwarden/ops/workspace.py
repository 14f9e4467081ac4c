"""A loaded contract plus the stores and audit log it names.

Ops functions take a `Workspace` and never look at backend types: stores are
opened through the registry, for metadata (reports) or for secrets (commands
that read or write values). The difference is the access level, not the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from secretwarden.audit.log import AuditLog
from secretwarden.contract.loader import LoadedContract, load_contract
from secretwarden.contract.plan import check_env
from secretwarden.stores.base import MetadataReader, SecretStore
from secretwarden.stores.registry import StoreSpec, open_secret_store, open_store

if TYPE_CHECKING:
    from secretwarden.contract.model import Contract


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Workspace:
    loaded: LoadedContract
    clock: Callable[[], dt.datetime] = utcnow
    command: str = ""
    store_flags: frozenset[str] = frozenset()  # passed to every store this workspace opens
    _meta: dict[str, MetadataReader] = field(default_factory=dict)
    _secrets: dict[str, SecretStore] = field(default_factory=dict)

    @classmethod
    def load(cls, contract_path: str | Path | None, *, command: str = "", **kwargs: Any) -> Workspace:
        return cls(load_contract(contract_path), command=command, **kwargs)

    @property
    def contract(self) -> Contract:
        return cast("Contract", self.loaded.contract)

    @property
    def root(self) -> Path:
        return self.loaded.root

    def store_spec(self, store_name: str) -> StoreSpec:
        # From the loader's facts: opening a store for a report needs no contract model.
        facts = self.loaded.facts
        cfg = facts.stores[store_name]
        return StoreSpec(
            name=store_name,
            backend=cfg.backend,
            options=dict(cfg.options),
            root=self.root,
            project=facts.project,
            path_overrides=dict(facts.path_overrides),
            flags=self.store_flags,
            envs=tuple(e for e, s in facts.env_store.items() if s == store_name),
        )

    def store_for(self, env: str) -> str:
        """The name of the store serving `env` (an unknown environment is a usage error)."""
        env_store = self.loaded.facts.env_store
        if env not in env_store:
            check_env(self.contract, env)  # raises, with the closest name as a hint
        return env_store[env]

    def metadata(self, env: str) -> MetadataReader:
        """The env's store opened for metadata only: it cannot read values."""
        name = self.store_for(env)
        if name not in self._meta:
            self._meta[name] = open_store(self.store_spec(name), access="metadata", clock=self.clock)
        return self._meta[name]

    def metadata_by_store(self) -> dict[str, MetadataReader]:
        out: dict[str, MetadataReader] = {}
        for name in self.loaded.facts.stores:
            if name not in self._meta:
                self._meta[name] = open_store(self.store_spec(name), access="metadata", clock=self.clock)
            out[name] = self._meta[name]
        return out

    def secrets(self, env: str) -> SecretStore:
        """The env's store opened to read and write values (loads key material)."""
        return self.secrets_store(self.store_for(env))

    def secrets_store(self, name: str, *, clock: Callable[[], dt.datetime] | None = None) -> SecretStore:
        """A store of the contract by name, opened for values (`warden migrate` moves between two).

        `clock` replaces the workspace's clock for this store: a migration writes
        each version with its original time.
        """
        from secretwarden.crypto.fingerprint import fingerprinter_for
        from secretwarden.paths import refuse_config_inside

        if name not in self._secrets:
            refuse_config_inside(self.root)  # before any key (root, fingerprint, audit) is written
            self._secrets[name] = open_secret_store(
                self.store_spec(name),
                fingerprinter=fingerprinter_for(self.contract.project, forbidden_root=self.root),
                clock=clock or self.clock,
            )
        return self._secrets[name]

    @property
    def audit(self) -> AuditLog:
        facts = self.loaded.facts
        path = Path(facts.audit_path or ".warden/audit.jsonl").expanduser()
        return AuditLog(
            path if path.is_absolute() else self.root / path,
            project=facts.project,
            repo_root=self.root,
            after_append=self._anchor_audit,
        )

    def _anchor_audit(self, entry: dict[str, Any]) -> None:
        """After an audit entry: stores written meanwhile remember it (see stores.base.AuditAnchored).

        Writes a killed process committed without its audit entry are recorded
        now, as their own entries, so the log says they happened.
        """
        from secretwarden.stores.base import AuditAnchored

        log = self.audit
        for store_name, store in list(self._secrets.items()):
            if not isinstance(store, AuditAnchored):
                continue
            for pid, count in store.claim_orphaned_writes().items():
                log.append(
                    command="unaudited-write",
                    store=store_name,
                    outcome="error",
                    detail=f"{count} write(s) by process {pid} were committed without an audit entry "
                    "(the process ended before recording them)",
                )
            store.anchor_audit(log.log_id, int(entry["seq"]), str(entry["hash"]))

    def close(self) -> None:
        for store in [*self._meta.values(), *self._secrets.values()]:
            store.close()
        self._meta.clear()
        self._secrets.clear()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
