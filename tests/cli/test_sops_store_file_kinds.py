"""A sops store file replaced by something that is not a regular file (a link to /dev/zero, a
FIFO, a link to nothing) is damage: `status` stops on it (exit 3) and `store verify` reports it
(exit 1), naming the file; nothing is read from it, and nothing is skipped silently.

Before, the listing behind both (stores/sops/files.py `files()`) kept regular files only, so
such a file disappeared from every report while `get` and `run` refused it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_sops_cmd import Project, sops_project  # noqa: F401  (the fixture)
from tests.conftest import make_canary

FILE = Path("secrets/dev/api.enc.yaml")


def replace(target: Path, kind: str) -> None:
    target.unlink()
    if kind == "dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(target.parent / "gone.enc.yaml")


def test_a_sidecar_that_is_not_a_file_is_reported_too(sops_project: Project) -> None:  # noqa: F811
    wrote = sops_project.warden("set", "api/API_TOKEN", "--env", "dev", key=sops_project.dev, input=make_canary())
    assert wrote.returncode == 0, wrote.output  # type: ignore[attr-defined]
    sidecar = sops_project.root / "secrets/dev/api.enc.yaml.warden.json"
    replace(sidecar, "fifo")
    for args, code in ((["status", "--env", "dev"], 3), (["store", "verify"], 1)):
        res = sops_project.warden(*args, key=sops_project.dev)
        assert res.returncode == code, (args, res.output)  # type: ignore[attr-defined]
        assert "api.enc.yaml.warden.json" in res.output and "not a regular file (a FIFO)" in res.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "dangling-link"])
def test_status_and_store_verify_report_a_store_file_that_is_not_a_file(
    sops_project: Project, kind: str  # noqa: F811
) -> None:
    canary = make_canary()
    wrote = sops_project.warden("set", "api/API_TOKEN", "--env", "dev", key=sops_project.dev, input=canary)
    assert wrote.returncode == 0, wrote.output  # type: ignore[attr-defined]
    replace(sops_project.root / FILE, kind)

    outputs = []
    for args, code in (
        (["status", "--env", "dev"], 3),
        (["status"], 3),
        (["store", "verify"], 1),
        (["ls", "--env", "dev"], 3),
        (["sops", "check"], 3),
        (["sops", "recipients", "--env", "dev"], 3),  # never copied: a device link would fill the disk
    ):
        res = sops_project.warden(*args, key=sops_project.dev)
        assert res.returncode == code, (args, res.output)  # type: ignore[attr-defined]
        assert f"{FILE}: " in res.output and "not a regular file" in res.output, (args, res.output)  # type: ignore[attr-defined]
        outputs.append(res.output)  # type: ignore[attr-defined]
    assert all(canary not in text and "Traceback" not in text for text in outputs)
    # `get` and `set` refuse it the same way: a write never replaces it unnoticed.
    for args in (["get", "api/API_TOKEN", "--env", "dev"], ["set", "api/API_TOKEN", "--env", "dev"]):
        res = sops_project.warden(*args, key=sops_project.dev, input=make_canary())
        assert res.returncode == 3 and "not a regular file" in res.stderr, res.output  # type: ignore[attr-defined]
    assert (sops_project.root / FILE).is_symlink() or kind == "fifo"
