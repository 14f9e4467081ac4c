"""The three reports give the same answer after the speed work (issue 23) as before it.

A generated project covers every state a report distinguishes (missing, invalid,
unverified, compromised, rotated with an open incident, closed, deprecated
namespaces within and past their hold, optional keys, references, per-instance
services, two stores, orphans, values shared now and in history). Its reports,
taken with a fixed clock, are compared with golden files written by the code
before the speed work (`tests/ops/data/reports_golden/`). Values are made at
test time and fingerprints never appear in a report, so the files hold names,
states and times only.

`WARDEN_REGOLD=1` rewrites the golden files (only when a change of output is meant).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from tests.conftest import make_canary, run_warden
from tests.ops.conftest import Clock

GOLDEN = Path(__file__).parent / "data" / "reports_golden"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

CONTRACT = """\
version: 1
project: golden
rotate_every: 180d
environments:
  dev: {store: local}
  staging: {store: local, rotate_every: 90d}
  prod: {store: second, production: true, rotate_every: 30d}
instances: [tenant-a, tenant-b]
stores:
  local: {backend: embedded, options: {path: .warden/local.db}}
  second: {backend: embedded, options: {path: .warden/second.db}}
namespaces:
  api: {path: /services/api, owner: team-api}
  pay: {path: /services/pay, owner: team-pay, rotate_every: 60d}
  shop: {path: /services/shop, owner: team-shop}
  old: {path: /services/old, deprecated: true, hold_until: 2026-02-01}
  soon: {path: /services/soon, deprecated: true, hold_until: 2026-06-01}
  warned: {path: /services/warned, deprecated: true, past_hold: warn}
services:
  api:
    namespace: api
    owner: api-owner
    secrets:
      API_TOKEN: {min_length: 24, rotate_every: 20d, owner: token-owner}
      SHORT_PIN: {min_length: 4}
      TTL: {sensitive: false, format: duration}
      OPTIONAL_KEY: {required: false, min_length: 16}
      OPTIONAL_BAD: {required: false, min_length: 40}
      UNSTAMPED: {min_length: 16}
      PAY_REF: {ref: pay/PAY_KEY}
      LEGACY: {ref: old/OLD_KEY}
      SOON: {ref: soon/SOON_KEY, required: false}
      WARNED: {ref: warned/WARNED_KEY}
  pay:
    namespace: pay
    secrets:
      PAY_KEY: {min_length: 32}
      PAY_WEBHOOK: {min_length: 16, environments: [staging, prod]}
  shop:
    namespace: shop
    per_instance: true
    secrets:
      SHOP_KEY: {min_length: 16}
      SHOP_OPTIONAL: {min_length: 16, required: false}
  old:
    namespace: old
    environments: [dev, prod]
    secrets:
      OLD_KEY: {min_length: 16}
  soon:
    namespace: soon
    secrets:
      SOON_KEY: {min_length: 16}
  warned:
    namespace: warned
    secrets:
      WARNED_KEY: {min_length: 16}
"""


def _value(label: str) -> Any:
    from secretwarden.stores.base import SecretValue

    return SecretValue(make_canary(label) + "x" * 40)


def populate(root: Path) -> Path:
    """Write the project and its store states; returns the contract path."""
    from secretwarden.ops.incidents import close_incident, open_incident
    from secretwarden.ops.rotation import rotate
    from secretwarden.ops.secrets import set_secret
    from secretwarden.stores.base import SecretValue, WriteRequest

    contract = root / "warden.yaml"
    contract.write_text(CONTRACT)
    clock = Clock(T0 - dt.timedelta(days=300))
    with Workspace.load(contract, command="test", clock=clock) as ws:

        def put(env: str, ns: str, key: str, inst: str | None = None, *, value: Any = None, invalid: bool = False) -> SlotRef:
            slot = SlotRef(env, ns, key, inst)
            set_secret(ws, slot, value or (SecretValue("abc") if invalid else _value(key)), allow_invalid=invalid)
            return slot

        # an old generation of most keys, 300 days ago
        for env in ("dev", "staging", "prod"):
            for ns, key in (("api", "API_TOKEN"), ("api", "SHORT_PIN"), ("pay", "PAY_KEY"), ("soon", "SOON_KEY")):
                put(env, ns, key)
        shared_old = _value("shared")
        put("prod", "api", "TTL", value=SecretValue("10m"))
        put("staging", "pay", "PAY_WEBHOOK", value=shared_old)  # later overwritten: history sharing
        clock.advance(days=200)
        for env in ("dev", "staging", "prod"):
            put(env, "api", "API_TOKEN")
            put(env, "api", "SHORT_PIN", invalid=env == "staging")
            put(env, "api", "TTL", value=SecretValue("15m"))  # config: equal everywhere, ignored
            put(env, "api", "OPTIONAL_BAD", invalid=True)
            put(env, "warned", "WARNED_KEY")
            for inst in ("tenant-a", "tenant-b"):
                if not (env == "prod" and inst == "tenant-b"):
                    put(env, "shop", "SHOP_KEY", inst)
        put("prod", "pay", "PAY_WEBHOOK", value=shared_old)  # staging's earlier value, now in prod
        put("staging", "pay", "PAY_WEBHOOK")
        same = _value("same")
        put("dev", "pay", "PAY_KEY", value=same)
        put("staging", "pay", "PAY_KEY", value=same)  # the same value now in two environments
        put("prod", "old", "OLD_KEY")
        # written outside the checks: no stamp
        ws.secrets("dev").write_many([WriteRequest(SlotRef("dev", "api", "UNSTAMPED"), _value("u"))])
        # orphans: in the store, not in the contract
        ws.secrets("dev").write_many([WriteRequest(SlotRef("dev", "api", "GONE"), _value("g"))])
        ws.secrets("prod").write_many([WriteRequest(SlotRef("prod", "zzz", "STRAY", "tenant-a"), _value("s"))])
        clock.advance(days=80)
        # incidents: one open and not rotated, one rotated but open, one closed
        open_incident(ws, SlotRef("prod", "api", "API_TOKEN"), "leaked in a log")
        inc = open_incident(ws, SlotRef("dev", "api", "SHORT_PIN"), "pasted in chat")
        rotate(ws, SlotRef("dev", "api", "SHORT_PIN"), value=_value("r"), reason="incident", assume_yes=True)
        done = open_incident(ws, SlotRef("staging", "api", "API_TOKEN"), "shown on screen")
        rotate(ws, SlotRef("staging", "api", "API_TOKEN"), value=_value("r2"), reason="incident", assume_yes=True)
        close_incident(ws, done.id, "screen sharing policy fixed")
        assert inc.id
    return contract


def reports(contract: Path) -> dict[str, Any]:
    """Every report of the project as its renderers write it, with the clock at T0."""
    from secretwarden.cli.render_isolation import isolation_lines, isolation_markdown
    from secretwarden.cli.render_rotation import row_json as _row_json
    from secretwarden.cli.render_status import status_json, status_markdown, status_table
    from secretwarden.cli.rotation_cmds import _markdown, _table
    from secretwarden.ops.isolation import isolation_report
    from secretwarden.ops.rotation import rotation_status
    from secretwarden.ops.status import gap_report

    out: dict[str, Any] = {}
    with Workspace.load(contract, command="test", clock=lambda: T0) as ws:
        gap = gap_report(ws)
        out["status.json"] = status_json(gap)
        out["status.table"] = status_table(gap, verbose=True)
        out["status.md"] = status_markdown(gap)
        one = gap_report(ws, ["staging"], service="shop")
        out["status-shop-staging.json"] = status_json(one)
        rot = rotation_status(ws, include_config=True)
        out["rotation.json"] = [_row_json(r, rot.generated_at) for r in rot.rows]
        out["rotation.table"] = _table(rot, True)
        out["rotation.md"] = _markdown(rot)
        rot_prod = rotation_status(ws, ["prod", "dev"], due_within=dt.timedelta(days=5))
        out["rotation-prod-dev.json"] = [_row_json(r, rot_prod.generated_at) for r in rot_prod.rows]
        iso = isolation_report(ws)
        out["isolation.json"] = iso.to_json()
        out["isolation.table"] = "\n".join(isolation_lines(iso, verbose=True))
        out["isolation.md"] = isolation_markdown(iso)
    return out


@pytest.fixture(scope="module")
def golden_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("golden-home")
    mp.setenv("WARDEN_CONFIG_DIR", str(home / "config"))
    mp.setenv("WARDEN_CACHE_DIR", str(home / "cache"))
    mp.setenv("WARDEN_NO_KEYRING", "1")
    try:
        root = tmp_path_factory.mktemp("golden-project")
        contract = populate(root)
        yield_env = {k: os.environ[k] for k in ("WARDEN_CONFIG_DIR", "WARDEN_CACHE_DIR")}
        (root / ".env-for-test.json").write_text(json.dumps(yield_env))
        return contract
    finally:
        mp.undo()


def _use_home(contract: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in json.loads((contract.parent / ".env-for-test.json").read_text()).items():
        monkeypatch.setenv(k, v)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, sort_keys=True) + "\n"


def test_reports_match_the_output_before_the_speed_work(golden_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_home(golden_project, monkeypatch)
    got = reports(golden_project)
    if os.environ.get("WARDEN_REGOLD"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, value in got.items():
            (GOLDEN / name).write_text(_text(value))
    for name, value in got.items():
        assert _text(value) == (GOLDEN / name).read_text(), name


def test_the_reports_are_the_same_from_a_cold_and_a_warm_cache(golden_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    _use_home(golden_project, monkeypatch)
    cache = Path(os.environ["WARDEN_CACHE_DIR"])
    shutil.rmtree(cache, ignore_errors=True)
    cold = reports(golden_project)
    warm = reports(golden_project)
    assert cold == warm


def test_the_cli_reports_equal_the_library_reports(golden_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI (real clock) against the library with the real clock: same JSON but for the time stamp."""
    from secretwarden.cli.render_status import status_json
    from secretwarden.ops.isolation import isolation_report
    from secretwarden.ops.status import gap_report

    _use_home(golden_project, monkeypatch)
    for attempt in ("cold", "warm"):
        if attempt == "cold":
            import shutil

            shutil.rmtree(Path(os.environ["WARDEN_CACHE_DIR"]), ignore_errors=True)
        res = run_warden("-c", golden_project, "status", "--format", "json")
        assert res.returncode == 1, res.stderr
        cli = json.loads(res.stdout)
        iso = run_warden("-c", golden_project, "isolation", "--format", "json")
        assert iso.returncode == 1, iso.stderr
        with Workspace.load(golden_project, command="test") as ws:
            lib = status_json(gap_report(ws))
            lib_iso = isolation_report(ws).to_json()
        for doc in (cli, lib, cli["isolation"], lib["isolation"]):
            doc.pop("generated_at")
        assert cli == lib, attempt
        cli_iso = json.loads(iso.stdout)
        cli_iso.pop("generated_at")
        lib_iso.pop("generated_at")
        assert cli_iso == lib_iso


def test_keys_with_nothing_to_say_get_what_the_judge_would_give(golden_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """env_status skips the judge for present keys when no incident is open: the result must not differ."""
    from secretwarden.contract.plan import requirements
    from secretwarden.ops.status import KeyJudge, env_status
    from secretwarden.stores.summary import key_summaries

    _use_home(golden_project, monkeypatch)
    with Workspace.load(golden_project, command="test", clock=lambda: T0) as ws:
        checked = 0
        for env in ("dev", "staging", "prod"):
            report = env_status(ws, env, register={})  # as if no incident were open
            judge = KeyJudge(ws, env, register={})
            metas = {m.slot: m for m in key_summaries(ws.metadata(env), env)}
            reqs = {(r.service, r.slot.instance, r.var): r for r in requirements(ws.contract, env)}
            for s in report.services:
                for k in s.keys:
                    req = reqs[(s.service, s.instance, k.var)]
                    assert k == judge.key(req, metas.get(k.slot)), k
                    checked += k.state == "present" and not k.reasons
        assert checked >= 20
