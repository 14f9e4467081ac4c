"""The sops store's clear-text metadata is signed: edits, removals and rollbacks read as tampering.

Real sops and age (pyrage identities made at test time); the attacker is
someone who can write the repository but holds no fingerprint key.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.errors import IntegrityError, MasterKeyError
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from secretwarden.stores.sops.files import SopsLayout, sidecar_path
from secretwarden.stores.sops.rollback import mark_path
from secretwarden.stores.sops.store import SopsStore
from tests.stores.conftest import FP
from tests.stores.sops.sops_support import AgeIdentity, new_identity
from tests.stores.sops.test_sops_store import A, B, open_sops, put

SIDE = Path("secrets/dev/api.enc.yaml" + ".warden.json")
STATE = Path("secrets/.warden-sops.json")


@pytest.fixture
def ident(tmp_path: Path) -> AgeIdentity:
    return new_identity(tmp_path / "keys")


def _fresh(root: Path, ident: AgeIdentity, access: str = "secrets") -> SopsStore:
    return open_sops(root, ident, access=access)


def _edit(path: Path, change: object) -> None:
    doc = json.loads(path.read_text())
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))


def test_writes_sign_sidecar_and_state(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
    side = json.loads((root / SIDE).read_text())
    state = json.loads((root / STATE).read_text())
    assert isinstance(side.get("mac"), str) and isinstance(state.get("mac"), str)
    assert state["sealed"] is True and state["sidecars"] == [SIDE.as_posix()]
    with _fresh(root, ident, "metadata") as reader:
        assert reader.key_meta(A) is not None and reader.verify() == []


@pytest.mark.parametrize(
    "what",
    ["edit-author", "strip-mac", "delete-sidecar", "strip-state-mac", "delete-state", "move-sidecar"],
)
def test_tampering_is_refused_by_readers_and_writers(tmp_path: Path, ident: AgeIdentity, what: str) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
        put(store, SlotRef("dev", "shop", "KEY"), "other-value-0002")
    side, state = root / SIDE, root / STATE
    if what == "edit-author":
        _edit(side, lambda d: d["keys"]["TOKEN"]["versions"][-1].update(by="someone-else"))
    elif what == "strip-mac":
        _edit(side, lambda d: d.pop("mac"))
    elif what == "delete-sidecar":
        side.unlink()
    elif what == "strip-state-mac":
        _edit(state, lambda d: d.pop("mac"))
    elif what == "delete-state":
        state.unlink()
    else:  # another file's (valid) sidecar copied over this one
        side.write_bytes(sidecar_path(root / "secrets/dev/shop.enc.yaml").read_bytes())
    for access in ("metadata", "secrets"):
        with _fresh(root, ident, access) as reader, pytest.raises(IntegrityError, match="tampering"):
            reader.key_meta(A)
    with _fresh(root, ident) as writer, pytest.raises(IntegrityError, match="tampering"):
        put(writer, B, "another-value-003")
    with _fresh(root, ident, "metadata") as reader:
        assert any("tampering" in p for p in reader.verify())


def test_rolled_back_compromise_mark_is_caught(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
    before = (root / SIDE).read_bytes()  # a signed copy from before the mark
    with _fresh(root, ident) as store:
        store.mark_compromised(A, dt.datetime.now(dt.UTC), "leaked")
        assert store.key_meta(A).compromised_at is not None  # type: ignore[union-attr]
    (root / SIDE).write_bytes(before)
    with _fresh(root, ident) as reader, pytest.raises(IntegrityError, match="rolled back"):
        reader.key_meta(A)  # this machine wrote the newer sidecar (rollback.py)
    mark_path(root).unlink()  # a machine that never saw it: the state still denies the live value
    with _fresh(root, ident) as reader, pytest.raises(IntegrityError, match="compromise mark"):
        reader.key_meta(A)


def test_sidecar_and_state_rolled_back_together(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
    pair = {p: (root / p).read_bytes() for p in (SIDE, STATE)}  # a signed pair from before the mark
    with _fresh(root, ident) as store:
        store.mark_compromised(A, dt.datetime.now(dt.UTC), "leaked")
    for path, data in pair.items():
        (root / path).write_bytes(data)
    for access in ("metadata", "secrets"):
        with _fresh(root, ident, access) as reader, pytest.raises(IntegrityError, match="rolled back"):
            reader.key_meta(A)
    with _fresh(root, ident, "metadata") as reader:
        assert any("rolled back" in p for p in reader.verify())
    with _fresh(root, ident) as writer, pytest.raises(IntegrityError, match="rolled back"):
        put(writer, B, "another-value-003")  # a write never signs over the older pair
    mark_path(root).unlink()  # a fresh machine: no mark, nothing inside the repository tells
    with _fresh(root, ident) as reader:
        assert reader.key_meta(A).compromised_at is None  # type: ignore[union-attr]


def test_a_mark_lifted_on_purpose_is_not_tampering(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
        store.mark_compromised(A, dt.datetime.now(dt.UTC), "false alarm")
        store.clear_compromised(A)
    with _fresh(root, ident) as reader:
        meta = reader.key_meta(A)
        assert meta is not None and meta.compromised_at is None
        reader.mark_compromised(A, dt.datetime.now(dt.UTC), "real this time")  # and marked again: it holds
    with _fresh(root, ident) as reader:
        assert reader.key_meta(A).compromised_at is not None  # type: ignore[union-attr]


def test_values_are_not_served_when_signatures_cannot_be_checked(
    tmp_path: Path, ident: AgeIdentity
) -> None:
    root = tmp_path / "repo"
    with _fresh(root, ident) as store:
        put(store, A, "first-value-0001")
    project_keys = Fingerprinter(project="no-such-project")  # this machine has no fingerprint key
    kw = dict(recipients=[ident.recipient], extra_env=ident.env, meta_keys=project_keys)
    layout = SopsLayout.from_options(root, {}, "repo")
    reader = SopsStore("repo", layout, access="secrets", **kw)  # type: ignore[arg-type]
    with reader, pytest.raises(MasterKeyError, match="fingerprint key"):
        reader.read(A)
    with SopsStore("repo", layout, access="metadata", **kw) as meta_reader:  # type: ignore[arg-type]
        assert meta_reader.key_meta(A) is not None  # reports: shown unchecked, and said so
        assert any("not checked" in p for p in meta_reader.verify())


def test_unsigned_store_is_signed_by_the_first_write(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    layout = SopsLayout.from_options(root, {}, "repo")
    # a store written before signing existed: fingerprints, but nothing that signs
    kw = dict(recipients=[ident.recipient], extra_env=ident.env, fingerprinter=lambda v: FP(v))
    with SopsStore("repo", layout, access="secrets", **kw) as old:  # type: ignore[arg-type]
        old.write_many([WriteRequest(A, SecretValue("legacy-value-0001"))])
    assert "mac" not in json.loads((root / SIDE).read_text())
    with _fresh(root, ident, "metadata") as reader:
        assert reader.key_meta(A) is not None
        assert any("not signed yet" in p for p in reader.verify())
    with _fresh(root, ident) as writer:
        put(writer, SlotRef("dev", "shop", "KEY"), "other-value-0002")
    assert "mac" in json.loads((root / SIDE).read_text())  # every sidecar, not just the one written
    _edit(root / SIDE, lambda d: d.pop("mac"))
    with _fresh(root, ident) as reader, pytest.raises(IntegrityError, match="signature was removed"):
        reader.key_meta(A)
