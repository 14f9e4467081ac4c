"""`warden sync`: push what `warden run` would inject for one service to a CI or hosting platform.

The same gate as `run` decides (one verdict: missing, invalid, compromised,
open incident, past hold all refuse the whole sync), so a platform never gets
a value `run` would not start with. A name is pushed only when its keyed
fingerprint differs from what this project last pushed there (the sync
ledger, `.warden/sync-ledger.json`: fingerprints only), or with `--force`.
Every push is audited (`command: sync`, the platform target, the name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from secretwarden.delivery.base import Platform
from secretwarden.ops.workspace import Workspace
from secretwarden.stores.base import SecretValue

Action = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class SyncRow:
    name: str
    action: Action


@dataclass
class SyncReport:
    target: str
    service: str
    env: str
    dry_run: bool
    rows: list[SyncRow] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)

    def count(self, action: Action) -> int:
        return sum(1 for r in self.rows if r.action == action)


def ledger_path(ws: Workspace) -> Path:
    return ws.audit.path.parent / "sync-ledger.json"


def _load_ledger(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no ledger (or a damaged one): everything counts as changed, nothing is skipped wrongly
    if not isinstance(data, dict):
        return {}
    return {str(k): {str(n): str(f) for n, f in v.items()} for k, v in data.items() if isinstance(v, dict)}


def _save_ledger(path: Path, ledger: dict[str, dict[str, str]]) -> None:
    from secretwarden.paths import ensure_private_dir, write_atomic

    ensure_private_dir(path.parent)
    write_atomic(path, json.dumps(ledger, indent=1, sort_keys=True).encode(), mode=0o600)


def sync(ws: Workspace, platform: Platform, *, service: str, env: str, instance: str | None = None,
         dry_run: bool = False, force: bool = False) -> SyncReport:
    from secretwarden.ops.run import prepare_run
    from secretwarden.ops.secrets import audited

    prepared = prepare_run(ws, service, env, instance, command="sync")  # refuses exactly what run refuses
    store = ws.secrets(env)
    existing = platform.existing_names()
    path = ledger_path(ws)
    ledger = _load_ledger(path)
    pushed_before = ledger.get(platform.target_id, {})
    report = SyncReport(platform.target_id, service, env, dry_run)
    to_push: dict[str, SecretValue] = {}
    fingerprints: dict[str, str] = {}
    for name, raw in sorted(prepared.values.items()):
        value = SecretValue(raw)
        fingerprints[name] = store.fingerprint(value)
        if name not in existing:
            action: Action = "create"
        elif force or pushed_before.get(name) != fingerprints[name]:
            action = "update"
        else:
            action = "unchanged"
        report.rows.append(SyncRow(name, action))
        if action != "unchanged":
            to_push[name] = value
    if not dry_run and to_push:
        with audited(ws, command="sync", service=service, env=env, instance=instance, keys=sorted(to_push),
                     detail=f"pushed to {platform.target_id}"):
            platform.put_many(to_push)
        for name in to_push:
            pushed_before[name] = fingerprints[name]
        report.pushed = sorted(to_push)
    if report.pushed:
        ledger[platform.target_id] = pushed_before
        _save_ledger(path, ledger)
    return report
