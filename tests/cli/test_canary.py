"""The canary rule: a planted secret value never appears in any output, log or file
warden writes, for every command, including failing ones. Only `warden get`
prints it, and only the child of `warden run` receives it.

Other capabilities keep their own canary tests beside their code; this one
covers the core commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden

CANARIES: dict[str, str] = {}


@pytest.fixture
def planted(project: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    values = {
        "api/API_TOKEN": make_canary("tok") + "abcdefgh",
        "api/SIGNING_KEY": "ab" * 8 + make_canary("sig"),  # invalid hex on purpose
        "shared/DATABASE_URL": "postgres://app:" + make_canary("db") + "@db/app",
    }
    for name, value in values.items():
        args = ["-c", str(project), "set", name, "--env", "dev", "--allow-invalid"]
        assert run_warden(*args, input=value).returncode == 0
    assert run_warden("-c", project, "set", "shop/SHOP_KEY", "--env", "dev", "--instance", "tenant-a",
                      input=make_canary("shop")).returncode == 0
    secrets = values.copy()
    # Every value warden generated is a canary too.
    for line in run_warden("-c", project, "ls", "--env", "dev").stdout.splitlines():
        name = line.split()[0]
        if "@" in name:
            ns_key, inst = name.split("@")
            got = run_warden("-c", project, "get", ns_key, "--env", "dev", "--instance", inst)
        else:
            got = run_warden("-c", project, "get", name, "--env", "dev")
        if got.returncode == 0:
            secrets[name] = got.stdout.rstrip("\n")
    return project, list(secrets.values())


INVOCATIONS: list[tuple[str, ...]] = [
    ("status",),
    ("status", "--env", "dev", "--format", "json", "--verbose"),
    ("status", "--env", "dev", "--format", "markdown"),
    ("ls", "--env", "dev"),
    ("ls", "--env", "dev", "--format", "json"),
    ("history", "api/API_TOKEN", "--env", "dev"),
    ("history", "api/API_TOKEN", "--env", "dev", "--format", "json"),
    ("check", "--service", "api", "--env", "dev"),
    ("check", "--service", "api", "--env", "dev", "--verify-values", "--format", "json"),
    ("check", "--service", "shop", "--env", "dev", "--verify-values"),
    ("check", "--service", "api", "--env", "dev", "--verify-values", "--allow-compromised"),
    ("run", "--service", "api", "--env", "dev", "--", sys.executable, "-c", "print('child ran')"),
    ("run", "--service", "api", "--env", "dev", "--", "/nonexistent/command"),
    ("run", "--service", "api", "--env", "dev", "--clean-env", "--pass-env", "LANG", "--", sys.executable, "-c", "print(1)"),
    ("run", "--service", "api", "--env", "dev", "--redact", "--pass-env", "PATH", "--", sys.executable, "-c", "print(1)"),
    ("bootstrap", "--env", "dev", "--dry-run"),
    ("bootstrap", "--env", "dev"),
    ("bootstrap", "--env", "prod"),
    ("set", "api/API_TOKEN", "--env", "dev"),  # stdin is the same value again: refused
    ("set", "api/SIGNING_KEY", "--env", "dev"),  # invalid value: refused
    ("rm", "api/API_TOKEN", "--env", "dev"),
    ("undelete", "api/API_TOKEN", "--env", "dev"),
    ("audit", "verify"),
    ("audit", "log", "--format", "json"),
    ("validate",),
    ("schema",),
    ("store", "verify", "--deep"),
    ("scan", "."),
    ("scan", ".", "--format", "markdown"),  # every shared findings format: sarif/json are in the scan and lint tests
    ("lint", ".", "--format", "markdown"),
    ("get", "api/API_TOKEN", "--env", "nope"),
    ("--debug", "get", "api/NOPE", "--env", "dev"),
    ("--debug", "set", "api/API_TOKEN", "--env", "dev"),
]


@pytest.mark.parametrize("args", INVOCATIONS, ids=lambda a: " ".join(a[:3]))
def test_no_value_in_any_output(planted: tuple[Path, list[str]], args: tuple[str, ...], tmp_path: Path, isolated_home: Path) -> None:
    contract, secrets = planted
    stdin = secrets[0] if args[0] in ("set", "--debug") else ""
    if args[:2] == ("set", "api/SIGNING_KEY"):
        stdin = "zz-" + secrets[0]
    result = run_warden("-c", contract, *args, input=stdin)
    files = [p for p in (tmp_path / ".warden").rglob("*") if p.is_file() and not p.name.endswith((".db", ".db-wal", ".db-shm"))]
    files += [p for p in (isolated_home / "cache").rglob("*") if p.is_file()]
    for value in secrets:
        assert value not in result.output, f"value leaked by warden {' '.join(args)}"
        for f in files:
            assert value.encode() not in f.read_bytes(), f"value leaked into {f}"


def test_get_and_run_child_do_see_values(planted: tuple[Path, list[str]]) -> None:
    contract, secrets = planted
    got = run_warden("-c", contract, "get", "api/API_TOKEN", "--env", "dev")
    assert got.stdout.strip() == secrets[0]
    r = run_warden("-c", contract, "run", "-s", "api", "-e", "dev", "--", sys.executable, "-c",
                   "import os; print(os.environ['API_TOKEN'])")
    # SIGNING_KEY is invalid, so run refuses: the child must not start.
    assert r.returncode == 1 and secrets[0] not in r.output


# Commands whose canary tests live beside their own code (they need fixtures of their own).
CANARY_ELSEWHERE = {
    "ci": "tests/lint/test_cli.py",
    "destroy": "tests/cli/test_core_commands.py",
    "get": "tests/cli/test_canary.py",
    "import": "tests/transfer/test_import_cli.py",
    "migrate": "tests/transfer/test_migrate_cli.py",
    "incident": "tests/cli/test_rotation_cli.py",
    "init": "tests/contract/test_discovery_cli.py",
    "isolation": "tests/cli/test_rotation_cli.py",
    "lint": "tests/lint/test_cli.py",
    "redact": "tests/redact/test_redact_cmd.py",
    "render": "tests/render/test_render_vault.py",
    "report": "tests/dashboard/test_cli.py",
    "rotate": "tests/cli/test_rotation_cli.py",
    "rotation": "tests/cli/test_rotation_cli.py",
    "scan": "tests/scan/test_scan_cli.py",
    "serve": "tests/dashboard/test_server.py",
    "sops": "tests/cli/test_sops_cmd.py",
    "sync": "tests/delivery/test_sync_cli.py",
}


def test_every_command_is_under_a_canary_test() -> None:
    from secretwarden.cli.main import COMMANDS

    here = {args[0] for args in INVOCATIONS if not args[0].startswith("-")} | {"set", "get"}
    root = Path(__file__).resolve().parents[2]
    for name in COMMANDS:
        if name in here:
            continue
        assert name in CANARY_ELSEWHERE, f"`warden {name}` is in no canary test: add it to INVOCATIONS"
        text = (root / CANARY_ELSEWHERE[name]).read_text()
        assert "canary" in text and f'"{name}"' in text, f"{CANARY_ELSEWHERE[name]} does not exercise `warden {name}`"
