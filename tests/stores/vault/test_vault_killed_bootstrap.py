"""A bootstrap killed half way through its values leaves no key "written outside warden".

Where each key has its own KV path, warden's records of a namespace's keys live in one
group document (stores/vault/groups.py). A bootstrap creating keys saves that document
before it writes their values, so a process killed between the two leaves values that
are all recorded, and records of values that never landed are ignored (their paths do
not exist). Against the real OpenBao test server: the bootstrap is a real `warden`
process, frozen at its 20th KV data write by pausing the server, then SIGKILLed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretStore, SecretValue, WriteRequest, WriteResult
from tests.conftest import run_warden
from tests.stores.vault.vault_contract_support import generated_contract
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault
T = TypeVar("T")

NAMESPACES = 3
KEYS = 60  # per namespace
FREEZE_AT = 20  # the bootstrap is frozen at its 20th value: with 2 workers, at least 18 have landed


def contract(prefix: str, *, layout: str = "per-key", namespaces: int = NAMESPACES, keys: int = KEYS) -> str:
    """`namespaces` services of `keys` generated keys each, on one OpenBao store in `layout`."""
    # Two workers: writes go two at a time, so the freeze lands part way through them.
    return generated_contract("killdemo", f"path_prefix: {prefix}, layout: {layout}, workers: 2", namespaces, keys)


def freeze_at_value(
    server: VaultServer, offset: int, prefix: str, proc: subprocess.Popen[str], at: int = FREEZE_AT
) -> None:
    """Pause the server once its audit log (read on from byte `offset`) shows the `at`-th KV
    data write under `prefix` (a request is logged before it is handled): the bootstrap cannot go on."""
    seen = 0
    with server.audit_log.open("rb") as log:
        log.seek(offset)
        for _ in range(20_000):  # bounded by count; each idle turn sleeps 5 ms
            line = log.readline()
            if not line.endswith(b"\n"):
                log.seek(-len(line), 1)  # a line still being written: read it whole next turn
                assert proc.poll() is None, "the bootstrap ended before the freeze"
                time.sleep(0.005)
                continue
            entry = json.loads(line)
            path = entry.get("request", {}).get("path", "")
            if entry.get("type") == "request" and path.startswith(f"secret/data/{prefix}/"):
                seen += 1
                if seen == at:
                    server.pause()
                    return
    pytest.fail("the bootstrap never reached the freeze")


def kv_paths(server: VaultServer, prefix: str) -> set[str]:
    client = server.client()
    found = set()
    for n in range(NAMESPACES):
        try:
            keys = client.secrets.kv.v2.list_secrets(path=f"{prefix}/dev/ns{n}", mount_point="secret")["data"]["keys"]
        except Exception:  # nothing written in this namespace (404)
            continue
        found |= {f"ns{n}/{k}" for k in keys}
    return found


def settled(read: Callable[[], T]) -> T:
    """What `read` finds once it stops changing: a write the killed process had sent before the
    freeze is still handled by the server after it resumes (two listings 0.2 s apart agree)."""
    last = read()
    for _ in range(50):
        time.sleep(0.2)
        now = read()
        if now == last:
            return now
        last = now
    pytest.fail("the store kept changing after the kill")


def status(folder: Path, env: dict[str, str]) -> dict[str, object]:
    res = run_warden("--contract", folder / "warden.yaml", "status", "--env", "dev", "--format", "json", env=env)
    assert res.returncode in (0, 1), res.stderr
    assert "outside warden" not in res.output, res.output[-2000:]
    data: dict[str, object] = json.loads(res.stdout)
    return data


def write_while_another_writer_dies(
    a: SecretStore, b: SecretStore, slot: SlotRef, a_value: str, b_value: str, mp: pytest.MonkeyPatch
) -> WriteResult:
    """Writer A writes `slot`; between A's record and A's value, writer B writes the same slot and
    is killed at its value (both layouts: what B must not do is put its record in A's place)."""
    from secretwarden.errors import StoreError
    from secretwarden.stores.vault.bulk_write import BulkWriter

    real = BulkWriter._write_data

    def interleaved(self: object, st: object, fields: object) -> int:
        if self is b:
            raise StoreError("writer B is killed at its value")
        with pytest.raises(StoreError):  # between A's record and A's value
            b.write_many([WriteRequest(slot, SecretValue(b_value), source="set")])
        return real(self, st, fields)  # type: ignore[arg-type]

    mp.setattr(BulkWriter, "_write_data", interleaved)
    [result] = a.write_many([WriteRequest(slot, SecretValue(a_value), source="generate")])
    return result


def assert_ours_follows_theirs(store: SecretStore, slot: SlotRef, result: WriteResult, theirs: str, ours: str) -> None:
    """After a lost create race: their value is version 1 (written outside warden), ours version 2,
    each recorded with its own fingerprint, and ours is what is read."""
    meta = store.key_meta(slot)
    assert meta is not None
    assert result.version == 2
    assert [(v.version, v.source) for v in meta.versions] == [(1, "external"), (2, "set")]
    assert [v.fingerprint for v in meta.versions] == [
        store.fingerprint(SecretValue(theirs)),
        store.fingerprint(SecretValue(ours)),
    ]
    assert store.read(slot).reveal() == ours


def bootstrap_killed_at_value(
    contract_path: Path, server: VaultServer, prefix: str, at: int = FREEZE_AT
) -> tuple[list[str], dict[str, str]]:
    """Start `warden bootstrap` (JSON plan, no policies) on `contract_path`, freeze the server at
    its `at`-th value write, SIGKILL the command and resume the server. Returns the command and
    its environment, for the re-run."""
    env = {**os.environ, **server.env()}
    cmd = [sys.executable, "-m", "secretwarden", "--contract", str(contract_path),
           "bootstrap", "--env", "dev", "--no-access", "--format", "json"]
    offset = server.audit_log.stat().st_size
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        freeze_at_value(server, offset, prefix, proc, at)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        server.resume()
    return cmd, env


def test_killed_bootstrap_leaves_every_landed_value_recorded(tmp_path: Path, vault_server: VaultServer) -> None:
    prefix = "kill" + secrets.token_hex(4)
    (tmp_path / "warden.yaml").write_text(contract(prefix))
    cmd, env = bootstrap_killed_at_value(tmp_path / "warden.yaml", vault_server, prefix)

    landed = settled(lambda: kv_paths(vault_server, prefix))
    assert FREEZE_AT - 2 <= len(landed) < NAMESPACES * KEYS, "the kill should land part way through the values"

    # Every value that landed is warden's (recorded, with a fingerprint); the rest are missing.
    report = status(tmp_path, env)
    res = run_warden("--contract", tmp_path / "warden.yaml", "isolation", "--env", "dev", "--format", "json", env=env)
    assert "written outside warden" not in res.output, res.output[-2000:]
    assert str(report)  # the report parsed

    # A re-run generates exactly the keys that did not land and leaves the landed ones alone.
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    plan = json.loads(done.stdout)
    assert plan["already_present"] == len(landed)
    assert len(plan["keys_generated"]) == NAMESPACES * KEYS - len(landed)
    assert kv_paths(vault_server, prefix) == {f"ns{n}/KEY_{k:03d}" for n in range(NAMESPACES) for k in range(KEYS)}
    final = status(tmp_path, env)
    assert final.get("ok") is True, str(final)[:2000]


def test_a_creation_that_loses_the_race_drops_the_record_it_saved_first(vault_server: VaultServer) -> None:
    """The record of a new key is saved before its value; when another writer creates the path
    in between, the check-and-set fails, that record goes, and the other writer's value is
    adopted as an outside version under ours (never attributed to warden's write)."""
    from tests.conftest import make_canary
    from tests.stores.vault.test_vault_key_groups import opened

    prefix = "race" + secrets.token_hex(4)
    slot = SlotRef("dev", "ns0", "API_KEY")
    theirs, ours = make_canary("theirs"), make_canary("ours")
    with opened(vault_server, prefix) as store:
        assert list(store.list_meta("dev")) == []  # the store now knows the path is absent
        vault_server.client().secrets.kv.v2.create_or_update_secret(
            path=f"{prefix}/dev/ns0/API_KEY", secret={"API_KEY": theirs}, mount_point="secret"
        )
        [result] = store.write_many([WriteRequest(slot, SecretValue(ours), source="set")])
        assert_ours_follows_theirs(store, slot, result, theirs, ours)
