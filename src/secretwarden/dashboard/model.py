"""The one data model behind every dashboard page and `warden report --format json`.

`build_dashboard()` assembles it from the existing reports — the gap report
(`ops/status.py`), rotation status and log (`ops/rotation.py`), incidents
(`ops/incidents.py`), isolation (`ops/isolation.py`), the audit log and the
latest scan / lint results — and adds nothing of its own but grouping and
ordering. Every store is opened through `Workspace.metadata*`, so no value can
be read while it runs. All fields are plain JSON types (times as ISO strings),
and every list has a fixed order, so the same inputs give the same JSON and
the same HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from secretwarden.errors import InputError
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef

CALENDAR_DAYS = 90
DEFAULT_AUDIT_LIMIT = 200
# Fields of an audit entry the dashboard shows; the log never holds a value, and
# picking fields keeps anything unexpected (a future field) off the page.
AUDIT_FIELDS = ("seq", "time", "user", "command", "service", "env", "instance", "namespace",
                "key", "version", "outcome", "reason", "detail")
# Rotation states in the words a person reads, beside the colour.
ROTATION_WORDS = {
    "ok": "ok",
    "due": "due soon",
    "overdue": "overdue",
    "never-rotated": "never rotated",
    "compromised": "compromised",
    "missing": "missing",
    "no-cadence": "no cadence",
}


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- coverage ------------------------------------------------------------------------------


@dataclass
class KeyRow:
    var: str  # the variable the service reads
    secret: str  # namespace/KEY where it lives
    state: str  # present / missing / invalid / unverified / compromised / orphaned
    required: bool
    owner: str | None
    format: str | None
    last_written: str | None
    versions: int
    version: int | None
    problems: list[str] = field(default_factory=list)
    via_ref: str | None = None


@dataclass
class CoverageCell:
    id: str  # stable anchor: env--service[--instance]
    service: str
    env: str
    instance: str | None
    verdict: str  # PASS / BLOCKED
    detail: str  # the gap report's verdict sentence
    present: int
    missing: int
    invalid: int
    compromised: int
    unverified: int
    orphaned: int
    keys: list[KeyRow] = field(default_factory=list)


@dataclass
class MatrixRow:
    service: str
    instance: str | None
    owner: str | None
    namespace: str
    cells: list[CoverageCell | None]  # one per environment of the matrix, None: not deployed there
    # Per environment: where the service is not deployed but its namespace is still expected
    # (another service reads a slot of it there), who reads it; the CLI counts it expected too.
    notes: list[str | None] = field(default_factory=list)


@dataclass
class NamespaceCoverage:
    env: str
    store: str
    found: int
    expected: int
    missing: list[str]
    orphans: list[str]


@dataclass
class DeprecatedNamespace:
    name: str
    replaced_by: str | None
    hold_until: str | None
    past_hold: bool
    readers: list[str]  # services still reading it
    expected_in: list[str] = field(default_factory=list)  # environments of the matrix where it is read
    blocks: bool = False  # some required read of it blocks a service (the verdict's past-hold rule)


@dataclass
class Coverage:
    envs: list[str]
    verdict: str
    rows: list[MatrixRow]
    namespaces: list[NamespaceCoverage]
    deprecated: list[DeprecatedNamespace]

    @property
    def cells(self) -> list[CoverageCell]:
        return [c for r in self.rows for c in r.cells if c is not None]


# --- rotation ------------------------------------------------------------------------------


@dataclass
class RotationItem:
    secret: str  # env[@instance]:namespace/KEY
    env: str
    namespace: str
    key: str
    instance: str | None
    owner: str | None
    services: list[str]
    cadence_days: float | None
    last_rotated: str | None
    due_at: str | None
    days_left: float | None
    age_days: float | None
    state: str
    state_word: str
    version: int | None
    rotations: int


@dataclass
class CalendarDay:
    date: str
    due: list[str]  # secrets falling due that day


@dataclass
class NamespaceAges:
    namespace: str
    keys: int
    median_days: float
    oldest_days: float
    cadence_days: float | None  # the shortest cadence among its keys


@dataclass
class Rotation:
    items: list[RotationItem]
    counts: dict[str, int]
    owners: list[str]
    namespaces: list[str]
    calendar: list[CalendarDay]  # the next CALENDAR_DAYS days, today first
    overdue_before: int  # keys already overdue (they sit before the strip)
    ages: list[NamespaceAges]
    log: list[dict[str, Any]]


# --- incidents, isolation, guardrails, audit ---------------------------------------------------


@dataclass
class IncidentItem:
    id: str
    state: str
    secret: str
    env: str
    store: str
    reason: str
    opened_at: str
    opened_by: str
    closed_at: str | None
    root_cause: str | None
    rotated_version: int | None
    recorded: bool
    blocked_services: list[str]


@dataclass
class SharedPair:
    kind: str
    crosses: list[str]
    a: str
    b: str


@dataclass
class Isolation:
    verdict: str
    stores: list[str]
    slots_checked: int
    shared: list[SharedPair]
    weak: list[dict[str, str]]
    unfingerprinted: list[dict[str, str]]


@dataclass
class GuardrailFinding:
    tool: str  # scan / lint
    rule: str
    severity: str
    file: str
    line: int
    preview: str  # scan: the scanner's redacted preview; lint: the rule's message
    owner: str | None
    service: str | None


@dataclass
class GuardrailGroup:
    name: str
    count: int


@dataclass
class Guardrails:
    scan_source: str | None  # where the scan results came from (file, "in-process") or None
    lint_source: str | None
    findings: list[GuardrailFinding]
    by_rule: list[GuardrailGroup]
    by_owner: list[GuardrailGroup]


@dataclass
class Audit:
    path: str
    verified: bool
    entries_total: int
    problems: list[str]
    limit: int
    entries: list[dict[str, Any]]  # newest first
    commands: list[str]
    outcomes: list[str]


@dataclass
class UnreachableStore:
    """A store the build could not read: its environments are left out of the page, not shown as empty."""

    store: str
    envs: list[str]
    error: str  # the store error's one line (names a server and a path, never a value)


@dataclass
class Dashboard:
    project: str
    contract: str
    generated_at: str
    coverage: Coverage
    rotation: Rotation
    incidents: list[IncidentItem]
    isolation: Isolation
    guardrails: Guardrails
    audit: Audit
    unreachable: list[UnreachableStore] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def dumps(self) -> str:
        # Same document as json.dumps(to_json()), without asdict()'s deep copy of every row.
        return json.dumps(self, indent=2, ensure_ascii=False, default=_fields) + "\n"

    @property
    def summary(self) -> dict[str, Any]:
        cells = self.coverage.cells
        return {
            "cells": len(cells),
            "blocked": sum(1 for c in cells if c.verdict != "PASS"),
            "overdue": self.rotation.counts.get("overdue", 0),
            "due": self.rotation.counts.get("due", 0),
            "open_incidents": sum(1 for i in self.incidents if i.state != "closed"),
            "shared": len(self.isolation.shared),
            "guardrail_findings": len(self.guardrails.findings),
            "audit_ok": self.audit.verified,
        }


def _fields(obj: object) -> dict[str, Any]:
    """JSON for the model's dataclasses: their fields, in declaration order."""
    if hasattr(obj, "__dataclass_fields__"):
        return dict(vars(obj))
    raise TypeError(f"{type(obj).__name__} is not part of the dashboard model")


# --- assembling -----------------------------------------------------------------------------


def cell_id(env: str, service: str, instance: str | None) -> str:
    return f"{env}--{service}" + (f"--{instance}" if instance else "")


def parse_cell_id(ws: Workspace, wanted: str) -> tuple[str, str] | None:
    """(env, service) of a cell id, matched against the contract's names (names may hold `-`)."""
    for env in ws.contract.environments:
        for service in ws.contract.services:
            head = f"{env}--{service}"
            if wanted == head or wanted.startswith(head + "--"):
                return env, service
    return None


def _formats(ws: Workspace) -> dict[tuple[str, str], str | None]:
    """Named format (or "regex") of every declared key, computed once per build."""
    from secretwarden.contract.references import declared_keys

    out: dict[tuple[str, str], str | None] = {}
    for nk, (_svc, spec) in declared_keys(ws.contract).items():
        fmt = spec.format
        out[nk] = None if fmt is None else fmt if isinstance(fmt, str) else "regex"
    return out


def build_coverage(ws: Workspace, envs: list[str], service: str | None = None) -> Coverage:
    from secretwarden.ops.journal import incident_register
    from secretwarden.ops.status import GapReport, env_status
    from secretwarden.verdict import hold_passed

    # The gap report's per-environment part; its isolation section is a section of its own here.
    register = incident_register(ws, envs)
    report = GapReport(
        ws.contract.project, ws.clock(), [env_status(ws, env, service=service, register=register) for env in envs]
    )
    today = ws.clock().date()
    formats = _formats(ws)
    cells: dict[tuple[str, str | None], dict[str, CoverageCell]] = defaultdict(dict)
    namespaces: list[NamespaceCoverage] = []
    readers_by_env = {es.env: es.readers for es in report.envs}
    for es in report.envs:
        orphans_by_ns: Counter[tuple[str, str | None]] = Counter(
            (o.namespace, o.instance) for o in es.orphans
        )
        namespaces.append(
            NamespaceCoverage(
                env=es.env,
                store=es.store,
                found=len(es.namespaces_found),
                expected=len(es.namespaces_expected),
                missing=[n for n in es.namespaces_expected if n not in es.namespaces_found],
                orphans=[o.label() for o in es.orphans],
            )
        )
        for ss in es.services:
            keys = []
            for k in sorted(ss.keys, key=lambda k: k.var):
                problems = list(k.problems) + ([k.deprecated_read] if k.deprecated_read else [])
                keys.append(
                    KeyRow(
                        var=k.var,
                        secret=f"{k.slot.namespace}/{k.slot.key}",
                        state=k.state,
                        required=k.required,
                        owner=k.owner,
                        format=formats.get((k.slot.namespace, k.slot.key)),
                        last_written=_iso(k.last_written),
                        versions=k.versions,
                        version=k.version,
                        problems=problems,
                        via_ref=k.via_ref,
                    )
                )
            svc_ns = ws.contract.services[ss.service].namespace
            cells[(ss.service, ss.instance)][es.env] = CoverageCell(
                id=cell_id(es.env, ss.service, ss.instance),
                service=ss.service,
                env=es.env,
                instance=ss.instance,
                verdict="BLOCKED" if ss.blocked else "PASS",
                detail=ss.verdict,
                present=ss.count("present", required_only=False),
                missing=ss.count("missing"),
                invalid=ss.count("invalid"),
                compromised=ss.count("compromised"),
                unverified=ss.count("unverified", required_only=False),
                orphaned=orphans_by_ns.get((svc_ns, ss.instance), 0),
                keys=keys,
            )
    rows = []
    for (service, instance), by_env in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        svc = ws.contract.services[service]
        ns = ws.contract.namespaces.get(svc.namespace)
        row_cells = [by_env.get(env) for env in envs]
        notes: list[str | None] = []
        for env, cell in zip(envs, row_cells, strict=True):
            others = readers_by_env[env].get(svc.namespace, [])
            notes.append(f"namespace read here by {', '.join(others)}" if cell is None and others else None)
        rows.append(
            MatrixRow(
                service=service,
                instance=instance,
                owner=svc.owner or (ns.owner if ns else None),
                namespace=svc.namespace,
                cells=row_cells,
                notes=notes,
            )
        )
    deprecated = []
    for name, ns in sorted(ws.contract.namespaces.items()):
        if not ns.deprecated:
            continue
        readers = sorted({svc for env in envs for svc in readers_by_env[env].get(name, [])})
        deprecated.append(
            DeprecatedNamespace(
                name=name,
                replaced_by=ns.replaced_by,
                hold_until=_iso(ns.hold_until),
                past_hold=hold_passed(ns.hold_until, today),
                readers=readers,
                expected_in=[env for env in envs if name in readers_by_env[env]],
                blocks=any(
                    r.blocks and r.code == "past-hold" and r.slot.namespace == name
                    for es in report.envs for ss in es.services for k in ss.keys for r in k.reasons
                ),
            )
        )
    return Coverage(envs=envs, verdict=report.verdict, rows=rows, namespaces=namespaces, deprecated=deprecated)


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400, 1)


def build_rotation(ws: Workspace, envs: list[str]) -> Rotation:
    from secretwarden.ops.rotation import rotation_log, rotation_status

    report = rotation_status(ws, envs)
    now = report.generated_at
    items = []
    for r in report.rows:
        items.append(
            RotationItem(
                secret=r.slot.label(),
                env=r.slot.env,
                namespace=r.slot.namespace,
                key=r.slot.key,
                instance=r.slot.instance,
                owner=r.owner,
                services=list(r.services),
                cadence_days=None if r.cadence is None else _days(r.cadence),
                last_rotated=_iso(r.last_rotated),
                due_at=_iso(r.due_at),
                days_left=r.days_left(now),
                # Clamped: a clock behind the store's write times must not draw negative bars.
                age_days=None if r.last_rotated is None else max(0.0, _days(now - r.last_rotated)),
                state=r.state,
                state_word=ROTATION_WORDS.get(r.state, r.state),
                version=r.version,
                rotations=r.rotations,
            )
        )
    # Most urgent first: overdue and compromised, then by due date, then by name.
    urgency = {"compromised": 0, "overdue": 1, "missing": 2, "due": 3}
    items.sort(key=lambda i: (urgency.get(i.state, 4), i.due_at or "9999", i.secret))
    today = now.date()
    days: dict[dt.date, list[str]] = {today + dt.timedelta(days=n): [] for n in range(CALENDAR_DAYS)}
    overdue_before = 0
    for r in report.rows:
        if r.due_at is None:
            continue
        day = r.due_at.date()
        if day < today or r.state == "overdue":
            overdue_before += 1
        elif day in days:
            days[day].append(r.slot.label())
    ages: dict[str, list[RotationItem]] = defaultdict(list)
    for i in items:
        if i.age_days is not None:
            ages[i.namespace].append(i)
    age_rows = []
    for ns in sorted(ages):
        values = sorted(i.age_days for i in ages[ns] if i.age_days is not None)
        cadences = [i.cadence_days for i in ages[ns] if i.cadence_days is not None]
        mid = len(values) // 2
        median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
        age_rows.append(
            NamespaceAges(ns, len(values), round(median, 1), values[-1], min(cadences) if cadences else None)
        )
    log = [e.to_json() for e in rotation_log(ws)]
    log.sort(key=lambda e: (str(e.get("date")), str(e.get("secret"))), reverse=True)
    return Rotation(
        items=items,
        counts=dict(sorted(Counter(i.state for i in items).items())),
        owners=sorted({i.owner for i in items if i.owner}),
        namespaces=sorted({i.namespace for i in items}),
        calendar=[CalendarDay(d.isoformat(), sorted(v)) for d, v in sorted(days.items())],
        overdue_before=overdue_before,
        ages=age_rows,
        log=log,
    )


def build_incidents(ws: Workspace) -> list[IncidentItem]:
    from secretwarden.contract.plan import requirements
    from secretwarden.ops.incidents import list_incidents

    readers: dict[str, dict[SlotRef, set[str]]] = {}
    out = []
    for inc in list_incidents(ws):
        blocked: list[str] = []
        if inc.state != "closed" and inc.slot.env in ws.contract.environments:
            if inc.slot.env not in readers:
                found: dict[SlotRef, set[str]] = defaultdict(set)
                for req in requirements(ws.contract, inc.slot.env):
                    found[req.slot].add(req.service)
                readers[inc.slot.env] = found
            blocked = sorted(readers[inc.slot.env].get(inc.slot, set()))
        out.append(
            IncidentItem(
                id=inc.name,  # as `incident list` shows it: `<store>/<id>` where two stores hold one id
                state=inc.state,
                secret=inc.slot.label(),
                env=inc.slot.env,
                store=inc.store,
                reason=inc.reason,
                opened_at=inc.opened_at.isoformat(),
                opened_by=inc.opened_by,
                closed_at=_iso(inc.closed_at),
                root_cause=inc.root_cause,
                rotated_version=inc.rotated_version,
                recorded=inc.recorded,
                blocked_services=blocked,
            )
        )
    # Open first, newest first within a state.
    order = {"open": 0, "rotated": 1, "closed": 2}
    out.sort(key=lambda i: (order.get(i.state, 3), _neg_time(i.opened_at), i.id))
    return out


def _neg_time(iso: str) -> float:
    return -dt.datetime.fromisoformat(iso).timestamp()


def build_isolation(ws: Workspace) -> Isolation:
    from secretwarden.ops.isolation import isolation_report

    rep = isolation_report(ws)
    shared = [
        SharedPair(kind=p.kind, crosses=p.crosses, a=p.a.label(), b=p.b.label())
        for p in sorted(rep.shared, key=lambda p: (p.a, p.b))
    ]
    return Isolation(
        verdict=rep.verdict,
        stores=list(rep.stores),
        slots_checked=rep.slots_checked,
        shared=shared,
        weak=sorted((w.to_json() for w in rep.weak), key=lambda d: d["slot"]),
        unfingerprinted=sorted((u.to_json() for u in rep.unfingerprinted), key=lambda d: d["slot"]),
    )


# --- guardrails -------------------------------------------------------------------------------


def _safe_preview(text: object) -> str:
    """The scanner's redacted preview, or a mask when the file holds anything else.

    A results file is input we did not write: one made with `--show-secrets`,
    or edited by hand, must not put a value on the page.
    """
    s = str(text or "")
    if s.endswith("*" * 8) and len(s) <= 12:
        return s
    return "*" * 8


def _absolute(base: Path, path: str) -> PurePosixPath:
    """`path` (relative to `base`, or absolute) as a normalised absolute path, without touching the disk."""
    return PurePosixPath(os.path.normpath(os.path.join(base.as_posix(), path)))


def _owner_by_source(ws: Workspace) -> list[tuple[PurePosixPath, str, str | None]]:
    """(source folder, service, owner), the folder made absolute: `source` is relative to the contract."""
    out = []
    for name, svc in ws.contract.services.items():
        if svc.source:
            ns = ws.contract.namespaces.get(svc.namespace)
            out.append((_absolute(ws.root, svc.source.strip("/")), name, svc.owner or (ns.owner if ns else None)))
    # Deepest source folder first, so a nested service wins over its parent.
    return sorted(out, key=lambda t: (-len(t[0].parts), str(t[0])))


def findings_base(ws: Workspace) -> Path:
    """The folder `scan`/`lint --format json` name files from: the repository's top level
    (findings/paths.py), which is not the contract's folder when the contract sits deeper."""
    from secretwarden.findings.paths import repository_root

    return repository_root(ws.root) or ws.root


def _service_for(
    path: str, sources: list[tuple[PurePosixPath, str, str | None]], base: Path
) -> tuple[str | None, str | None]:
    p = _absolute(base, path)
    for src, name, owner in sources:
        if p == src or src in p.parents:
            return name, owner
    return None, None


_MAX_RESULTS_BYTES = 512 * 1024 * 1024


def _load_results(path: Path, what: str) -> dict[str, Any]:
    from secretwarden.paths import read_input_file

    hint = f"make it with `warden {what} --format json`"
    if not path.exists():
        raise InputError(f"{path}: no such {what} results file", hint=hint)
    # Regular file, bounded, opened without blocking: a FIFO hung the report, /dev/zero filled memory.
    raw = read_input_file(path, limit=_MAX_RESULTS_BYTES, what=f"{what} results file", hint=hint)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested 100k deep
        raise InputError(f"{path}: not a JSON {what} report", hint=hint) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError(f"{path}: not a `warden {what} --format json` report (no findings list)", hint=hint)
    for number, finding in enumerate(doc["findings"], 1):
        line = finding.get("line", 0) if isinstance(finding, dict) else 0
        # bool is an int to Python, and a hand-edited file may say "12" or "x": accept whole numbers only.
        if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 0):
            raise InputError(f"{path}: finding {number} has a line that is not a whole number",
                             hint=f"regenerate it with `warden {what} --format json`")
    return doc


def scan_findings(
    doc: dict[str, Any], sources: list[tuple[PurePosixPath, str, str | None]], base: Path
) -> list[GuardrailFinding]:
    out = []
    for f in doc["findings"]:
        if not isinstance(f, dict) or f.get("severity") == "note":
            continue  # a note (public-by-design key) is listed by `scan`, never a guardrail problem
        path = str(f.get("path", ""))
        service, owner = _service_for(path, sources, base)
        out.append(
            GuardrailFinding(
                tool="scan",
                rule=str(f.get("rule", "")),
                severity=str(f.get("severity", "")),
                file=path,
                line=int(f.get("line") or 0),
                preview=_safe_preview(f.get("preview")),  # never f["secret"]
                owner=owner,
                service=service,
            )
        )
    return out


def lint_findings(
    doc: dict[str, Any], ws: Workspace, sources: list[tuple[PurePosixPath, str, str | None]], base: Path
) -> list[GuardrailFinding]:
    out = []
    for f in doc["findings"]:
        if not isinstance(f, dict) or f.get("allowed"):
            continue
        path = str(f.get("file", ""))
        service = f.get("service")
        owner = None
        if isinstance(service, str) and service in ws.contract.services:
            svc = ws.contract.services[service]
            ns = ws.contract.namespaces.get(svc.namespace)
            owner = svc.owner or (ns.owner if ns else None)
        else:
            service, owner = _service_for(path, sources, base)
        out.append(
            GuardrailFinding(
                tool="lint",
                rule=str(f.get("rule_id", f.get("rule", ""))),
                severity=str(f.get("severity", "")),
                file=path,
                line=int(f.get("line") or 0),
                preview=str(f.get("message", "")),
                owner=owner,
                service=service if isinstance(service, str) else None,
            )
        )
    return out


def run_guardrails(ws: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Scan and lint the contract's repository in-process; the documents `--format json` prints."""
    from secretwarden.composite.guardrails import lint_report, scan_report
    from secretwarden.findings.model import RenderOptions
    from secretwarden.findings.reporters.json_report import as_dict

    contract = str(ws.loaded.path)
    return (as_dict(scan_report(ws.root, contract), RenderOptions()),
            as_dict(lint_report(ws.root, contract), RenderOptions()))


def _shown_path(path: Path, root: Path) -> str:
    """Relative to the contract's folder when inside it, else the file name: a report
    must not carry (or depend on) where the files sat on one machine."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return path.name


def build_guardrails(
    ws: Workspace,
    *,
    scan_results: Path | None = None,
    lint_results: Path | None = None,
    run: bool = False,
) -> Guardrails:
    sources = _owner_by_source(ws)
    scan_doc = _load_results(scan_results, "scan") if scan_results else None
    lint_doc = _load_results(lint_results, "lint") if lint_results else None
    scan_src = _shown_path(scan_results, ws.root) if scan_results else None
    lint_src = _shown_path(lint_results, ws.root) if lint_results else None
    if run:
        ran_scan, ran_lint = run_guardrails(ws)
        if scan_doc is None:
            scan_doc, scan_src = ran_scan, "run in-process"
        if lint_doc is None:
            lint_doc, lint_src = ran_lint, "run in-process"
    findings: list[GuardrailFinding] = []
    base = findings_base(ws) if scan_doc is not None or lint_doc is not None else ws.root
    if scan_doc is not None:
        findings += scan_findings(scan_doc, sources, base)
    if lint_doc is not None:
        findings += lint_findings(lint_doc, ws, sources, base)
    findings.sort(key=lambda f: (f.tool, f.rule, f.file, f.line, f.preview))
    by_rule = Counter(f"{f.tool}: {f.rule}" for f in findings)
    by_owner = Counter(f.owner or "(no owner)" for f in findings)
    return Guardrails(
        scan_source=scan_src,
        lint_source=lint_src,
        findings=findings,
        by_rule=[GuardrailGroup(k, v) for k, v in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_owner=[GuardrailGroup(k, v) for k, v in sorted(by_owner.items(), key=lambda kv: (-kv[1], kv[0]))],
    )


def build_audit(ws: Workspace, limit: int = DEFAULT_AUDIT_LIMIT) -> Audit:
    log = ws.audit
    verdict = log.verify()
    tail: list[dict[str, Any]] = []
    for e in log.entries():
        tail.append({k: e[k] for k in AUDIT_FIELDS if e.get(k) is not None})
        if len(tail) > limit:
            del tail[0]
    tail.reverse()
    try:
        shown = str(log.path.relative_to(ws.root))
    except ValueError:
        shown = str(log.path)
    return Audit(
        path=shown,
        verified=verdict.ok,
        entries_total=verdict.entries,
        problems=list(verdict.problems),
        limit=limit,
        entries=tail,
        commands=sorted({str(e["command"]) for e in tail if "command" in e}),
        outcomes=sorted({str(e["outcome"]) for e in tail if "outcome" in e}),
    )


PARTS = frozenset({"coverage", "rotation", "incidents", "isolation", "guardrails", "audit"})


def build_dashboard(
    ws: Workspace,
    envs: list[str] | None = None,
    *,
    scan_results: Path | None = None,
    lint_results: Path | None = None,
    run_guardrails: bool = False,
    audit_limit: int = DEFAULT_AUDIT_LIMIT,
    parts: frozenset[str] = PARTS,
    service: str | None = None,
) -> Dashboard:
    """The whole model, or only `parts` of it (a live page builds what it shows;
    the other sections are left empty). `service` narrows the coverage to one
    service (a key list page)."""
    from secretwarden.dashboard.snapshot import snapshot

    chosen = envs or list(ws.contract.environments)
    for env in chosen:
        ws.metadata(env)  # an unknown environment fails here, with the contract's message
    ws = snapshot(ws)  # one metadata listing per store for every section
    unreachable = unreachable_stores(ws, chosen)
    down = {env for u in unreachable for env in u.envs}
    chosen = [env for env in chosen if env not in down]
    # Folder and file name only: an absolute path would make the report differ per machine.
    contract = f"{ws.loaded.root.name}/{ws.loaded.path.name}"
    return Dashboard(
        project=ws.contract.project,
        contract=contract,
        generated_at=ws.clock().isoformat(timespec="seconds"),
        coverage=build_coverage(ws, chosen, service) if "coverage" in parts else Coverage(chosen, "", [], [], []),
        rotation=build_rotation(ws, chosen) if "rotation" in parts else Rotation([], {}, [], [], [], 0, [], []),
        incidents=build_incidents(ws) if "incidents" in parts else [],
        isolation=build_isolation(ws) if "isolation" in parts else Isolation("", [], 0, [], [], []),
        guardrails=(
            build_guardrails(ws, scan_results=scan_results, lint_results=lint_results, run=run_guardrails)
            if "guardrails" in parts else Guardrails(None, None, [], [], [])
        ),
        audit=build_audit(ws, audit_limit) if "audit" in parts else Audit("", True, 0, [], audit_limit, [], [], []),
        unreachable=unreachable,
    )


def unreachable_stores(ws: Workspace, envs: list[str]) -> list[UnreachableStore]:
    """The snapshot's stores that did not answer (dashboard/snapshot.py), with the environments they serve."""
    from secretwarden.dashboard.snapshot import SnapshotReader

    out: dict[str, UnreachableStore] = {}
    for env in envs:
        reader = ws.metadata(env)
        if not isinstance(reader, SnapshotReader):
            continue
        next(reader.list_meta(env), None)  # the one listing every section answers from
        if reader.unreachable is not None:
            item = out.setdefault(reader.name, UnreachableStore(reader.name, [], reader.unreachable.message))
            item.envs.append(env)
    return list(out.values())
