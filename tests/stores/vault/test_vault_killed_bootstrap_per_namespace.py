"""Where a namespace's keys are fields of one KV secret (`per-namespace`), a bootstrap killed half
way leaves no key "written outside warden" either.

Warden's record of such a path lives in the path's own custom_metadata. A write creating the
path saves that record (with the version the check-and-set write will make) before the value:
a process killed between the two leaves every value that landed recorded, and readers drop
rows of a version the path does not have, so keys whose value never landed are missing.
Against the real OpenBao test server: the bootstrap is a real `warden` process, frozen at a KV
data write by pausing the server, then SIGKILLed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from secretwarden.errors import StoreError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.conftest import make_canary, run_warden
from tests.stores.vault.test_vault_key_groups import opened
from tests.stores.vault.test_vault_killed_bootstrap import (
    assert_ours_follows_theirs,
    bootstrap_killed_at_value,
    contract,
    settled,
    status,
    write_while_another_writer_dies,
)
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault

NAMESPACES = 40  # one KV path each
KEYS = 5  # fields of that path
FREEZE_AT = 15  # frozen at the 15th path's value: with 2 workers, at least 13 have landed


def kv_versions(server: VaultServer, prefix: str) -> dict[str, int]:
    """Each namespace path's current KV version (0: metadata only, no value)."""
    client = server.client()
    out = {}
    for n in range(NAMESPACES):
        try:
            meta = client.secrets.kv.v2.read_secret_metadata(path=f"{prefix}/dev/ns{n}", mount_point="secret")
        except Exception:  # never written (404)
            continue
        out[f"ns{n}"] = int(meta["data"]["current_version"])
    return out


def test_killed_per_namespace_bootstrap_leaves_every_landed_value_recorded(
    tmp_path: Path, vault_server: VaultServer
) -> None:
    prefix = "killns" + secrets.token_hex(4)
    (tmp_path / "warden.yaml").write_text(contract(prefix, layout="per-namespace", namespaces=NAMESPACES, keys=KEYS))
    cmd, env = bootstrap_killed_at_value(tmp_path / "warden.yaml", vault_server, prefix, at=FREEZE_AT)

    landed = {ns for ns, kv in settled(lambda: kv_versions(vault_server, prefix)).items() if kv > 0}
    assert FREEZE_AT - 2 <= len(landed) < NAMESPACES, "the kill should land part way through the paths"

    # Every value that landed is warden's (recorded, with a fingerprint); the rest are missing.
    report = status(tmp_path, env)
    assert str(report)
    res = run_warden("--contract", tmp_path / "warden.yaml", "isolation", "--env", "dev", "--format", "json", env=env)
    assert "outside warden" not in res.output, res.output[-2000:]

    # A re-run generates exactly the keys that did not land and leaves the landed ones alone.
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "outside warden" not in done.stderr, done.stderr[-2000:]
    plan = json.loads(done.stdout)
    assert plan["already_present"] == len(landed) * KEYS
    assert len(plan["keys_generated"]) == (NAMESPACES - len(landed)) * KEYS
    assert kv_versions(vault_server, prefix) == {f"ns{n}": 1 for n in range(NAMESPACES)}
    final = status(tmp_path, env)
    assert final.get("ok") is True, str(final)[:2000]


def slots(n: int) -> list[SlotRef]:
    return [SlotRef("dev", "ns0", f"KEY_{k}") for k in range(n)]


def test_a_record_whose_value_never_landed_is_ignored_and_the_next_write_creates_it(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact state a kill between the two requests leaves: the path's record, no value."""
    from secretwarden.stores.vault.bulk_write import BulkWriter

    prefix = "lost" + secrets.token_hex(4)

    def gone(self: Any, st: Any, fields: Any) -> int:
        raise StoreError("the server went away")  # after the record was saved, before the value

    with opened(vault_server, prefix, layout="per-namespace") as store, monkeypatch.context() as mp:
        mp.setattr(BulkWriter, "_write_data", gone)
        with pytest.raises(StoreError):
            store.write_many([WriteRequest(s, SecretValue(make_canary(s.key)), source="generate") for s in slots(3)])
    meta = vault_server.client().secrets.kv.v2.read_secret_metadata(path=f"{prefix}/dev/ns0", mount_point="secret")
    assert meta["data"]["current_version"] == 0 and meta["data"]["custom_metadata"]  # record, no value

    with opened(vault_server, prefix, layout="per-namespace") as store:
        assert list(store.list_meta("dev")) == []
        assert store.key_meta(slots(1)[0]) is None
        assert store.notices() == []
        values = [make_canary(s.key) for s in slots(3)]
        results = store.write_many(
            [WriteRequest(s, SecretValue(v), source="generate", cas=0) for s, v in zip(slots(3), values, strict=True)]
        )
        assert [(r.version, r.created) for r in results] == [(1, True)] * 3
        metas = list(store.list_meta("dev"))
        assert [[v.version for v in m.versions] for m in metas] == [[1]] * 3
        assert [m.versions[0].fingerprint for m in metas] == [store.fingerprint(SecretValue(v)) for v in values]
        assert store.notices() == []


def test_a_per_namespace_creation_that_loses_the_race_removes_the_record_it_saved_first(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer creates the path between our record and our value: the check-and-set fails,
    our record goes, and their value is adopted as an outside version under ours."""
    from secretwarden.stores.vault.bulk_write import BulkWriter

    prefix = "race" + secrets.token_hex(4)
    slot = slots(1)[0]
    theirs, ours = make_canary("theirs"), make_canary("ours")
    real = BulkWriter._write_data
    raced: list[bool] = []

    def racing(self: Any, st: Any, fields: Any) -> int:
        if not raced:
            raced.append(True)
            assert st.kv == 0
            vault_server.client().secrets.kv.v2.create_or_update_secret(
                path=f"{prefix}/dev/ns0", secret={slot.key: theirs}, mount_point="secret"
            )
        return real(self, st, fields)

    with opened(vault_server, prefix, layout="per-namespace") as store, monkeypatch.context() as mp:
        mp.setattr(BulkWriter, "_write_data", racing)
        [result] = store.write_many([WriteRequest(slot, SecretValue(ours), source="set")])
        assert raced
        assert_ours_follows_theirs(store, slot, result, theirs, ours)


def test_a_record_ahead_of_its_value_is_not_replaced_by_another_writers_record(
    vault_server: VaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A saved its record first and its value is on the way; writer B, creating the same
    path then, must not put its own record in A's place (B writes its value first instead): B
    dying at that moment must not leave A's value described by B's fingerprints."""
    prefix = "ahead" + secrets.token_hex(4)
    slot = slots(1)[0]
    a_value, b_value = make_canary("writer-a"), make_canary("writer-b")
    with opened(vault_server, prefix, layout="per-namespace") as a, opened(
        vault_server, prefix, layout="per-namespace"
    ) as b, monkeypatch.context() as mp:
        result = write_while_another_writer_dies(a, b, slot, a_value, b_value, mp)
    assert result.version == 1
    with opened(vault_server, prefix, layout="per-namespace") as reader:
        meta = reader.key_meta(slot)
        assert meta is not None
        assert [(v.version, v.source, v.fingerprint) for v in meta.versions] == [
            (1, "generate", reader.fingerprint(SecretValue(a_value)))
        ]
        assert reader.read(slot).reveal() == a_value
