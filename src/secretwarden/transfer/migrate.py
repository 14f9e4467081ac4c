"""`warden migrate`: move every slot of one store into another, history, dates and marks included.

For each slot the source's live versions are written to the target oldest
first, each with its original creation time (the target store is opened
with a clock the migration sets per write) and its original source
(`set`, `generate`, `rotate`, `import`), so rotation due dates do not
restart. Compromise marks are replayed where they fell in the history, so
the target refuses the same old values. Fingerprints are keyed with the
project's one fingerprint key, so source and target can be compared without
reading a value twice.

Resumable: a slot whose target already holds a prefix of the source's history
(same fingerprints, same times) continues after that prefix, so a migration
killed half-way is simply run again. Verification compares, per slot, the
live history's fingerprints, the current version and the compromise state.
Deleted and destroyed versions cannot be read and are not carried; the report
counts them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from secretwarden.errors import ConflictError, UsageError
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import KeyMeta, SecretStore, VersionMeta, WriteRequest
from secretwarden.stores.storable import unstorable_reason


class SettableClock:
    """The target store's clock: the original time of the version being written, else now."""

    def __init__(self) -> None:
        self.at: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        return self.at or dt.datetime.now(dt.UTC)


@dataclass
class SlotMigration:
    slot: SlotRef
    copied: int = 0  # versions written in this run
    present: int = 0  # versions the target already had (an earlier, interrupted run)
    not_carried: int = 0  # deleted or destroyed versions: no value to copy
    compromised: bool = False
    verified: bool = False
    problem: str = ""
    # Versions the target holds with another time than the source's: a run killed between a
    # value's write and its metadata's leaves the target to adopt it with the time it learned of it.
    retimed: int = 0


@dataclass
class MigrationReport:
    source: str
    target: str
    envs: list[str]
    dry_run: bool
    slots: list[SlotMigration] = field(default_factory=list)
    denied_missing: int = 0  # source-denied fingerprints the target does not deny
    journal_entries: int = 0  # rotation log and incident register entries carried over

    @property
    def ok(self) -> bool:
        return all(s.verified for s in self.slots) and self.denied_missing == 0


def _live(meta: KeyMeta | None) -> list[VersionMeta]:
    return [v for v in meta.versions if v.live] if meta else []


def _already(source: list[VersionMeta], target: list[VersionMeta]) -> int:
    """How many of the source's versions the target holds, as a prefix of its history.

    Matched by fingerprint: a write that a killed run committed without its
    metadata is adopted by the target with the time it learned of it, and is
    still the same value.
    """
    n = 0
    for have, want in zip(target, source, strict=False):
        if have.fingerprint != want.fingerprint:
            break
        n += 1
    return n


def _mark_at(meta: KeyMeta, denied: set[str], live: list[VersionMeta]) -> dt.datetime | None:
    """When the target must mark the key compromised: the source's mark, or (for a mark since
    lifted) the time of the newest version whose value the source denies."""
    if meta.compromised_at is not None:
        return meta.compromised_at
    hits = [v.created_at for v in live if v.fingerprint in denied]
    return max(hits) if hits else None


def _copy_slot(src: SecretStore, dst: SecretStore, clock: SettableClock, meta: KeyMeta, denied: set[str],
               row: SlotMigration, dry_run: bool) -> None:
    from secretwarden.stores.base import capabilities_of

    slot = meta.slot
    live = _live(meta)
    row.not_carried = len(meta.versions) - len(live)
    if not capabilities_of(dst).versions:  # a target that keeps one value per key gets the current one
        row.not_carried += len(live) - 1
        live = live[-1:]
    target_meta = dst.key_meta(slot)
    row.present = _already(live, _live(target_meta))
    if target_meta is not None and row.present < len(_live(target_meta)):
        row.problem = "the target holds other versions of this key: not touched"
        return
    mark = _mark_at(meta, denied, live)
    row.compromised = meta.compromised
    if dry_run:
        row.copied = len(live) - row.present
        return
    marked = target_meta is not None and target_meta.compromised_at is not None
    newest = target_meta.newest_version if target_meta else 0
    for index, version in enumerate(live[row.present:]):
        if mark is not None and not marked and version.created_at > mark:
            clock.at = mark
            dst.mark_compromised(slot, mark, "carried over by warden migrate")
            marked = True
        value = src.read(slot, version.version)
        problem = unstorable_reason(slot.key, value.reveal())
        if problem is not None:  # the same check as every write; reported for this key, the rest go on
            row.problem = f"version {version.version}: the value {problem}: not carried"
            return
        clock.at = version.created_at
        try:
            # Check-and-set: a concurrent writer (or a second migrate) makes this fail, not duplicate.
            dst.write_many([WriteRequest(slot, value, source=version.source, stamp=version.stamp,
                                         cas=newest + index)])
        finally:
            clock.at = None
        row.copied += 1
    if mark is not None and not marked and live:
        dst.mark_compromised(slot, mark, "carried over by warden migrate")
    if meta.compromised_at is None and mark is not None:
        after = dst.key_meta(slot)
        if after is not None and after.compromised_at is not None:
            dst.clear_compromised(slot)  # the source's mark was lifted (incident closed)


def _verify(src_meta: KeyMeta, dst: SecretStore, row: SlotMigration) -> None:
    from secretwarden.stores.base import capabilities_of

    if row.problem:
        return
    got = dst.key_meta(src_meta.slot)
    want = [v.fingerprint for v in _live(src_meta)]
    have = [v.fingerprint for v in _live(got)]
    if not capabilities_of(dst).versions:
        want, have = want[-1:], have[-1:]
    if capabilities_of(dst).versions:
        row.retimed = sum(g.created_at != s.created_at for g, s in zip(_live(got), _live(src_meta), strict=False))
    if have != want:
        row.problem = f"history differs: {len(have)} live version(s) in the target, {len(want)} in the source"
    elif (got.compromised if got else False) != src_meta.compromised:
        row.problem = "the compromise state differs"
    else:
        row.verified = True


def migrate(ws: Workspace, source: str, target: str, *, envs: list[str] | None = None,
            dry_run: bool = False) -> MigrationReport:
    """Copy every slot of `envs` (default: the environments served by `source`) from one store to another."""
    from secretwarden.ops.journal import carry_journals
    from secretwarden.ops.secrets import audited, slot_fields

    for name in (source, target):
        if name not in ws.contract.stores:
            raise UsageError(f"unknown store `{name}`", hint="stores: " + ", ".join(ws.contract.stores))
    if source == target:
        raise UsageError("--from and --to name the same store")
    chosen = envs or [e for e in ws.contract.environments if ws.contract.store_for(e) == source]
    if not chosen:
        raise UsageError(f"no environment is served by store `{source}`", hint="name one with --env")
    clock = SettableClock()
    src = ws.secrets_store(source)
    dst = ws.secrets_store(target, clock=clock)
    report = MigrationReport(source, target, chosen, dry_run)
    denied = src.denied_fingerprints()
    for env in chosen:
        for meta in sorted(src.list_meta(env), key=lambda m: (m.slot.namespace, m.slot.key, m.slot.instance or "")):
            row = SlotMigration(meta.slot)
            report.slots.append(row)
            if dry_run:
                _copy_slot(src, dst, clock, meta, denied, row, dry_run=True)
                row.verified = True
                continue
            with audited(ws, command="migrate", **slot_fields(meta.slot), store=target,
                         detail=f"from store {source}") as extra:
                if any(v.live for v in meta.versions):
                    dst.ensure_namespace(env, meta.slot.namespace)
                    try:
                        _copy_slot(src, dst, clock, meta, denied, row, dry_run=False)
                    except ConflictError:
                        # The target learned of a write an interrupted run committed: continue
                        # the slot from what the target now says it holds. Versions this run
                        # already wrote stay counted as copied, not as found there.
                        written = row.copied
                        _copy_slot(src, dst, clock, meta, denied, row, dry_run=False)
                        row.present -= written
                    _verify(meta, dst, row)
                else:  # nothing live to carry: deleted or destroyed throughout
                    row.not_carried, row.verified = len(meta.versions), True
                extra["versions"] = row.copied
    if not dry_run:
        report.denied_missing = len(denied - dst.denied_fingerprints())
        # The rotation log and the incident register go along.
        report.journal_entries = carry_journals(ws, source, target, chosen)
    return report
