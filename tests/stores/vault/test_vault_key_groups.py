"""One-key-per-path layouts keep their records in one group document per namespace (meta.py):
a bulk write costs one metadata write per namespace, readers answer from metadata alone, paths
with a record of their own (older stores, a full group) keep it, and concurrent writers of one
namespace keep each other's records. Against the real OpenBao test server."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from secretwarden.errors import IntegrityError, ReuseRefused
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from secretwarden.stores.vault.access import policy_name
from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.stores.conftest import FP, Clock
from tests.vault_server import VaultServer

pytestmark = pytest.mark.vault


@contextmanager
def opened(
    server: VaultServer,
    prefix: str,
    *,
    access: str = "secrets",
    max_versions: int | None = None,
    token: str | None = None,
    layout: str = "per-key",
) -> Iterator[Any]:
    from secretwarden.stores.vault.auth import Connection
    from secretwarden.stores.vault.layout import VaultLayout
    from secretwarden.stores.vault.store import VaultStore

    conn = Connection(server.address, auth={"method": "token", "token_env": "WARDEN_TEST_VAULT_TOKEN"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WARDEN_TEST_VAULT_TOKEN", token or server.root_token)
        store = VaultStore(
            "vault", VaultLayout(prefix=prefix, layout=layout), conn,
            access=access, fingerprinter=FP, clock=Clock(), max_versions=max_versions,  # type: ignore[arg-type]
        )
        try:
            yield store
        finally:
            store.close()


def requests(slots: list[SlotRef], cas: int | None = 0) -> list[WriteRequest]:
    return [WriteRequest(s, SecretValue(make_canary(s.key)), source="generate", cas=cas) for s in slots]


def settled(server: VaultServer, mark: int, prefix: str) -> list[tuple[str, str]]:
    """Requests on the store's paths since `mark`, once the (asynchronous) audit log caught up."""
    seen: list[tuple[str, str]] = []
    for _ in range(50):
        time.sleep(0.1)
        now = [(op, p) for op, p in server.requests_since(mark) if p.startswith(("secret/data/" + prefix, "secret/metadata/" + prefix))]
        if now and now == seen:
            break
        seen = now
    return seen


def custom_of(server: VaultServer, path: str) -> dict[str, str]:
    meta = server.client().secrets.kv.v2.read_secret_metadata(path=path, mount_point="secret")
    return dict(meta["data"].get("custom_metadata") or {})


def test_bulk_write_saves_one_record_per_namespace(vault_server: VaultServer) -> None:
    prefix = "kg" + secrets.token_hex(5)
    slots = [SlotRef("dev", f"ns{n}", f"KEY_{k}") for n in range(3) for k in range(6)]
    with opened(vault_server, prefix) as store:
        assert list(store.list_meta("dev")) == []  # what bootstrap does first
        time.sleep(0.2)
        mark = vault_server.audit_mark()
        results = store.write_many(requests(slots))
        assert len(results) == len(slots)
    ops = settled(vault_server, mark, prefix)
    data_writes = [p for op, p in ops if p.startswith("secret/data/") and op in ("create", "update")]
    meta_writes = [p for op, p in ops if p.startswith("secret/metadata/") and op in ("create", "update")]
    assert len(data_writes) == len(slots)
    # One per namespace, plus the fingerprint key's id recorded by the store's first write.
    assert sorted(meta_writes) == sorted(
        [f"secret/metadata/{prefix}/_warden/fingerprint-key"]
        + [f"secret/metadata/{prefix}/_warden/keys/{prefix}/dev/ns{n}" for n in range(3)]
    ), ops
    assert not [p for op, p in ops if op == "read" and p.startswith(f"secret/metadata/{prefix}/dev/")]  # nothing re-read

    with opened(vault_server, prefix, access="metadata") as reader:
        metas = {m.slot: m for m in reader.list_meta("dev")}
        assert set(metas) == set(slots)
        assert all(len(m.versions) == 1 and m.versions[0].fingerprint and m.versions[0].source == "generate" for m in metas.values())
        assert reader.notices() == []  # the records account for every path: nothing "written outside warden"
        one = reader.key_meta(slots[0])
        assert one is not None and one.versions[0].fingerprint == metas[slots[0]].versions[0].fingerprint
    with opened(vault_server, prefix) as store:
        assert store.read(slots[4]).reveal()  # values stay in the paths' data
        # a new version of one key: reuse is checked against the group's record
        old = store.read(slots[1])
        with pytest.raises(ReuseRefused):
            store.write_many([WriteRequest(slots[1], old, source="set", cas=1)])
        store.write_many(requests([slots[1]], cas=1))
        meta = store.key_meta(slots[1])
        assert meta is not None and [v.version for v in meta.versions] == [1, 2]


def test_paths_with_a_record_of_their_own_keep_it(vault_server: VaultServer) -> None:
    """A store written before group documents (each path's own custom_metadata) keeps working."""
    prefix = "kg" + secrets.token_hex(5)
    old = [SlotRef("dev", "api", "OLD_A"), SlotRef("dev", "api", "OLD_B")]
    with opened(vault_server, prefix, max_versions=5) as legacy:  # max_versions: records stay per path
        legacy.write_many(requests(old))
    assert custom_of(vault_server, f"{prefix}/dev/api/OLD_A").get("warden", "").startswith("v1 ")
    new = SlotRef("dev", "api", "NEW_C")
    with opened(vault_server, prefix) as store:
        assert {m.slot for m in store.list_meta("dev")} == set(old)
        store.write_many([*requests([old[0]], cas=1), *requests([new])])
    # The old path's own record grew; the new key went to the namespace's group document.
    assert "fields=1 kv=2" in custom_of(vault_server, f"{prefix}/dev/api/OLD_A")["warden"]
    assert "warden" not in custom_of(vault_server, f"{prefix}/dev/api/NEW_C")
    assert custom_of(vault_server, f"{prefix}/_warden/keys/{prefix}/dev/api")["warden"].startswith("v1 paths=1 ")
    with opened(vault_server, prefix, access="metadata") as reader:
        metas = {m.slot: len(m.versions) for m in reader.list_meta("dev")}
        assert metas == {old[0]: 2, old[1]: 1, new: 1}
        assert reader.notices() == []


def test_concurrent_writers_of_one_namespace_keep_both_records(vault_server: VaultServer) -> None:
    prefix = "kg" + secrets.token_hex(5)
    mine, theirs = SlotRef("dev", "api", "MINE"), SlotRef("dev", "api", "THEIRS")
    with opened(vault_server, prefix) as first, opened(vault_server, prefix) as second:
        assert list(first.list_meta("dev")) == []  # first believes the namespace has no group yet
        second.write_many(requests([theirs]))  # ... and then the other writer creates it
        first.write_many(requests([mine]))  # creating it fails the check-and-set: re-read and merge
    with opened(vault_server, prefix, access="metadata") as reader:
        assert {m.slot for m in reader.list_meta("dev")} == {mine, theirs}


def test_a_full_group_document_leaves_records_on_their_paths(vault_server: VaultServer) -> None:
    prefix = "kg" + secrets.token_hex(5)
    group = f"{prefix}/_warden/keys/{prefix}/dev/api"
    # Someone else's custom_metadata leaves room for only two chunks of warden's document.
    vault_server.client().secrets.kv.v2.update_metadata(
        path=group, mount_point="secret", custom_metadata={f"other{i:02d}": "x" for i in range(61)}
    )
    slots = [SlotRef("dev", "api", f"KEY_{k:02d}") for k in range(40)]
    with opened(vault_server, prefix) as store:
        store.list_meta("dev")
        assert len(store.write_many(requests(slots))) == len(slots)
    assert all(custom_of(vault_server, f"{prefix}/dev/api/{s.key}").get("warden") for s in slots)
    assert len(custom_of(vault_server, group)) == 61  # theirs, untouched
    with opened(vault_server, prefix, access="metadata") as reader:
        assert {m.slot for m in reader.list_meta("dev")} == set(slots)


def test_a_damaged_group_document_is_refused(vault_server: VaultServer) -> None:
    prefix = "kg" + secrets.token_hex(5)
    with opened(vault_server, prefix) as store:
        store.write_many(requests([SlotRef("dev", "api", "ONE"), SlotRef("dev", "api", "TWO")]))
    group = f"{prefix}/_warden/keys/{prefix}/dev/api"
    custom = custom_of(vault_server, group)
    chunk = custom["warden.0"]
    custom["warden.0"] = chunk[:-1] + ("A" if chunk[-1] != "A" else "B")
    vault_server.client().secrets.kv.v2.update_metadata(path=group, mount_point="secret", custom_metadata=custom)
    with opened(vault_server, prefix, access="metadata") as reader, pytest.raises(IntegrityError, match="damaged"):
        list(reader.list_meta("dev"))


def test_a_service_identity_reads_its_namespace_group_and_no_other(tmp_path: Path, vault_server: VaultServer) -> None:
    """`warden run` under a service's bootstrapped read policy checks its keys' records."""
    from secretwarden.errors import PermissionDenied

    prefix = "kg" + secrets.token_hex(5)
    store_block = f"stores:\n  vault:\n    backend: vault\n    options: {{path_prefix: {prefix}, layout: per-key}}\n"
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store_block + "namespaces:\n", 1))
    boot = run_warden("-c", contract, "bootstrap", "--env", "dev", env=vault_server.env(), timeout=120)
    assert boot.returncode in (0, 1), boot.output
    policy = policy_name("demo", "dev", "api", "", "read")
    token = vault_server.client().auth.token.create(policies=[policy], ttl="5m")["auth"]["client_token"]
    mine, other = SlotRef("dev", "api", "API_TOKEN"), SlotRef("dev", "shop", "SHOP_KEY", "tenant-a")
    with opened(vault_server, prefix, token=token) as store:
        meta = store.key_meta(mine)
        assert meta is not None and len(meta.versions) == 1 and meta.versions[0].fingerprint
        assert store.read(mine).reveal()
        with pytest.raises(PermissionDenied):
            store.key_meta(other)


def test_an_identity_without_access_to_group_records_keeps_records_on_its_paths(vault_server: VaultServer) -> None:
    """A namespace admin whose policy predates group records writes and reads as before."""
    prefix = "kg" + secrets.token_hex(5)
    ns = f"secret/%s/{prefix}/dev/api"
    base = f"secret/metadata/{prefix}/_warden"
    policy = (
        f'path "{ns % "data"}/*" {{ capabilities = ["create", "read", "update", "patch"] }}\n'
        f'path "{ns % "metadata"}/*" {{ capabilities = ["create", "read", "update", "patch", "list"] }}\n'
        f'path "{base}/denied" {{ capabilities = ["read"] }}\n'
        f'path "{base}/fingerprint-key" {{ capabilities = ["create", "read"] }}\n'
    )
    admin = vault_server.client()
    admin.sys.create_or_update_acl_policy(name=f"{prefix}-old-admin", policy=policy)
    token = admin.auth.token.create(policies=[f"{prefix}-old-admin"], ttl="5m")["auth"]["client_token"]
    slot = SlotRef("dev", "api", "NEW_KEY")
    with opened(vault_server, prefix, token=token) as store:
        assert store.key_meta(slot) is None  # missing, not "permission denied"
        store.write_many(requests([slot]))
        meta = store.key_meta(slot)
        assert meta is not None and len(meta.versions) == 1
    assert custom_of(vault_server, f"{prefix}/dev/api/NEW_KEY").get("warden", "").startswith("v1 ")
    with opened(vault_server, prefix, access="metadata") as reader:
        assert {m.slot for m in reader.list_meta("dev")} == {slot}
