"""One verdict: the rule table, and every gate giving the same answer for the same state.

The property test builds a random contract (deprecated namespaces within or
past their hold date, with `past_hold: block|warn`, per-instance services,
optional keys, a `ref` into another namespace, direct-vault services) and a
random store state per slot (missing, valid, invalid, unverified, compromised,
rotated while its incident is open, incident closed), on a real embedded
store, then asks every gate through its library function.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretwarden.errors import PolicyError, SettingsInvalid
from secretwarden.slots import SlotRef
from secretwarden.verdict import SlotFacts, Verdict, judge, open_incidents, slot_reasons
from tests.conftest import make_canary

TODAY = dt.date(2026, 12, 4)
SLOT = SlotRef("dev", "api", "TOKEN")


def facts(**kw: Any) -> SlotFacts:
    base: dict[str, Any] = dict(var="TOKEN", slot=SLOT, required=True, state="present")
    base.update(kw)
    return SlotFacts(**base)


def codes(f: SlotFacts, *, allow: bool = False) -> list[tuple[str, str]]:
    return [(r.code, r.severity) for r in slot_reasons(f, TODAY, allow_compromised=allow)]


# --- the table, row by row ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "required", "optional"),
    [
        ({"state": "present"}, [], []),
        ({"state": "missing"}, [("missing", "block")], []),
        ({"state": "invalid", "problems": ("too short",)}, [("invalid", "block")], [("invalid", "warn")]),
        ({"state": "unverified"}, [("unverified", "warn")], [("unverified", "warn")]),
        ({"state": "compromised"}, [("compromised", "block")], [("compromised", "warn")]),
        ({"incident": "INC-0001"}, [("incident-open", "block")], [("incident-open", "warn")]),
        ({"state": "missing", "incident": "INC-0001"}, [("missing", "block")], []),
        ({"deprecated": True}, [("past-hold", "block")], [("past-hold", "warn")]),
        ({"deprecated": True, "hold_until": TODAY}, [("within-hold", "note")], [("within-hold", "note")]),
        ({"deprecated": True, "hold_until": TODAY - dt.timedelta(days=1)}, [("past-hold", "block")], [("past-hold", "warn")]),
        ({"deprecated": True, "past_hold": "warn"}, [("past-hold", "warn")], [("past-hold", "warn")]),
        ({"state": "missing", "deprecated": True}, [("missing", "block"), ("past-hold", "block")], [("past-hold", "warn")]),
    ],
)
def test_rule_table(kw: dict[str, Any], required: list[tuple[str, str]], optional: list[tuple[str, str]]) -> None:
    assert codes(facts(required=True, **kw)) == required
    assert codes(facts(required=False, **kw)) == optional


def test_allow_compromised_turns_both_compromise_rows_into_warnings() -> None:
    assert codes(facts(state="compromised"), allow=True) == [("compromised", "warn")]
    assert codes(facts(incident="INC-0002"), allow=True) == [("incident-open", "warn")]
    # ...and nothing else: a missing key still blocks
    assert codes(facts(state="missing"), allow=True) == [("missing", "block")]


def test_optional_keys_never_block_and_bad_ones_are_withheld() -> None:
    for state in ("missing", "invalid", "unverified", "compromised"):
        v = judge([facts(required=False, state=state, deprecated=True)], TODAY)
        assert not v.blocked, state
    v = judge([facts(required=False, state="invalid"), facts(var="B", required=False, incident="INC-1")], TODAY)
    assert v.withheld == {"TOKEN", "B"}


def test_summary_counts_blockers_in_the_gap_report_words() -> None:
    v = judge([facts(state="missing"), facts(var="B", state="missing"), facts(var="C", deprecated=True)], TODAY)
    assert v.summary == "BLOCKED: 2 required keys missing, 1 read from a deprecated namespace past its hold date"
    assert Verdict().summary == "PASS"


def test_the_register_keeps_only_incidents_not_closed(tmp_path: Path) -> None:
    from secretwarden.ops.journal import legacy_journal
    from secretwarden.verdict import fold_incident

    audit = tmp_path / ".warden" / "audit.jsonl"
    journal = legacy_journal(audit, "incidents")
    slot: dict[str, Any] = {"env": "dev", "namespace": "api", "key": "TOKEN", "instance": None, "store": "local"}
    events: list[dict[str, Any]] = [
        {"event": "open", "id": "INC-0001", **slot},
        {"event": "open", "id": "INC-0002", **slot, "key": "OTHER"},
        {"event": "close", "id": "INC-0001"},
        {"event": "open", "id": "broken"},  # damaged: ignored, not a crash
    ]
    index: dict[str, Any] = {}
    for e in events:
        journal.append(e)
        index = fold_incident(index, e)
    expected = {("local", SlotRef("dev", "api", "OTHER")): "local/INC-0002"}  # named by the store holding it
    assert open_incidents([], audit) == expected  # a checkout's register from before the stores kept it
    assert open_incidents([index]) == expected  # a store's head
    assert index["last"] == 2
    assert open_incidents([], tmp_path / "nowhere" / "audit.jsonl") == {}
    assert open_incidents([{"open": {"INC-9": "not a slot"}}]) == {}


# --- every gate agrees ------------------------------------------------------------------------

STATES = ("missing", "valid", "invalid", "unverified", "compromised", "rotated-open", "closed")
HOLDS = ("none", "past", "future")


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    n_ns = draw(st.integers(1, 3))
    namespaces = []
    for i in range(n_ns):
        deprecated = draw(st.booleans())
        namespaces.append(
            {
                "name": f"ns{i}",
                "deprecated": deprecated,
                "hold": draw(st.sampled_from(HOLDS)) if deprecated else "none",
                "past_hold": draw(st.sampled_from(("block", "warn"))) if deprecated else "block",
            }
        )
    services = []
    for i in range(n_ns):
        keys = [{"name": f"K{j}", "required": draw(st.booleans())} for j in range(draw(st.integers(1, 3)))]
        services.append(
            {
                "name": f"svc{i}",
                "namespace": f"ns{i}",
                "per_instance": draw(st.booleans()),
                "direct": draw(st.booleans()),
                "keys": keys,
                # read the first key of the first namespace through a reference
                "ref": i > 0 and draw(st.booleans()),
                "ref_required": draw(st.booleans()),
            }
        )
    return {"namespaces": namespaces, "services": services}


def contract_text(p: dict[str, Any], today: dt.date) -> str:
    lines = ["version: 1", "project: verdicts", "environments:", "  dev: {}", "instances: [a, b]", "namespaces:"]
    for ns in p["namespaces"]:
        extra = ""
        if ns["deprecated"]:
            extra = f", deprecated: true, past_hold: {ns['past_hold']}"
            if ns["hold"] != "none":
                hold = today + dt.timedelta(days=-30 if ns["hold"] == "past" else 30)
                extra += f", hold_until: {hold.isoformat()}"
        lines.append(f"  {ns['name']}: {{path: /{ns['name']}{extra}}}")
    lines.append("services:")
    for svc in p["services"]:
        lines += [f"  {svc['name']}:", f"    namespace: {svc['namespace']}"]
        if svc["per_instance"]:
            lines.append("    per_instance: true")
        if svc["direct"]:
            lines += ["    access: direct-vault", "    justification: reads its keys itself (test)"]
        lines.append("    secrets:")
        for key in svc["keys"]:
            lines.append(f"      {key['name']}: {{min_length: 16, required: {str(key['required']).lower()}}}")
        # a reference must stay on the same side of per-instance (the contract refuses the mix)
        if svc["ref"] and svc["per_instance"] == p["services"][0]["per_instance"]:
            lines.append(f"      SHARED: {{ref: ns0/K0, required: {str(svc['ref_required']).lower()}}}")
    return "\n".join(lines) + "\n"


def reason_set(v: Verdict, *, blockers_only: bool = False) -> set[tuple[str, str, SlotRef, str]]:
    return {(r.code, r.var, r.slot, r.severity) for r in v.reasons if r.blocks or not blockers_only}


def put_state(ws: Any, slot: SlotRef, state: str) -> None:
    from secretwarden.ops.incidents import close_incident, open_incident
    from secretwarden.ops.rotation import rotate
    from secretwarden.ops.secrets import set_secret
    from secretwarden.stores.base import SecretValue, WriteRequest

    if state == "missing":
        return
    if state == "unverified":
        ws.secrets(slot.env).write_many([WriteRequest(slot, SecretValue(make_canary("u")))])
        return
    short = SecretValue(make_canary()[:9]) if state == "invalid" else SecretValue(make_canary("v"))
    set_secret(ws, slot, short, allow_invalid=True)
    if state in ("compromised", "rotated-open", "closed"):
        inc = open_incident(ws, slot, "property test")
        if state != "compromised":
            rotate(ws, slot, value=SecretValue(make_canary("r")), reason="property test", assume_yes=True)
            if state == "closed":
                close_incident(ws, inc.id, "root cause recorded")


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(p=projects(), data=st.data())
def test_every_gate_gives_the_same_verdict(tmp_path: Path, p: dict[str, Any], data: st.DataObject) -> None:
    from secretwarden.contract.plan import requirements
    from secretwarden.dashboard.model import build_coverage
    from secretwarden.ops.rotation import rotation_status
    from secretwarden.ops.run import prepare_run
    from secretwarden.ops.status import gap_report, service_check
    from secretwarden.ops.workspace import Workspace
    from secretwarden.runtime.settings import load_settings

    today = dt.datetime.now(dt.UTC).date()
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    contract = root / "warden.yaml"
    contract.write_text(contract_text(p, today))
    with Workspace.load(contract, command="test") as ws:
        slots = sorted({r.slot for r in requirements(ws.contract, "dev")}, key=lambda s: s.label())
        for slot in slots:
            put_state(ws, slot, data.draw(st.sampled_from(STATES), label=slot.label()))
    allow = data.draw(st.booleans(), label="allow_compromised")

    with Workspace.load(contract, command="test") as ws:
        report = gap_report(ws, ["dev"])
        by_cell = {(s.service, s.instance): s for e in report.envs for s in e.services}
        coverage = {(c.service, c.instance): c for c in build_coverage(ws, ["dev"]).cells}
        rotation = rotation_status(ws, ["dev"], include_config=True)
        assert {(r.slot) for r in rotation.rows if r.state == "compromised"} == {
            r.slot for s in by_cell.values() for r in s.judgement.reasons if r.code in ("compromised", "incident-open")
        }
        for (service, instance), status in by_cell.items():
            verdict = status.judgement
            # the dashboard: same verdict, same sentence
            cell = coverage[(service, instance)]
            assert cell.verdict == ("BLOCKED" if verdict.blocked else "PASS") and cell.detail == verdict.summary
            # check, from metadata: same reasons
            [checked] = service_check(ws, service, "dev", instance)
            assert reason_set(checked.judgement) == reason_set(verdict)
            # the value-reading gates see values, not stamps: unverified settles, blockers stay
            # with --allow-compromised, the value-reading gates are compared with check's allowed verdict
            expected = verdict if not allow else service_check(ws, service, "dev", instance, allow_compromised=True)[0].judgement
            [verified] = service_check(ws, service, "dev", instance, verify_values=True, allow_compromised=allow)
            assert reason_set(verified.judgement, blockers_only=True) == reason_set(expected, blockers_only=True)
            try:
                prepare_run(ws, service, "dev", instance, allow_compromised=allow)
                refused = None
            except PolicyError as exc:
                refused = exc.message
            assert (refused is not None) == expected.blocked, (service, instance, refused, expected.summary)
            for r in expected.blockers:
                assert refused is not None and r.line in refused
            svc = ws.contract.services[service]
            if svc.access == "direct-vault" and not allow:
                try:
                    load_settings(service, "dev", instance=instance, contract_path=contract)
                    problems: list[str] | None = None
                except SettingsInvalid as exc:
                    problems = exc.problems
                assert (problems is not None) == verdict.blocked, (service, problems, verdict.summary)
                # one problem per key (the first reason found), for every key the verdict blocks on
                assert {p.split(":", 1)[0] for p in problems or []} == {r.var for r in verdict.blockers}


def test_a_rotated_key_blocks_every_gate_until_its_incident_is_closed(tmp_path: Path) -> None:
    """The end-to-end story of issue 17, through the real CLI."""
    from tests.conftest import run_warden

    contract = tmp_path / "warden.yaml"
    contract.write_text(
        "version: 1\nproject: story\nenvironments: {dev: {}}\nnamespaces:\n  api: {path: /api}\n"
        "services:\n  api:\n    namespace: api\n    secrets:\n      TOKEN: {min_length: 16}\n"
    )

    def w(*args: str, stdin: str | None = None) -> Any:
        return run_warden("-c", str(contract), *args, input=stdin)

    assert w("set", "api/TOKEN", "--env", "dev", stdin=make_canary()).returncode == 0
    assert w("incident", "open", "api/TOKEN", "--env", "dev", "--reason", "leak").returncode == 0
    assert w("rotate", "api/TOKEN", "--env", "dev", "--stdin", "--yes", stdin=make_canary("n")).returncode == 0
    for gate in (("status",), ("check", "-s", "api", "-e", "dev"), ("run", "-s", "api", "-e", "dev", "--", "true")):
        r = w(*gate)
        assert r.returncode == 1 and "INC-0001" in r.output, gate
    r = w("check", "-s", "api", "-e", "dev", "--allow-compromised")
    assert r.returncode == 0 and "allowed by --allow-compromised" in r.output
    assert w("incident", "close", "INC-0001", "--root-cause", "pasted in chat").returncode == 0
    for gate in (("status",), ("check", "-s", "api", "-e", "dev"), ("run", "-s", "api", "-e", "dev", "--", "true")):
        assert w(*gate).returncode == 0, gate
    assert "allow-compromised" in w("audit", "log", "--command", "check", "--format", "json").stdout


def test_cli_and_dashboard_agree_on_where_a_deprecated_namespace_is_expected(tmp_path: Path) -> None:
    """Issue 17: shipping reads legacy-monolith in dev, whose own service runs only in staging/prod."""
    from secretwarden.dashboard.model import build_coverage
    from secretwarden.ops.status import gap_report
    from secretwarden.ops.workspace import Workspace
    from tests.conftest import EXAMPLE

    contract = tmp_path / "warden.yaml"
    # Every environment on the example's local store: staging/prod's OpenBao is not reachable here.
    contract.write_text(EXAMPLE.read_text().replace("store: openbao", "store: local"))
    with Workspace.load(contract) as ws:
        [dev] = gap_report(ws, ["dev"]).envs
        coverage = build_coverage(ws, ["dev", "staging", "prod"])
    assert "legacy-monolith" in dev.namespaces_expected and dev.readers["legacy-monolith"] == ["shipping"]
    [row] = [r for r in coverage.rows if r.service == "legacy-monolith"]
    assert row.cells[0] is None and row.notes == ["namespace read here by shipping", None, None]
    [legacy] = coverage.deprecated
    assert legacy.expected_in == ["dev", "staging", "prod"]
    assert legacy.readers == ["legacy-monolith", "shipping"]
    # past its hold date: the legacy service's own required read blocks (staging, prod);
    # shipping's optional read in dev only warns
    assert legacy.past_hold and legacy.blocks
    [shipping] = [s for s in dev.services if s.service == "shipping"]
    assert [(r.code, r.severity) for r in shipping.judgement.reasons if r.var == "LEGACY_LABEL_PRINTER_TOKEN"] == [
        ("past-hold", "warn")
    ]
