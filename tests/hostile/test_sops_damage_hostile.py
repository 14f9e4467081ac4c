"""A sops store whose files were damaged (a bad merge, a truncated copy, a hand edit) or whose age key is not one.

Every command answers with one line and a hint and a documented code; the
other files of the store stay readable; no value is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.test_sops_cmd import Project, sops_project  # noqa: F401  (the fixture)
from tests.conftest import Result, make_canary

FILE = Path("secrets/dev/api.enc.yaml")
READERS = [
    ["get", "api/API_TOKEN", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["status", "--env", "dev"],
    ["ls", "--env", "dev"],
    ["store", "verify"],
]


def _cut_half(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _flip_ciphertext(p: Path) -> None:
    text = p.read_text()
    at = text.index("ENC[AES256_GCM,data:") + len("ENC[AES256_GCM,data:") + 2
    p.write_text(text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1:])


def _drop_metadata(p: Path) -> None:
    text = p.read_text()
    p.write_text(text[: text.index("sops:")])


def _not_utf8(p: Path) -> None:
    p.write_bytes(b"API_TOKEN: \xff\xfe\n" + p.read_bytes())


def _not_a_mapping(p: Path) -> None:
    p.write_text("- just\n- a list\n")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "cut-half": _cut_half, "empty": _empty, "flipped-ciphertext": _flip_ciphertext,
    "no-metadata": _drop_metadata, "not-utf8": _not_utf8, "list": _not_a_mapping,
}


def _seeded(p: Project) -> str:
    canary = make_canary("sops")
    res = p.warden("set", "api/API_TOKEN", "--env", "dev", key=p.dev, input=canary + "\n")
    assert res.returncode == 0, res.output  # type: ignore[attr-defined]
    res = p.warden("set", "shop/SHOP_KEY", "--env", "dev", "--instance", "tenant-a", key=p.dev, input=make_canary("shop") + "x" * 8 + "\n")
    assert res.returncode == 0, res.output  # type: ignore[attr-defined]
    return canary


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_namespace_file_is_a_clear_error(sops_project: Project, damage: str) -> None:  # noqa: F811
    p = sops_project
    canary = _seeded(p)
    DAMAGE[damage](p.root / FILE)
    for command in READERS:
        r: Result = p.warden(*command, key=p.dev)  # type: ignore[assignment]
        assert r.returncode in (0, 1, 2, 3), (command, r.output)
        assert "Traceback" not in r.output and "internal error" not in r.output, (command, r.output)
        assert canary not in r.output
        if r.returncode in (2, 3):
            lines = r.stderr.splitlines()
            assert lines[0].startswith("warden: error: ") and len(lines) == 2 and lines[1].startswith("hint: "), r.stderr
    # The other namespace's file is untouched and still answers.
    r = p.warden("get", "shop/SHOP_KEY", "--env", "dev", "--instance", "tenant-a", key=p.dev)  # type: ignore[assignment]
    assert r.returncode == 0, r.output


@pytest.mark.parametrize("key_text", ["", "AGE-SECRET-KEY-1NOTAKEY\n", "\xff\xfe garbage\n"])
def test_an_age_key_file_that_is_no_key(sops_project: Project, tmp_path: Path, key_text: str) -> None:  # noqa: F811
    p = sops_project
    canary = _seeded(p)
    p.dev.key_file.write_bytes(key_text.encode("utf-8", "surrogateescape") if key_text else b"")
    for command in READERS[:2]:
        r: Result = p.warden(*command, key=p.dev)  # type: ignore[assignment]
        assert r.returncode == 3, (command, r.output)
        lines = r.stderr.splitlines()
        assert lines[0].startswith("warden: error: ") and len(lines) == 2 and lines[1].startswith("hint: "), r.stderr
        assert canary not in r.output
