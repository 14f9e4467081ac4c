"""The gap report: what the contract expects against what the stores hold.

Works from metadata only: stores are opened with `access="metadata"`, so this
module cannot read a value even by mistake. Validity comes from the stamp the
writer recorded (see `ValidationStamp`); a stamp made against another spec, or
no stamp at all, makes the key "unverified" rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from secretwarden.contract.bulk import bulk_build
from secretwarden.contract.plan import Requirement, requirements
from secretwarden.contract.report_plan import NamespacePolicy, report_plan
from secretwarden.errors import (
    MasterKeyError,
    PermissionDenied,
    StoreError,
    StoreUnavailable,
    UsageError,
)
from secretwarden.ops.journal import incident_register
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.summary import KeySummary, SummaryIndex, by_env, key_summaries, summarize
from secretwarden.verdict import (
    KeyState,
    Reason,
    SlotFacts,
    Verdict,
    describe,
    slot_reasons,
)

if TYPE_CHECKING:
    from secretwarden.ops.isolation import IsolationReport

BLOCKING: frozenset[str] = frozenset({"missing", "invalid", "compromised"})


@dataclass(slots=True)  # not frozen: 30,000 of them per report, and a frozen __init__ costs 3x
class KeyStatus:
    var: str
    slot: SlotRef
    required: bool
    state: KeyState  # what is in the store; "compromised" also while its incident is open
    problems: tuple[str, ...] = ()
    version: int | None = None
    last_written: dt.datetime | None = None
    owner: str | None = None
    via_ref: str | None = None
    deprecated_read: str | None = None  # why reading this slot is flagged (past its hold date)
    reasons: tuple[Reason, ...] = ()  # the verdict's reasons for this key (verdict.py)
    versions: int = 0  # versions written
    blocking: bool = False  # some reason blocks (set with the reasons; reports ask it often)


# (C-level accessors: a report asks every key of every service these questions several times)
_REASONS = attrgetter("reasons")
_BLOCKING = attrgetter("blocking")


@dataclass
class ServiceStatus:
    service: str
    env: str
    instance: str | None
    keys: list[KeyStatus] = field(default_factory=list)

    def count(self, state: str, *, required_only: bool = True) -> int:
        return sum(1 for k in self.keys if k.state == state and (k.required or not required_only))

    @property
    def judgement(self) -> Verdict:
        """The one verdict over this service's keys (computed when the keys were observed)."""
        return Verdict(tuple(chain.from_iterable(map(_REASONS, self.keys))))

    @property
    def blocked(self) -> bool:
        return any(map(_BLOCKING, self.keys))

    @property
    def verdict(self) -> str:
        return self.judgement.summary

    @property
    def label(self) -> str:
        return f"{self.service}@{self.instance}" if self.instance else self.service


def describe_blockers(keys: list[KeyStatus]) -> str:
    return describe(r for k in keys for r in k.reasons if r.blocks)


@dataclass
class EnvStatus:
    env: str
    store: str
    namespaces_expected: list[str]  # every namespace a service running here reads a slot of
    namespaces_found: list[str]
    services: list[ServiceStatus]
    orphans: list[SlotRef]
    readers: dict[str, list[str]] = field(default_factory=dict)  # namespace -> services reading it here

    @property
    def blocked(self) -> bool:
        return any(s.blocked for s in self.services)


@dataclass
class GapReport:
    project: str
    generated_at: dt.datetime
    envs: list[EnvStatus]
    isolation: IsolationReport | None = None  # values shared between slots (informational section)
    # env -> why it is not in the report: its store did not answer (only a report of every
    # environment leaves one out; asked for by name, the environment's store error stands)
    unreachable: dict[str, str] = field(default_factory=dict)
    # store -> why the isolation section could not compare its values: it did not answer. The
    # section compares every store, whichever environments were asked for, so `--env dev` can
    # leave prod's store out here. It is said (text, JSON, a warning) but, like the section's
    # findings, never decides the exit code: `warden isolation` is the gate for isolation.
    isolation_unchecked: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.unreachable and not any(e.blocked for e in self.envs)

    @property
    def verdict(self) -> str:
        unchecked = [f"{', '.join(self.unreachable)} not checked (store did not answer)"] if self.unreachable else []
        if self.isolation_unchecked:
            unchecked.append(self.isolation_left_out())
        if self.ok:
            return "; ".join(["PASS", *unchecked])
        if not any(e.blocked for e in self.envs):
            return "UNKNOWN: " + "; ".join(unchecked)
        keys = [k for e in self.envs for s in e.services for k in s.keys]
        return "; ".join(["BLOCKED: " + describe_blockers(keys), *unchecked])

    def isolation_left_out(self) -> str:
        """"isolation against store `x` not checked (store did not answer)", or "" when the
        isolation section compared every store."""
        if not self.isolation_unchecked:
            return ""
        return f"isolation against store {', '.join(f'`{s}`' for s in self.isolation_unchecked)} not checked (store did not answer)"


_UNVERIFIED = ("written without validation",)
_SPEC_CHANGED = ("contract spec changed since the write",)
_MARKED = ("marked compromised, not rotated since",)


def observe(meta: KeySummary | None, digest: str) -> tuple[KeyState, tuple[str, ...]]:
    """What the metadata says about the value in a slot: state and why (never a value)."""
    if meta is None or meta.version is None:
        return "missing", ()
    if meta.compromised:
        return "compromised", _MARKED
    stamp = meta.stamp
    if stamp is None or stamp.digest != digest:
        return "unverified", _UNVERIFIED if stamp is None else _SPEC_CHANGED
    if stamp.problems:
        return "invalid", stamp.problems
    return "present", ()


# One read of a slot by a service, as the judge needs it:
# (service, instance, var, namespace, key, required, digest, owner, via_ref).
Read = tuple[str, "str | None", str, str, str, bool, str, "str | None", "str | None"]


def reads_of(reqs: list[Requirement]) -> list[Read]:
    return [
        (r.service, r.slot.instance, r.var, r.slot.namespace, r.slot.key, r.required, r.digest, r.owner, r.via_ref)
        for r in reqs
    ]


def _plan_reads(columns: dict[str, list[Any]]) -> Iterator[Read]:
    return zip(
        columns["service"], columns["instance"], columns["var"], columns["namespace"], columns["key"],
        columns["required"], columns["digest"], columns["owner"], columns["via_ref"], strict=True,
    )


class KeyJudge:
    """Turns (read, metadata) into a `KeyStatus` with the verdict's reasons.

    Built once per environment: it holds what every key of that environment
    shares (the date, the open incidents, each namespace's deprecation policy).
    """

    def __init__(self, ws: Workspace, env: str, *, register: dict[tuple[str, SlotRef], str] | None = None,
                 allow_compromised: bool = False, policy: Mapping[str, NamespacePolicy] | None = None) -> None:
        self.today = ws.clock().date()
        self.store = ws.store_for(env)
        self.register = incident_register(ws, [env]) if register is None else register
        self.allow_compromised = allow_compromised
        if policy is None:
            self.policy = {n: (ns.deprecated, ns.hold_until, ns.past_hold) for n, ns in ws.contract.namespaces.items()}
        else:
            self.policy = {n: (p.deprecated, p.hold_until, p.past_hold) for n, p in policy.items()}

    def key(
        self, req: Requirement, meta: KeySummary | None, observed: tuple[KeyState, tuple[str, ...]] | None = None
    ) -> KeyStatus:
        """`observed`: state and problems found by reading the value (`check --verify-values`)."""
        return self.read(req.var, req.slot, req.required, req.digest, req.owner, req.via_ref, meta, observed)

    def read(
        self, var: str, slot: SlotRef, required: bool, digest: str, owner: str | None, via_ref: str | None,
        meta: KeySummary | None, observed: tuple[KeyState, tuple[str, ...]] | None = None,
    ) -> KeyStatus:
        state, problems = observe(meta, digest) if observed is None else observed
        if meta is not None:
            version, written, count = meta.version, meta.written_at, meta.versions
        else:
            version, written, count = None, None, 0
        deprecated, hold, past_hold = self.policy[slot.namespace]
        if state == "present" and not deprecated and not self.register:
            # The common case at scale: nothing to say about this key, so no reasons to build.
            return KeyStatus(var, slot, required, state, (), version, written, owner, via_ref, None, (), count)
        incident = self.register.get((self.store, slot)) if self.register else None
        facts = SlotFacts(var, slot, required, state, problems, incident, deprecated, hold, past_hold)
        reasons = tuple(slot_reasons(facts, self.today, allow_compromised=self.allow_compromised))
        if incident is not None and state not in ("missing", "compromised"):
            state = "compromised"  # rotated, but the incident is open: shown as it blocks
            problems = next(r.text for r in reasons if r.code == "incident-open"), *problems
        stale = next((r.text for r in reasons if r.code == "past-hold"), None) if deprecated else None
        return KeyStatus(
            var, slot, required, state, problems, version, written, owner, via_ref, stale, reasons, count,
            any(r.blocks for r in reasons),
        )


@bulk_build  # 100,000 small objects, no cycles: contract/bulk.py
def env_status(
    ws: Workspace,
    env: str,
    *,
    service: str | None = None,
    index: SummaryIndex | None = None,
    register: dict[tuple[str, SlotRef], str] | None = None,
    allow_compromised: bool = False,
) -> EnvStatus:
    """`index`: this environment's key summaries when the caller already has them (saves a second
    query; `stores.summary.by_env`).

    The whole environment is judged from the compiled report plan (contract/report_plan.py);
    one service from `requirements()` (a `check` need not compile the plan of every service).
    """
    store = ws.metadata(env)
    policy: Mapping[str, NamespacePolicy] | None
    if service is None:
        plan = report_plan(ws.loaded)
        columns = plan.envs[env].columns
        reads: Iterable[Read] = _plan_reads(columns)
        # who reads which namespace, and which slots are read (for orphans): from the columns, in C
        pairs = set(zip(columns["namespace"], columns["service"], strict=True))
        wanted = set(zip(columns["namespace"], columns["key"], columns["instance"], strict=True))
        policy = plan.namespaces
    else:
        listed_reads = reads_of(requirements(ws.contract, env, service=service))
        reads = listed_reads
        pairs = {(r[3], r[0]) for r in listed_reads}
        wanted = set()
        policy = None
    metas = by_env(key_summaries(store, env)).get(env, {}) if index is None else index
    judge_key = KeyJudge(ws, env, register=register, allow_compromised=allow_compromised, policy=policy)
    services: dict[tuple[str, str | None], ServiceStatus] = {}
    judge = judge_key.read
    # Namespaces where a present key has nothing to say (not deprecated, no incident open anywhere):
    # most keys at scale, so they skip the judge's call.
    quiet = set() if judge_key.register else {ns for ns, (dep, _, _) in judge_key.policy.items() if not dep}
    last_service: str | None = None
    last_instance: str | None = None
    keys: list[KeyStatus] = []
    get_meta = metas.get
    for svc_name, inst, var, ns, key, required, digest, owner, via_ref in reads:
        if svc_name != last_service or inst != last_instance:
            # reads come grouped by service and instance: look the service up on a change only
            st = services.get((svc_name, inst))
            if st is None:
                st = services[(svc_name, inst)] = ServiceStatus(svc_name, env, inst)
            keys, last_service, last_instance = st.keys, svc_name, inst
        meta = get_meta((ns, key, inst))
        if meta is not None and ns in quiet:
            stamp = meta.stamp
            # `observe()`'s "present", asked inline: most keys at scale, one call less each
            if (stamp is not None and stamp.digest == digest and not stamp.problems and not meta.compromised
                    and meta.version is not None):
                # meta.slot is this slot (metas are keyed by it, in this environment): no second SlotRef
                keys.append(KeyStatus(var, meta.slot, required, "present", (), meta.version,
                                      meta.written_at, owner, via_ref, None, (), meta.versions))
                continue
        keys.append(judge(var, SlotRef(env, ns, key, inst), required, digest, owner, via_ref, meta,
                          observe(meta, digest)))
    readers: dict[str, set[str]] = {}
    for ns, svc_name in pairs:
        readers.setdefault(ns, set()).add(svc_name)
    expected_ns = sorted(readers)
    found_ns = set(store.namespaces(env)) | {where[0] for where in metas}
    if service:
        orphans: list[SlotRef] = []
    else:
        kept = report_plan(ws.loaded).credential_namespaces  # Direct-Vault AppRole credentials bootstrap keeps
        orphans = sorted(  # (the set difference in C: at scale nearly every summary is wanted)
            m.slot for w in metas.keys() - wanted if (m := metas[w]).version is not None and w[0] not in kept
        )
    return EnvStatus(
        env=env,
        store=ws.store_for(env),
        namespaces_expected=expected_ns,
        namespaces_found=[ns for ns in expected_ns if ns in found_ns],
        services=list(services.values()),
        orphans=orphans,
        readers={ns: sorted(names) for ns, names in sorted(readers.items())},
    )


@bulk_build  # 100,000 small objects, no cycles: contract/bulk.py
def gap_report(ws: Workspace, envs: list[str] | None = None, *, service: str | None = None) -> GapReport:
    from secretwarden.ops.isolation import isolation_report

    facts = ws.loaded.facts
    chosen = envs or facts.environments
    for env in chosen:
        ws.store_for(env)  # an unknown environment is a usage error before any store is opened
    unreachable: dict[str, str] = {}
    down: dict[str, StoreError] = {}  # store -> its error, found once in this command
    if envs:
        register = incident_register(ws, chosen)  # read once for every environment
    else:
        register, unreachable, down = _register_where_reachable(ws, chosen)
        chosen = [env for env in chosen if env not in unreachable]
    if service is not None:
        return GapReport(
            facts.project, ws.clock(), [env_status(ws, env, service=service, register=register) for env in chosen],
            unreachable=unreachable,
        )
    # The isolation section needs every store's metadata: summarise each store once and share it.
    listed = _summaries_where_reachable(ws, down)
    indexed = {name: by_env(summaries) for name, summaries in listed.items()}
    # A chosen environment's own store that stopped answering since its incident register was
    # read: `env_status` asks it again and its error stands (asked for, not left out).
    return GapReport(
        project=facts.project,
        generated_at=ws.clock(),
        envs=[
            env_status(ws, env, register=register)
            if (store := facts.store_for(env)) not in indexed
            else env_status(ws, env, index=indexed[store].get(env, {}), register=register)
            for env in chosen
        ],
        isolation=isolation_report(ws, listed=listed) if listed else None,
        unreachable=unreachable,
        isolation_unchecked={name: f"store `{name}`: {exc.message}" for name, exc in sorted(down.items())},
    )


# What leaves a store out of a report of every store rather than stopping it: it cannot be
# reached, is sealed, or refuses this user's credentials. A store whose records fail their
# checks (IntegrityError) stops the report.
_LEFT_OUT = (StoreUnavailable, MasterKeyError, PermissionDenied)


def _summaries_where_reachable(ws: Workspace, down: dict[str, StoreError]) -> dict[str, list[KeySummary]]:
    """Every store's key summaries, but those of the stores that do not answer, which are added
    to `down`. A store already in `down` is not asked again: a server that is down costs its
    whole connection budget per question."""
    listed: dict[str, list[KeySummary]] = {}
    for name, reader in ws.metadata_by_store().items():
        if name in down:
            continue
        try:
            listed[name] = key_summaries(reader)
        except _LEFT_OUT as exc:
            down[name] = exc
    return listed


def _register_where_reachable(
    ws: Workspace, envs: list[str]
) -> tuple[dict[tuple[str, SlotRef], str], dict[str, str], dict[str, StoreError]]:
    """The open incidents of every store that answers, env -> reason for the envs whose store
    does not (a laptop out of reach of staging's server still gets dev's report), and
    store -> error of those stores (the isolation section does not ask them again).

    Only a store that cannot be reached, is sealed, or refuses this user's credentials is left
    out (`_LEFT_OUT`); a store whose records fail their checks (IntegrityError) stops the report."""
    register: dict[tuple[str, SlotRef], str] = {}
    down: dict[str, StoreError] = {}
    unreachable: dict[str, str] = {}
    answered: set[str] = set()
    for env in envs:
        store = ws.store_for(env)
        if store not in down and store not in answered:
            try:
                register.update(incident_register(ws, [env]))
                answered.add(store)
            except _LEFT_OUT as exc:
                down[store] = exc
        if store in down:
            unreachable[env] = f"store `{store}`: {down[store].message}"
    if down and not answered:
        raise next(iter(down.values()))  # nothing to report: the error itself, with its hint
    return register, unreachable, down


def allowed_compromised(statuses: list[ServiceStatus]) -> list[str]:
    """Keys that would block but for `--allow-compromised`: what the audit entry names."""
    return sorted(
        {f"{s.label}:{r.var}" for s in statuses for k in s.keys for r in k.reasons
         if r.code in ("compromised", "incident-open") and r.severity == "warn" and k.required}
    )


def service_check(
    ws: Workspace,
    service: str,
    env: str,
    instance: str | None = None,
    *,
    verify_values: bool = False,
    allow_compromised: bool = False,
) -> list[ServiceStatus]:
    """`warden check`: the service's verdict per instance, from metadata (or from its values).

    With `verify_values` each value is read and checked against the contract
    instead of trusting its write-time stamp; a compromised value is not read.
    Audited either way; an override by `allow_compromised` is named in the entry.
    """
    from secretwarden.contract.plan import check_service as known_service
    from secretwarden.contract.plan import service_instances
    from secretwarden.ops.secrets import audited

    svc = known_service(ws.contract, service)
    if instance is not None and instance not in service_instances(ws.contract, svc):
        raise UsageError(f"unknown instance `{instance}` for service `{service}`")
    fields = dict(command="check", service=service, env=env, instance=instance)
    if not verify_values:
        report = env_status(ws, env, service=service, allow_compromised=allow_compromised)
        statuses = [s for s in report.services if instance is None or s.instance == instance]
        allowed = allowed_compromised(statuses)
        detail = "metadata" + ("; allow-compromised: " + ", ".join(allowed) if allowed else "")
        ws.audit.append(**fields, outcome="ok", detail=detail)
        return statuses
    from secretwarden.contract.validation import value_problems
    from secretwarden.errors import SecretNotFound

    store = ws.secrets(env)
    judge_key = KeyJudge(ws, env, allow_compromised=allow_compromised)
    services: dict[str | None, ServiceStatus] = {}
    with audited(ws, **fields) as extra:
        read: list[str] = []
        for req in requirements(ws.contract, env, service=service, instance=instance):
            meta = store.key_meta(req.slot)
            observed = observe(None if meta is None else summarize(meta), req.digest)
            if observed[0] in ("present", "unverified", "invalid"):
                try:
                    value = store.read(req.slot).reveal()
                except SecretNotFound:
                    observed = ("missing", ())
                else:
                    read.append(req.slot.label())
                    bad = value_problems(value, req.fmt, req.regex, req.min_length)
                    observed = ("invalid", tuple(bad)) if bad else ("present", ())
            st = services.setdefault(req.slot.instance, ServiceStatus(service, env, req.slot.instance))
            st.keys.append(judge_key.key(req, None if meta is None else summarize(meta), observed))
        extra["keys"] = read
        allowed = allowed_compromised(list(services.values()))
        if allowed:
            extra["detail"] = "allow-compromised: " + ", ".join(allowed)
    return list(services.values())


def store_notices(ws: Workspace) -> list[str]:
    """What the opened stores ask a report to mention (such as data written outside warden,
    which the report may miss); a backend says so through `StoreNotices`, never by its name."""
    from secretwarden.stores.base import StoreNotices

    return [n for st in ws.metadata_by_store().values() if isinstance(st, StoreNotices) for n in st.notices()]
