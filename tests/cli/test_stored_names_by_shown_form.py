"""A key someone else wrote into the store under a name nobody can type (a terminal escape in an
edited SQLite file, a Vault path) is shown escaped by listings (`slots.printable`); the commands
that act on a stored key (get, history, rm, undelete, destroy) find it by that shown form, so
it can be cleaned up with `warden rm`. `set` still refuses to create such a name."""

from __future__ import annotations

from pathlib import Path

from secretwarden.ops.workspace import Workspace
from secretwarden.slots import SlotRef, printable
from secretwarden.stores.base import SecretValue, WriteRequest
from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden

HOSTILE = "X\x1b]0;owned\x07\x1b[31mRED"
SHOWN = printable(HOSTILE)  # X\x1b]0;owned\x07\x1b[31mRED, as `ls` prints it


def plant(contract: Path, *keys: str) -> list[str]:
    """Write `keys` under `shared` through the store protocol, as an edited store would hold them."""
    values = [make_canary(f"planted-{n}") for n in range(len(keys))]
    with Workspace.load(contract) as ws:
        ws.secrets("dev").write_many(
            [WriteRequest(SlotRef("dev", "shared", k), SecretValue(v)) for k, v in zip(keys, values, strict=True)]
        )
    return values


def project(tmp_path: Path) -> Path:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    return contract


def clean(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output


def test_an_unnamable_orphan_is_removed_by_the_name_ls_shows(tmp_path: Path) -> None:
    contract = project(tmp_path)
    [value] = plant(contract, HOSTILE)
    listing = run_warden("-c", contract, "ls", "--env", "dev")
    assert f"shared/{SHOWN}  v1" in listing.stdout, listing.stdout

    hist = run_warden("-c", contract, "history", f"shared/{SHOWN}", "--env", "dev")
    assert hist.returncode == 0 and "v1 " in hist.stdout, hist.output
    got = run_warden("-c", contract, "get", f"shared/{SHOWN}", "--env", "dev")
    assert got.returncode == 0 and got.stdout == value + "\n", got.stderr  # get prints the value, nothing else
    clean(got.stderr)

    rm = run_warden("-c", contract, "rm", f"shared/{SHOWN}", "--env", "dev")
    assert rm.returncode == 0, rm.output
    assert rm.stdout == f"dev:shared/{SHOWN}: deleted (soft) v1\n"
    assert "deleted" in run_warden("-c", contract, "ls", "--env", "dev").stdout
    back = run_warden("-c", contract, "undelete", f"shared/{SHOWN}", "--env", "dev")
    assert back.returncode == 0 and "restored v1" in back.stdout, back.output
    gone = run_warden("-c", contract, "destroy", f"shared/{SHOWN}", "--env", "dev")
    assert gone.returncode == 0 and "destroyed v1" in gone.stdout, gone.output
    for res in (listing, hist, rm, back, gone):
        clean(res.output)
        assert value not in res.output
    with Workspace.load(contract) as ws:
        meta = ws.metadata("dev").key_meta(SlotRef("dev", "shared", HOSTILE))
    assert meta is not None and meta.versions[0].destroyed  # the planted key itself was acted on


def test_set_still_refuses_the_name_and_the_shown_form_creates_a_literal_key(tmp_path: Path) -> None:
    contract = project(tmp_path)
    plant(contract, HOSTILE)
    raw = run_warden("-c", contract, "set", f"shared/{HOSTILE}", "--env", "dev", "--undeclared", input="abcdefghijklmnopqrst")
    assert raw.returncode == 2 and "not a usable key name" in raw.stderr, raw.output
    clean(raw.output)
    # The shown form is a printable name of its own: `set` never writes the planted key through it.
    literal = run_warden("-c", contract, "set", f"shared/{SHOWN}", "--env", "dev", "--undeclared", input="abcdefghijklmnopqrst")
    assert literal.returncode == 0, literal.output
    with Workspace.load(contract) as ws:
        planted = ws.metadata("dev").key_meta(SlotRef("dev", "shared", HOSTILE))
        typed = ws.metadata("dev").key_meta(SlotRef("dev", "shared", SHOWN))
    assert planted is not None and len(planted.versions) == 1
    assert typed is not None and len(typed.versions) == 1
    # Now two stored names are shown alike: the exact (typed) name wins.
    rm = run_warden("-c", contract, "rm", f"shared/{SHOWN}", "--env", "dev")
    assert rm.returncode == 0, rm.output
    with Workspace.load(contract) as ws:
        assert ws.metadata("dev").key_meta(SlotRef("dev", "shared", SHOWN)).current is None  # type: ignore[union-attr]
        assert ws.metadata("dev").key_meta(SlotRef("dev", "shared", HOSTILE)).current is not None  # type: ignore[union-attr]


def test_a_shown_form_two_unnamable_keys_share_is_refused(tmp_path: Path) -> None:
    contract = project(tmp_path)
    one, two = "A\x1b\t", "A\\x1b\t"  # both shown as A\x1b\t
    assert printable(one) == printable(two)
    values = plant(contract, one, two)
    res = run_warden("-c", contract, "rm", f"shared/{printable(one)}", "--env", "dev")
    assert res.returncode == 2, res.output
    assert "names 2 stored keys" in res.stderr and "hint:" in res.stderr
    clean(res.output)
    assert not any(v in res.output for v in values)


def test_a_shown_form_that_matches_nothing_is_not_found(tmp_path: Path) -> None:
    contract = project(tmp_path)
    plant(contract, HOSTILE)
    res = run_warden("-c", contract, "rm", "shared/Y\\x1bRED", "--env", "dev")
    plain = run_warden("-c", contract, "rm", "shared/NOT_THERE", "--env", "dev")
    assert (res.returncode, plain.returncode) == (1, 1), res.output  # not found, as for any other missing key
    assert "dev:shared/Y\\x1bRED: no such key" in res.stderr
    clean(res.output)
