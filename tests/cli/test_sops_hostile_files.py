"""A sops store file replaced (in a pull request, say) by a link to /dev/zero or a FIFO: exit 3 at once.

Before: `get` and `run` hung reading it, and `set` handed the path to sops, which read /dev/zero
until the kernel killed it. The refusal names the file and never shows a value.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_sops_cmd import Project, sops_project  # noqa: F401  (the fixture)
from tests.conftest import make_canary

FILE = Path("secrets/dev/api.enc.yaml")


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_store_file_that_is_not_a_file_is_refused(sops_project: Project, kind: str) -> None:  # noqa: F811
    canary = make_canary()
    wrote = sops_project.warden("set", "api/API_TOKEN", "--env", "dev", key=sops_project.dev, input=canary)
    assert wrote.returncode == 0, wrote.output  # type: ignore[attr-defined]
    target = sops_project.root / FILE
    target.unlink()
    if kind == "dev-zero":
        target.symlink_to("/dev/zero")
    else:
        os.mkfifo(target)
    outputs = []
    for args in (
        ["get", "api/API_TOKEN", "--env", "dev"],
        ["run", "-s", "api", "-e", "dev", "--", "true"],
        ["set", "api/API_TOKEN", "--env", "dev"],
    ):
        res = sops_project.warden(*args, key=sops_project.dev, input=make_canary())
        assert res.returncode == 3, res.output  # type: ignore[attr-defined]
        assert "not a regular file" in res.stderr  # type: ignore[attr-defined]
        outputs.append(res.output)  # type: ignore[attr-defined]
    assert all(canary not in text and "Traceback" not in text for text in outputs)


def test_sops_config_linked_to_a_device_is_refused(sops_project: Project) -> None:  # noqa: F811
    canary = make_canary()
    wrote = sops_project.warden("set", "api/API_TOKEN", "--env", "dev", key=sops_project.dev, input=canary)
    assert wrote.returncode == 0, wrote.output  # type: ignore[attr-defined]
    config = sops_project.root / ".sops.yaml"
    config.unlink()
    config.symlink_to("/dev/zero")  # sops reads its config whole: it ran until the memory was gone
    for args in (["get", "api/API_TOKEN", "--env", "dev"], ["bootstrap", "--env", "dev"]):
        res = sops_project.warden(*args, key=sops_project.dev)
        assert res.returncode == 2, res.output  # type: ignore[attr-defined]
        assert "sops config is not a regular file" in res.stderr  # type: ignore[attr-defined]
        assert canary not in res.output  # type: ignore[attr-defined]
