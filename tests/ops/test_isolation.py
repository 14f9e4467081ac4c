"""Isolation: the same value in two slots is found across stores, from fingerprints only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from secretwarden.ops.bootstrap import bootstrap
from secretwarden.ops.isolation import isolation_report
from secretwarden.ops.rotation import rotate
from secretwarden.ops.secrets import set_secret
from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue
from tests.conftest import make_canary
from tests.ops.conftest import values_read


def value() -> SecretValue:
    return SecretValue(make_canary() + "-long-enough")


def pairs(ws: Workspace) -> set[tuple[str, str, str]]:
    ws.close()
    report = isolation_report(ws)
    return {(p.a.label(), p.b.label(), p.kind) for p in report.shared}


def test_fresh_environments_are_isolated(ws: Workspace) -> None:
    bootstrap(ws, "dev")
    bootstrap(ws, "staging")
    bootstrap(ws, "prod", allow_production=True)
    ws.close()
    report = isolation_report(ws)
    assert report.ok and report.shared == []
    assert report.stores == ["local", "second"]
    assert report.config_ignored == 3  # TTL is the same literal everywhere, and that is fine
    assert values_read(ws) == 0 and not ws._secrets


def test_shared_across_stores_and_environments(ws: Workspace) -> None:
    same = value()
    set_secret(ws, SlotRef("dev", "api", "API_TOKEN"), same)
    set_secret(ws, SlotRef("prod", "api", "API_TOKEN"), same)  # prod lives in store `second`
    ws.close()
    report = isolation_report(ws)
    [p] = report.shared
    assert {p.a.store, p.b.store} == {"local", "second"}
    assert p.kind == "current" and p.crosses == ["store", "environment"]
    assert not report.ok and "1 pair" in report.verdict
    assert values_read(ws) == 0


def test_shared_between_instances_and_keys(ws: Workspace) -> None:
    same, other = value(), value()
    set_secret(ws, SlotRef("dev", "shop", "SHOP_KEY", "tenant-a"), same)
    set_secret(ws, SlotRef("dev", "shop", "SHOP_KEY", "tenant-b"), same)
    set_secret(ws, SlotRef("staging", "api", "MANUAL"), other)
    set_secret(ws, SlotRef("staging", "api", "API_TOKEN"), other)
    ws.close()
    crossings = sorted(tuple(p.crosses) for p in isolation_report(ws).shared)
    assert crossings == [("instance",), ("key",)]


def test_copy_of_an_earlier_version_is_found(ws: Workspace) -> None:
    old = value()
    prod = SlotRef("prod", "api", "API_TOKEN")
    set_secret(ws, prod, old)
    rotate(ws, prod, generate=True)
    set_secret(ws, SlotRef("staging", "api", "API_TOKEN"), old)  # someone copied prod's old key
    [(a, b, kind)] = pairs(ws)
    assert kind == "history"
    assert "second:prod:api/API_TOKEN (v1" in a + b


def test_weak_and_unfingerprinted_are_flagged_separately(ws: Workspace, contract_path: Path) -> None:
    bootstrap(ws, "dev")
    ws.close()
    report = isolation_report(ws)
    weak = {w.slot.key for w in report.weak}
    assert "SHORT_PIN" in weak and "API_TOKEN" not in weak and "PAY_KEY" not in weak
    assert report.ok  # weakness is not sharing
    db = contract_path.parent / ".warden" / "local.db"
    with sqlite3.connect(db) as conn:  # as if another tool wrote the value
        conn.execute("UPDATE versions SET fingerprint = NULL WHERE key = 'PAY_KEY'")
    ws.close()
    assert [u.slot.key for u in isolation_report(ws).unfingerprinted] == ["PAY_KEY"]


def test_status_carries_an_isolation_section(ws: Workspace) -> None:
    from secretwarden.ops.status import gap_report

    same = value()
    set_secret(ws, SlotRef("dev", "api", "MANUAL"), same)
    set_secret(ws, SlotRef("staging", "api", "MANUAL"), same)
    ws.close()
    report = gap_report(ws, ["dev"])
    assert report.isolation is not None and len(report.isolation.shared) == 1
    assert gap_report(ws, ["dev"], service="api").isolation is None


def test_one_store_groups_only_its_repeated_fingerprints(project: Path) -> None:
    """With a single store a value can only be shared inside it: the store answers with the rows of
    the fingerprints it holds twice or more (an index walk on embedded), and the pairs are those
    the full fingerprint listing gives."""
    from secretwarden.stores.summary import fingerprint_rows, repeated_fingerprint_rows

    with Workspace.load(project, command="test") as ws:
        copied, old = value(), value()
        set_secret(ws, SlotRef("dev", "api", "API_TOKEN"), copied)
        set_secret(ws, SlotRef("prod", "api", "API_TOKEN"), copied)  # a current value in two environments
        set_secret(ws, SlotRef("prod", "shop", "SHOP_KEY", "tenant-a"), old)
        rotate(ws, SlotRef("prod", "shop", "SHOP_KEY", "tenant-a"), generate=True)
        set_secret(ws, SlotRef("dev", "shop", "SHOP_KEY", "tenant-b"), old)  # an earlier version copied
        for env in ("dev", "prod"):
            set_secret(ws, SlotRef(env, "api", "SIGNING_KEY"), SecretValue(make_canary().encode().hex() * 2))
        ws.close()
        (store,) = ws.metadata_by_store().values()
        rows = fingerprint_rows(store)
        repeated = repeated_fingerprint_rows(store)
        assert len(repeated) == 4 and set(repeated) < set(rows)
        report = isolation_report(ws)
    found = {(p.a.label(), p.b.label(), p.kind) for p in report.shared}
    assert found == {
        ("local:dev:api/API_TOKEN", "local:prod:api/API_TOKEN", "current"),
        ("local:dev@tenant-b:shop/SHOP_KEY", "local:prod@tenant-a:shop/SHOP_KEY (v1, an earlier version)", "history"),
    }
    assert values_read(ws) == 0
