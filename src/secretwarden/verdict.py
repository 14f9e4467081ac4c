"""The one verdict: may this service (environment, project) start, and why not.

Every gate asks this module and none decides by itself: `status`, `check`,
`run` (both paths), `ci`, `report`, `serve`, `rotation status` and the
runtime's `require()`. A surface gathers what it knows about each slot a
service reads (`SlotFacts`: from store metadata, or from the values it read)
and hands the facts to `judge()`, which applies the rule table below and
returns a `Verdict` with its reasons. The table is documented once, in
docs/verdict.md; change both together.

| fact about a slot                            | required key | optional key        |
|----------------------------------------------|--------------|---------------------|
| missing                                      | blocks       | nothing to say      |
| invalid (stamp or value check)               | blocks       | warns, left out     |
| unverified (no stamp for the current spec)   | warns        | warns               |
| compromised, not rotated (store mark)        | blocks (*)   | warns, left out     |
| rotated, incident still open (register)      | blocks (*)   | warns, left out     |
| deprecated namespace, past hold date         | blocks (**)  | warns               |
| deprecated namespace, within hold            | notes        | notes               |

(*) `allow_compromised` (the CLI's audited `--allow-compromised`) turns it
into a warning. (**) A warning when the namespace says `past_hold: warn`.

This module sits beside `slots.py` because every layer asks it (ops, the
run fast path, the runtime, the dashboard); it imports nothing heavy and
nothing above it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping

from secretwarden.slots import SlotRef
from secretwarden.value_class import FrozenValue

TYPE_CHECKING = False  # `typing` stays off `warden run`'s path; mypy takes any `TYPE_CHECKING` as true;
# the aliases below are plain `str` at run time, where nothing checks against them.
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any, Literal

    # What is known about the value in a slot (before deprecation and incidents).
    KeyState = Literal["present", "missing", "invalid", "unverified", "compromised"]
    PastHold = Literal["block", "warn"]
    Severity = Literal["block", "warn", "note"]
else:
    KeyState = PastHold = Severity = str


class SlotFacts(FrozenValue):
    """Everything a gate knows about one slot one service reads. Never a value.

    Written out on `FrozenValue` (immutable, compared and hashed by value): `warden run`'s
    fast path loads this module, and creating a named tuple class costs about 0.3 ms of
    start-up (`collections.namedtuple` compiles its `__new__`), a dataclass 0.5 ms.
    """

    _fields = ("var", "slot", "required", "state", "problems", "incident", "deprecated", "hold_until", "past_hold")

    var: str  # the variable the service reads
    slot: SlotRef
    required: bool
    state: KeyState
    problems: tuple[str, ...]  # why invalid / unverified, one line each
    incident: str | None  # id of an incident on this slot not closed yet (register)
    deprecated: bool  # the slot's namespace is deprecated
    hold_until: dt.date | None  # reads of it are tolerated until this date
    past_hold: PastHold  # what a read past the hold date does

    def __init__(
        self,
        var: str,
        slot: SlotRef,
        required: bool,
        state: KeyState,
        problems: tuple[str, ...] = (),
        incident: str | None = None,
        deprecated: bool = False,
        hold_until: dt.date | None = None,
        past_hold: PastHold = "block",
    ) -> None:
        d = self.__dict__
        d["var"] = var
        d["slot"] = slot
        d["required"] = required
        d["state"] = state
        d["problems"] = problems
        d["incident"] = incident
        d["deprecated"] = deprecated
        d["hold_until"] = hold_until
        d["past_hold"] = past_hold


class Reason(FrozenValue):
    """One finding of the verdict, in words a person reads. Immutable, compared by value
    (written out on `FrozenValue`, as `SlotFacts` is)."""

    _fields = ("code", "var", "slot", "severity", "text", "withhold")

    code: str  # missing | invalid | unverified | compromised | incident-open | past-hold | within-hold
    var: str
    slot: SlotRef
    severity: Severity
    text: str  # one line, names and states only
    withhold: bool  # `run` must not pass this key's value on (it starts without it)

    def __init__(
        self, code: str, var: str, slot: SlotRef, severity: Severity, text: str, withhold: bool = False
    ) -> None:
        d = self.__dict__
        d["code"] = code
        d["var"] = var
        d["slot"] = slot
        d["severity"] = severity
        d["text"] = text
        d["withhold"] = withhold

    @property
    def blocks(self) -> bool:
        return self.severity == "block"

    @property
    def line(self) -> str:
        return f"{self.var}: {self.text}"


# Order and words of the one-line summary; kept as the gap report always wrote it.
_SUMMARY: tuple[tuple[str, str, str], ...] = (
    ("missing", "required key", "missing"),
    ("invalid", "required key", "invalid"),
    ("compromised", "required key", "compromised"),
    ("incident-open", "required key", "under an open incident"),
    ("past-hold", "read", "from a deprecated namespace past its hold date"),
)


class Verdict(FrozenValue):
    """The reasons found for a service, an environment or the project; blocked if any blocks.
    Immutable, compared by value."""

    _fields = ("reasons",)

    reasons: tuple[Reason, ...]

    def __init__(self, reasons: tuple[Reason, ...] = ()) -> None:
        self.__dict__["reasons"] = reasons

    @property
    def blocked(self) -> bool:
        return any(r.blocks for r in self.reasons)

    @property
    def blockers(self) -> list[Reason]:
        return [r for r in self.reasons if r.blocks]

    @property
    def warnings(self) -> list[Reason]:
        return [r for r in self.reasons if r.severity == "warn"]

    @property
    def withheld(self) -> set[str]:
        """Variables `run` leaves out of the child's environment."""
        return {r.var for r in self.reasons if r.withhold}

    def reasons_for(self, var: str) -> list[Reason]:
        return [r for r in self.reasons if r.var == var]

    @property
    def summary(self) -> str:
        """`PASS`, or `BLOCKED: ` and the blockers counted by kind."""
        if not self.blocked:
            return "PASS"
        return "BLOCKED: " + describe(self.blockers)

    def __add__(self, other: Verdict) -> Verdict:
        return Verdict(self.reasons + other.reasons)


def describe(blockers: Iterable[Reason]) -> str:
    counts: dict[str, int] = {}
    for r in blockers:
        counts[r.code] = counts.get(r.code, 0) + 1
    parts = []
    for code, noun, what in _SUMMARY:
        n = counts.get(code, 0)
        if n:
            parts.append(f"{n} {noun}{'s' if n != 1 else ''} {what}")
    return ", ".join(parts)


def slot_reasons(facts: SlotFacts, today: dt.date, *, allow_compromised: bool = False) -> list[Reason]:
    """The rule table, for one slot. The order of the reasons is fixed (state first)."""
    out: list[Reason] = []
    var, slot, required = facts.var, facts.slot, facts.required

    def add(code: str, severity: Severity, text: str, withhold: bool = False) -> None:
        out.append(Reason(code, var, slot, severity, text, withhold))

    state = facts.state
    where = slot.label()
    if state == "missing":
        if required:
            add("missing", "block", f"missing ({where})")
    elif state == "invalid":
        why = "; ".join(facts.problems) or "does not match its format"
        if required:
            add("invalid", "block", f"invalid: {why}")
        else:
            add("invalid", "warn", f"optional value ignored: {why}", withhold=True)
    elif state == "unverified":
        why = "; ".join(facts.problems) or "not checked against the current spec"
        add("unverified", "warn", f"unverified: {why}")
    code = compromise(state == "compromised", facts.incident, present=state != "missing")
    if code is not None:
        if code == "compromised":
            text = "compromised, not rotated since" + (f" (incident {facts.incident})" if facts.incident else "")
        else:
            text = f"rotated, but incident {facts.incident} is not closed (root-cause note missing)"
        if not required:
            add(code, "warn", "optional key " + text + "; left out", withhold=True)
        elif allow_compromised:
            add(code, "warn", text + "; allowed by --allow-compromised")
        else:
            add(code, "block", f"{text} ({where})")
    if facts.deprecated:
        hold = facts.hold_until
        if hold_passed(hold, today):
            held = f" (hold date {hold} passed)" if hold else ""
            text = f"reads deprecated namespace `{slot.namespace}`{held}"
            add("past-hold", "block" if required and facts.past_hold == "block" else "warn", text)
        else:
            add("within-hold", "note", f"reads deprecated namespace `{slot.namespace}` (allowed until {hold})")
    return out


def hold_passed(hold_until: dt.date | None, today: dt.date) -> bool:
    """A deprecated namespace without a hold date is past it; with one, from the day after."""
    return hold_until is None or today > hold_until


def compromise(marked: bool, incident: str | None, *, present: bool = True) -> str | None:
    """"compromised" (the store's mark, not rotated since), "incident-open" (rotated, incident
    not closed) or None. `rotation status` asks this too, so both agree on what is compromised."""
    if marked:
        return "compromised"
    if incident is not None and present:
        return "incident-open"
    return None


def judge(facts: Iterable[SlotFacts], today: dt.date, *, allow_compromised: bool = False) -> Verdict:
    """The verdict over any set of slots: a service, an environment, the project."""
    reasons: list[Reason] = []
    for f in facts:
        reasons += slot_reasons(f, today, allow_compromised=allow_compromised)
    return Verdict(tuple(reasons))


# --- the incident register, read cheaply -----------------------------------------------------

# The register is a journal each store keeps (ops/journal.py, stores.base.SharedJournal); its
# head carries the index `fold_incident` maintains, so a gate reads one head per store and
# nothing else. A checkout's older local register (this file beside the audit log) is read
# too until the first append imports it into the stores.
REGISTER_NAME = "incidents.jsonl"


def _incident_number(incident_id: str) -> int:
    tail = incident_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def fold_incident(index: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The register's head index after `record`: open incidents by id and the highest number used."""
    opened = dict(index.get("open") or {})
    last = int(index.get("last") or 0)
    incident_id = str(record.get("id", ""))
    where = [record.get("store", ""), record.get("env"), record.get("namespace"), record.get("key"), record.get("instance")]
    if record.get("event") == "open" and all(isinstance(x, str) for x in where[:4]):
        if not isinstance(where[4], (str, type(None))):
            return {"open": opened, "last": last}  # a damaged entry shows up in `audit verify`
        opened[incident_id] = where
        last = max(last, _incident_number(incident_id))
    elif record.get("event") == "close":
        opened.pop(incident_id, None)
    return {"open": opened, "last": last}


def _legacy_entries(audit_path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    try:
        with open(os.path.join(os.path.dirname(audit_path), REGISTER_NAME), "rb") as fh:
            raw = fh.read()
    except OSError:
        return
    import json  # only when a checkout still has a local register

    for line in raw.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a damaged line shows up in `audit verify`
        if isinstance(entry, dict):
            yield entry


def qualified_incident(store: str, incident_id: str) -> str:
    """An incident id made unique across the project's stores: `<store>/<id>` (kept as is when it
    names its store already, or when no store is known). The number stays last, so the
    register's fold still reads it, and every `incident` command accepts this form."""
    return incident_id if "/" in incident_id or not store else f"{store}/{incident_id}"


def open_incidents(
    indexes: Iterable[Mapping[str, Any]], legacy_audit_path: str | os.PathLike[str] | None = None
) -> dict[tuple[str, SlotRef], str]:
    """(store, slot) -> name of every incident not closed: `<store>/<id>`.

    A gate reads one register head per store, which knows that store's ids but not whether
    another store holds the same id; naming the store that holds it makes the name unique
    with no further read (`incident list` shows the short id where it is unique, and accepts
    this form for any incident).

    `indexes` are the heads' indexes of the stores' registers (`fold_incident`);
    `legacy_audit_path` adds a checkout's register from before the stores kept
    it. Builds no incidents (the run fast path and the runtime call this);
    `ops/incidents.py` is the full view.
    """
    found: dict[tuple[str, SlotRef], str] = {}
    for index in indexes:
        for incident_id, where in (index.get("open") or {}).items():
            try:
                store, env, namespace, key, instance = where
                name = qualified_incident(str(store), str(incident_id))
                found[(str(store), SlotRef(str(env), str(namespace), str(key), instance))] = name
            except (TypeError, ValueError):
                continue  # a damaged head shows up in `audit verify`
    if legacy_audit_path is not None:
        local: dict[str, Any] = {}
        for e in _legacy_entries(legacy_audit_path):
            local = fold_incident(local, e)
        for store_slot, incident_id in open_incidents([local]).items():
            found.setdefault(store_slot, incident_id)
    return found


def incident_for(register: Mapping[tuple[str, SlotRef], str], store: str, slot: SlotRef) -> str | None:
    return register.get((store, slot))
