"""`warden audit verify`: the log's own chain, its anchors, and what the stores remember.

The log alone can prove edits and reordering (keyed chain) and a cut tail
(the anchor in the key folder). The project's shared journals (rotation log,
incident register) are checked in every store that keeps them; their entries
name this machine's audit head at the time, so a log cut below it shows too. A store that anchors the log too
(`AuditAnchored`, the embedded store) adds two checks that need no key:
the entry it names must be in the log (so deleting the log, or replacing it
with a shorter one, shows), and no writer may have committed a write without
its audit entry (a process killed between the two).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from secretwarden.audit.log import AuditVerdict
from secretwarden.errors import WardenError
from secretwarden.ops.journal import INCIDENTS, ROTATION, SharedLog, legacy_journal
from secretwarden.ops.workspace import Workspace
from secretwarden.stores.base import AuditAnchored
from secretwarden.stores.capabilities import SignedMetadata


@dataclass
class JournalVerdict:
    path: str
    problems: list[str] = field(default_factory=list)


@dataclass
class AuditReport:
    log: AuditVerdict
    journals: list[JournalVerdict] = field(default_factory=list)
    store_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.log.ok and not self.store_problems and all(not j.problems for j in self.journals)


def verify_audit(ws: Workspace) -> AuditReport:
    log = ws.audit
    report = AuditReport(log.verify())
    for name in (ROTATION, INCIDENTS):
        # The project's journals, kept by each store (and anchoring this machine's log head) ...
        for where, problems in SharedLog(ws, name).verify().items():
            report.journals.append(JournalVerdict(where, problems))
        # ... and this checkout's older local file, until an append imports it.
        journal = legacy_journal(log.path, name)
        if journal.path.exists():
            report.journals.append(JournalVerdict(str(journal.path), journal.verify()))
    hashes: dict[int, str] | None = None
    for name, reader in ws.metadata_by_store().items():
        if isinstance(reader, SignedMetadata):  # edited, stripped or deleted metadata files
            report.store_problems += [f"store `{name}`: {p}" for p in reader.metadata_signature_problems()]
        if not isinstance(reader, AuditAnchored):
            continue
        try:
            state = reader.audit_anchor()
        except WardenError as exc:
            report.store_problems.append(f"store `{name}`: cannot read its audit anchor ({exc})")
            continue
        if state is None:
            continue
        for pid, count in sorted(state.unaudited.items()):
            report.store_problems.append(
                f"store `{name}`: {count} write(s) by process {pid} have no audit entry yet "
                "(recorded as `unaudited-write` by the next write if that process is gone)"
            )
        if state.seq <= 0 or state.log_id != log.log_id:
            continue
        if hashes is None:
            hashes = {e["seq"]: str(e.get("hash")) for e in log.entries() if isinstance(e.get("seq"), int)}
        if hashes.get(state.seq) != state.digest:
            report.store_problems.append(
                f"store `{name}` recorded audit entry {state.seq} after its last write, and the log "
                + ("does not contain it" if state.seq not in hashes else "holds a different entry there")
                + ": the log was deleted, cut or rewritten"
            )
    return report
