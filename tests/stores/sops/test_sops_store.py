"""The sops backend against the real `sops` binary and real age identities."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from secretwarden.errors import (
    IntegrityError,
    MasterKeyError,
    PermissionDenied,
    ReuseRefused,
    SecretNotFound,
    UnsupportedOperation,
)
from secretwarden.slots import SlotRef
from secretwarden.stores.base import DataKeyRotator, SecretValue, WriteRequest
from secretwarden.stores.sops.files import SopsLayout, sidecar_path
from secretwarden.stores.sops.store import SopsStore, rotate_data_key
from secretwarden.stores.sops.tool import run_sops, sops_binary
from tests.conftest import make_canary
from tests.stores.conftest import FP, Clock
from tests.stores.sops.sops_support import AgeIdentity, new_identity

A = SlotRef("dev", "api", "TOKEN")
B = SlotRef("dev", "api", "OTHER")
EXT = {"yaml": "yaml", "json": "json", "dotenv": "env"}


def open_sops(
    root: Path,
    ident: AgeIdentity | None,
    *,
    access: str = "secrets",
    options: Mapping[str, object] | None = None,
    recipients: list[str] | None = None,
) -> SopsStore:
    return SopsStore(
        "repo",
        SopsLayout.from_options(root, dict(options or {}), "repo"),
        access=access,  # type: ignore[arg-type]
        recipients=recipients if recipients is not None else ([ident.recipient] if ident else []),
        fingerprinter=FP,
        clock=Clock(),
        extra_env=ident.env if ident else {"SOPS_AGE_KEY_FILE": "/nonexistent/agekey"},
    )


def put(store: SopsStore, slot: SlotRef, value: str, **kw: object) -> int:
    return store.write_many([WriteRequest(slot, SecretValue(value), **kw)], actor="tester")[0].version  # type: ignore[arg-type]


def sops_cli(ident: AgeIdentity, *args: str, stdin: bytes | None = None) -> bytes:
    return run_sops(list(args), what="test", stdin=stdin, extra_env=ident.env)


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture
def ident(tmp_path: Path) -> AgeIdentity:
    return new_identity(tmp_path / "keys")


@pytest.mark.parametrize("fmt", ["yaml", "json", "dotenv"])
def test_warden_written_file_decrypts_with_sops(tmp_path: Path, ident: AgeIdentity, fmt: str) -> None:
    root = tmp_path / "repo"
    store = open_sops(root, ident, options={"format": fmt})
    token, other = make_canary("t"), "line one\nline two = \"quoted\""
    put(store, A, token)
    put(store, B, other)
    path = root / "secrets" / "dev" / f"api.enc.{EXT[fmt]}"
    assert path.is_file() and sidecar_path(path).is_file()
    decrypted = json.loads(sops_cli(ident, "decrypt", "--input-type", fmt, "--output-type", "json", str(path)))
    assert decrypted == {"TOKEN": token, "OTHER": other}
    for file in files_under(root):  # plaintext never on disk, not in the sidecar either
        assert token.encode() not in file.read_bytes(), file


def test_file_written_and_edited_by_sops_is_read(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    path = root / "secrets" / "dev" / "api.enc.yaml"
    path.parent.mkdir(parents=True)
    first, second = make_canary("1"), make_canary("2")
    doc = json.dumps({"TOKEN": first, "PORT": 8080}).encode()
    path.write_bytes(
        sops_cli(ident, "encrypt", "--age", ident.recipient, "--input-type", "json", "--output-type", "yaml", "/dev/stdin", stdin=doc)
    )
    store = open_sops(root, ident)
    assert store.read(A).reveal() == first
    assert store.read(SlotRef("dev", "api", "PORT")).reveal() == "8080"
    meta = store.key_meta(A)
    assert meta is not None and meta.current is not None and meta.current.source == "external"

    # warden writes a version, then a person edits the value with `sops set`
    third = make_canary("3")
    assert put(store, A, second) == 2
    sops_cli(ident, "set", "--value-stdin", str(path), '["TOKEN"]', stdin=json.dumps(third).encode())
    reader = open_sops(root, None, access="metadata")
    meta = reader.key_meta(A)
    assert meta is not None and [v.version for v in meta.versions] == [1, 2, 3]
    assert meta.current is not None and meta.current.source == "external" and meta.current.version == 3
    fresh = open_sops(root, ident)
    assert fresh.read(A).reveal() == third
    # the next warden write fingerprints the outside value, so it can never come back
    put(fresh, A, make_canary("4"))
    with pytest.raises(ReuseRefused):
        put(fresh, A, third)


def test_versions_keep_metadata_but_not_old_values(tmp_path: Path, ident: AgeIdentity) -> None:
    store = open_sops(tmp_path / "repo", ident)
    v1 = make_canary("a")
    put(store, A, v1)
    put(store, A, make_canary("b"))
    meta = store.key_meta(A)
    assert meta is not None and [(v.version, v.destroyed) for v in meta.versions] == [(1, True), (2, False)]
    with pytest.raises(UnsupportedOperation) as err:
        store.read(A, 1)
    assert "not retained" in str(err.value)
    assert store.read(A, 2).reveal()
    with pytest.raises(ReuseRefused):
        put(store, A, v1)
    assert isinstance(store, DataKeyRotator)


def test_soft_delete_undelete_destroy_current(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    store = open_sops(root, ident)
    value = make_canary()
    put(store, A, value)
    assert store.soft_delete(A) == [1]
    with pytest.raises(SecretNotFound):
        store.read(A)
    assert store.undelete(A) == [1]
    assert store.read(A).reveal() == value
    assert store.destroy(A) == [1]
    path = root / "secrets" / "dev" / "api.enc.yaml"
    assert "TOKEN" not in json.loads(sops_cli(ident, "decrypt", "--output-type", "json", str(path)))
    meta = store.key_meta(A)
    assert meta is not None and meta.current is None and meta.fingerprints
    with pytest.raises(ReuseRefused):
        put(store, A, value)


def test_wrong_identity_is_a_key_error_and_writes_nothing(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    put(open_sops(root, ident), A, make_canary())
    path = root / "secrets" / "dev" / "api.enc.yaml"
    before = {p: p.read_bytes() for p in files_under(root)}
    stranger = open_sops(root, new_identity(tmp_path / "other", "stranger"))
    with pytest.raises(MasterKeyError) as err:
        stranger.read(A)
    assert str(path) in str(err.value)
    with pytest.raises(MasterKeyError):
        put(stranger, B, make_canary())
    assert {p: p.read_bytes() for p in files_under(root)} == before


def test_tampered_file_fails_mac_and_writes_nothing(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    store = open_sops(root, ident)
    put(store, A, make_canary())
    put(store, B, make_canary())
    path = root / "secrets" / "dev" / "api.enc.yaml"
    lines = path.read_text().splitlines(keepends=True)
    # Drop one encrypted entry: every remaining value still decrypts, only the MAC can tell.
    path.write_text("".join(line for line in lines if not line.startswith("OTHER:")))
    before = {p: p.read_bytes() for p in files_under(root)}
    fresh = open_sops(root, ident)
    with pytest.raises(IntegrityError) as err:
        fresh.read(A)
    assert "MAC" in str(err.value)
    with pytest.raises(IntegrityError):
        put(fresh, A, make_canary())
    assert {p: p.read_bytes() for p in files_under(root)} == before


def test_metadata_mode_needs_no_key(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    store = open_sops(root, ident)
    put(store, A, make_canary())
    put(store, SlotRef("dev", "shop", "KEY", "tenant-a"), make_canary())
    store.ensure_namespace("dev", "empty")
    reader = open_sops(root, None, access="metadata")
    metas = list(reader.list_meta("dev"))
    assert {m.slot for m in metas} == {A, SlotRef("dev", "shop", "KEY", "tenant-a")}
    assert reader.namespaces("dev") == {"api", "shop", "empty"}
    assert reader.stats.values_read == 0
    with pytest.raises(PermissionDenied):
        reader.read(A)


def test_concurrent_writers_lose_nothing(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    open_sops(root, ident).ensure_namespace("dev", "api")
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
from secretwarden.slots import SlotRef
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.stores.sops.test_sops_store import open_sops
from tests.stores.sops.sops_support import AgeIdentity
from collections.abc import Mapping
from pathlib import Path
ident = AgeIdentity(Path({str(ident.key_file)!r}), {ident.recipient!r})
store = open_sops(Path({str(root)!r}), ident)
tag = sys.argv[1]
for i in range(6):
    store.write_many([WriteRequest(SlotRef("dev", "api", f"K_{{tag}}_{{i}}"), SecretValue(f"v-{{tag}}-{{i}}-" + "x" * 8))], actor=tag)
    store.write_many([WriteRequest(SlotRef("dev", "api", "SHARED"), SecretValue(f"s-{{tag}}-{{i}}"))], actor=tag)
"""
    procs = [subprocess.Popen([sys.executable, "-c", script, tag]) for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    reader = open_sops(root, ident)
    keys = {m.slot.key: m for m in reader.list_meta("dev")}
    assert {f"K_{t}_{i}" for t in "ab" for i in range(6)} <= set(keys)
    assert [v.version for v in keys["SHARED"].versions] == list(range(1, 13))
    assert all(m.current and m.current.source != "external" for m in keys.values())
    assert reader.read(SlotRef("dev", "api", "K_b_5")).reveal().startswith("v-b-5-")


def test_rotate_data_key_keeps_values(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    store = open_sops(root, ident)
    value = make_canary()
    put(store, A, value)
    path = root / "secrets" / "dev" / "api.enc.yaml"
    before = path.read_text()
    done = rotate_data_key(store, "dev")
    assert [(r.env, r.namespace, r.location) for r in done] == [("dev", "api", "secrets/dev/api.enc.yaml")]
    assert path.read_text() != before
    assert open_sops(root, ident).read(A).reveal() == value
    meta = open_sops(root, None, access="metadata").key_meta(A)
    assert meta is not None and len(meta.versions) == 1  # not mistaken for an outside edit


def test_compromised_outside_value_is_denied(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    path = root / "secrets" / "dev" / "api.enc.yaml"
    path.parent.mkdir(parents=True)
    leaked = make_canary()
    path.write_bytes(
        sops_cli(ident, "encrypt", "--age", ident.recipient, "--input-type", "json", "--output-type", "yaml",
                 "/dev/stdin", stdin=json.dumps({"TOKEN": leaked}).encode())
    )
    store = open_sops(root, ident)
    store.mark_compromised(A, dt.datetime.now(dt.UTC), "pasted in chat")
    assert store.key_meta(A).compromised  # type: ignore[union-attr]
    with pytest.raises(ReuseRefused):
        put(store, B, leaked)
    assert leaked not in (root / "secrets" / ".warden-sops.json").read_text()


def test_custom_templates_and_instances(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    options = {"path": "deploy/{namespace}/{env}.env", "instance_path": "deploy/{namespace}/{instance}.{env}.env", "format": "dotenv"}
    store = open_sops(root, ident, options=options)
    put(store, A, make_canary())
    put(store, SlotRef("prod", "api", "TOKEN", "tenant-a"), make_canary())
    assert (root / "deploy" / "api" / "dev.env").is_file()
    assert (root / "deploy" / "api" / "tenant-a.prod.env").is_file()
    reader = open_sops(root, None, access="metadata", options=options)
    assert {m.slot for m in reader.list_meta()} == {A, SlotRef("prod", "api", "TOKEN", "tenant-a")}
    assert {m.slot for m in reader.list_meta("prod")} == {SlotRef("prod", "api", "TOKEN", "tenant-a")}


def test_no_recipients_is_a_clear_error(tmp_path: Path, ident: AgeIdentity) -> None:
    store = open_sops(tmp_path / "repo", ident, recipients=[])
    with pytest.raises(Exception) as err:
        put(store, A, make_canary())
    assert "recipients" in str(err.value) or "creation rule" in str(err.value)
    assert not (tmp_path / "repo" / "secrets" / "dev" / "api.enc.yaml").exists()


def test_binary_found() -> None:
    assert Path(sops_binary()).is_file()


def test_fast_yaml_reading_agrees_with_the_yaml_parser(
    tmp_path: Path, ident: AgeIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secretwarden.stores.sops import files as sops_files

    second = new_identity(tmp_path / "k2", "second")
    texts = []
    for extra in ([], ["--unencrypted-regex", "^PUBLIC_"]):
        doc = json.dumps({"TOKEN": make_canary(), "PUBLIC_URL": "https://example.invalid", "COUNT": 3, "N": 1}).encode()
        texts.append(sops_cli(
            ident, "encrypt", "--age", f"{ident.recipient},{second.recipient}", *extra,
            "--input-type", "json", "--output-type", "yaml", "/dev/stdin", stdin=doc,
        ).decode())
    texts.append(texts[0].replace("sops:\n", "EXTRA: plain\nsops:\n", 1))  # a hand edit
    path = tmp_path / "f.enc.yaml"
    # the layout sops writes takes the fast path; `N` (quoted: YAML 1.1 reads it as a bool) does not
    assert sops_files._flat_yaml(texts[0]) is None
    texts.append(texts[0].replace('"N": ', "KEY_N: "))
    assert sops_files._flat_yaml(texts[-1]) is not None
    fast = [sops_files.parse_view(path, t, "yaml") for t in texts]
    monkeypatch.setattr(sops_files, "_flat_yaml", lambda _text: None)
    full = [sops_files.parse_view(path, t, "yaml") for t in texts]
    assert fast == full
    assert fast[0].recipients == (ident.recipient, second.recipient) and fast[0].plaintext_keys == set()
    assert fast[1].plaintext_keys == set() and fast[2].plaintext_keys == {"EXTRA"}


def test_long_lived_store_sees_other_writers(tmp_path: Path, ident: AgeIdentity) -> None:
    root = tmp_path / "repo"
    first, second = open_sops(root, ident), open_sops(root, ident)
    put(first, A, make_canary("a"))
    assert first.read(A).reveal()  # now cached in `first`
    newer = make_canary("b")
    put(second, A, newer)
    assert first.read(A).reveal() == newer
    meta = first.key_meta(A)
    assert meta is not None and [v.source for v in meta.versions] == ["set", "set"]
    with pytest.raises(ReuseRefused):
        put(first, A, newer)
