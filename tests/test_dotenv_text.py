"""The one `KEY=value` reader and its three callers (import, discovery, the sops store) agree on names."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from secretwarden.contract.discovery.sources import dotenv as discovery
from secretwarden.dotenv_text import parse
from secretwarden.stores.sops.files import parse_view
from secretwarden.transfer import dotenv as transfer

EXAMPLE = """\
# SENTRY_DSN=https://example.invalid/1
#  export OPTIONAL_HOOK=
# see: a=b
API_TOKEN=
NOTES="first line
NOT_A_NAME=inside the quoted value"
export DATABASE_URL='postgres://example.invalid/db'
"""


def test_commented_names_without_their_text() -> None:
    found = parse(EXAMPLE, commented=True).assignments
    assert [(a.name, a.commented) for a in found] == [
        ("SENTRY_DSN", True), ("OPTIONAL_HOOK", True), ("API_TOKEN", False), ("NOTES", False), ("DATABASE_URL", False),
    ]
    assert all(a.value == "" for a in found if a.commented)


def test_discovery_reads_names_as_import_reads_them() -> None:
    hits = list(discovery.scan(EXAMPLE, PurePosixPath(".env.example")))
    names = [h.name for h in hits if h.detail != "commented example"]
    assert names == [a.name for a in transfer.parse(EXAMPLE).assignments]  # one reader: same names, same order
    assert "NOT_A_NAME" not in {h.name for h in hits}  # a line inside a quoted value is not an assignment
    assert {h.name for h in hits if h.detail == "commented example"} == {"SENTRY_DSN", "OPTIONAL_HOOK"}
    real = list(discovery.scan(EXAMPLE, PurePosixPath("config/prod.env")))
    assert [h.name for h in real] == names  # a real env file: assignments only, no commented guesses


def test_verbatim_mode_is_sops_layout() -> None:
    text = 'A="quoted" # not a comment for sops\nsops_version=3.11.0\n\n# c\nB=x=y\n'
    got = [(a.name, a.value) for a in parse(text, quoting=False).assignments]
    assert got == [("A", '"quoted" # not a comment for sops'), ("sops_version", "3.11.0"), ("B", "x=y")]
    view = parse_view(Path("x.env"), text, "dotenv")
    assert view.keys == ["A", "B"]  # sops_ lines are its metadata, not keys


@given(st.text(alphabet=st.sampled_from(list("AB_=#'\" \n\tx\\e")), max_size=80))
def test_any_text_parses_in_every_mode(text: str) -> None:
    for commented in (False, True):
        for quoting in (False, True):
            result = parse(text, commented=commented, quoting=quoting)
            assert all(a.line >= 1 for a in result.assignments)
    names = {a.name for a in parse(text).assignments}
    assert {h.name for h in discovery.scan(text, PurePosixPath("app.env"))} <= names
