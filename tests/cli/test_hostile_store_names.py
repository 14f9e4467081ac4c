"""A key name someone else wrote into the store (an edited SQLite file, a Vault path) is shown
escaped, never obeyed: `ls`, `status` and messages print `\\x1b`, not the escape itself."""

from __future__ import annotations

from pathlib import Path

from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef, printable
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

HOSTILE = "X\x1b]0;owned\x07\x1b[31mRED"


def test_printable_escapes_only_what_a_terminal_acts_on() -> None:
    assert printable("shared/DATABASE_URL") == "shared/DATABASE_URL"
    assert printable(HOSTILE) == "X\\x1b]0;owned\\x07\\x1b[31mRED"
    assert printable("tab\there") == "tab\\there"
    assert SlotRef("dev", "shared", HOSTILE).label() == "dev:shared/" + printable(HOSTILE)
    assert SlotRef("dev", "shared", "PLAIN").label() == "dev:shared/PLAIN"


def test_a_hostile_name_in_the_store_is_listed_escaped(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    value = make_canary("hostile-name")
    # Written through the store protocol, as an edited store would hold it (`warden set` refuses it).
    with Workspace.load(contract) as ws:
        ws.secrets("dev").write_many([WriteRequest(SlotRef("dev", "shared", HOSTILE), SecretValue(value))])
    for args in (("ls", "--env", "dev"), ("status", "--env", "dev"), ("status", "--env", "dev", "--format", "markdown")):
        res = run_warden("-c", contract, *args)
        assert res.returncode in (0, 1), res.output
        assert "\x1b" not in res.output and "\x07" not in res.output, args
        assert "X\\x1b]0;owned\\x07" in res.stdout, (args, res.stdout)
        assert value not in res.output
