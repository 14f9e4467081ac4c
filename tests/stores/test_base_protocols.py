"""stores/base.py's protocols without `typing` at run time: `isinstance` asks what `typing.runtime_checkable` asks.

mypy reads them as `typing.Protocol`s (under `TYPE_CHECKING`); at run time they are
classes of base's own `_Protocol`, so that `warden run` never loads `typing`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from secretwarden.crypto.fingerprint import Fingerprinter
from secretwarden.stores import base
from secretwarden.stores.embedded.store import EmbeddedStore

PROTOCOLS = ("MetadataReader", "SecretStore", "CredentialIssuer", "AuditAnchored", "SharedJournal",
             "SharedStateHolder", "JournalWriter")


def declared_members() -> dict[str, set[str]]:
    """Each protocol's members read from base.py's source (methods and annotated attributes, its
    protocol bases' included): what typing would check, computed without the class."""
    tree = ast.parse(Path(base.__file__).read_text(encoding="utf-8"))
    own: dict[str, set[str]] = {}
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases):
            own[node.name] = {s.name for s in node.body if isinstance(s, ast.FunctionDef)} | {
                s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            }
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id != "Protocol"]

    def members(name: str) -> set[str]:
        return own[name].union(*(members(b) for b in bases[name]))

    return {name: members(name) for name in own}


def stand_in(members: set[str], protocol: type, *, without: str | None = None, none: str | None = None) -> object:
    obj = type("StandIn", (), {})()
    for name in members - {without}:
        value = None if name == none else (lambda *a, **k: None) if callable(getattr(protocol, name, None)) else "x"
        setattr(obj, name, value)
    return obj


def test_the_protocols_are_the_ones_named_here() -> None:
    assert sorted(declared_members()) == sorted(PROTOCOLS)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_isinstance_needs_every_declared_member(name: str) -> None:
    protocol = getattr(base, name)
    members = declared_members()[name]
    assert members, name
    assert isinstance(stand_in(members, protocol), protocol)
    for missing in sorted(members):
        assert not isinstance(stand_in(members, protocol, without=missing), protocol), missing
    assert not isinstance(object(), protocol)


def test_a_method_set_to_none_does_not_count_an_attribute_set_to_none_does() -> None:
    members = declared_members()["MetadataReader"]
    assert not isinstance(stand_in(members, base.MetadataReader, none="close"), base.MetadataReader)
    assert isinstance(stand_in(members, base.MetadataReader, none="name"), base.MetadataReader)


def test_a_subclass_is_an_instance_and_a_protocol_extends_its_base() -> None:
    assert base.MetadataReader in base.SecretStore.__mro__
    secret_members = declared_members()["SecretStore"]
    reader_only = stand_in(declared_members()["MetadataReader"], base.MetadataReader)
    assert isinstance(reader_only, base.MetadataReader) and not isinstance(reader_only, base.SecretStore)
    assert isinstance(stand_in(secret_members, base.SecretStore), base.MetadataReader)


def test_the_embedded_store_is_each_protocol_it_implements(tmp_path: Path) -> None:
    store = EmbeddedStore("t", tmp_path / "t.db", access="secrets", create=True, fingerprinter=Fingerprinter(b"k" * 32))
    try:
        for name in ("MetadataReader", "SecretStore", "AuditAnchored", "SharedStateHolder"):
            assert isinstance(store, getattr(base, name)), name
        assert not isinstance(store, base.CredentialIssuer)
        assert isinstance(store.shared_journal(), base.SharedJournal)
    finally:
        store.close()


def test_importing_the_module_loads_no_typing() -> None:
    code = "import sys, secretwarden.stores.base, secretwarden.stores.spec; print('typing' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == [
        "False"
    ]
