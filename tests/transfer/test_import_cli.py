"""`warden import`, run as the real CLI: every source kind, the plan table, provenance, and no value
in any output or file but the store."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden


@pytest.fixture
def project(tmp_path: Path) -> Path:
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(MINIMAL_CONTRACT)
    return contract


def imp(contract: Path, *args: str | Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_warden("-c", contract, "import", *args, env=env)


def rows(result) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {r["name"]: r for r in json.loads(result.stdout)["rows"]}


def test_dotenv_plan_then_write_then_nothing_left(project: Path) -> None:
    token = make_canary("tok") + "abcdefgh"
    db = f"postgres://app:{make_canary('db')}@db.internal:5432/app"
    source = project.parent / "legacy.env"
    source.write_text(
        f"# old settings\nexport API_TOKEN='{token}'\nDATABASE_URL=\"{db}\"\nSIGNING_KEY=changeme\n"
        "TOKEN_TTL=${TTL_FROM_ELSEWHERE}\nNODE_ENV=production\nnot a line\n"
    )
    dry = imp(project, source, "--env", "dev", "--dry-run", "--format", "json")
    assert dry.returncode == 1, dry.output  # two refusals
    plan = rows(dry)
    assert plan["API_TOKEN"]["status"] == "new" and plan["API_TOKEN"]["slot"] == "dev:api/API_TOKEN"
    assert plan["DATABASE_URL"]["slot"] == "dev:shared/DATABASE_URL"  # through the ref
    assert plan["SIGNING_KEY"]["status"] == "placeholder"
    assert plan["TOKEN_TTL"]["status"] == "placeholder"
    assert plan["NODE_ENV"]["status"] == "skipped"
    assert json.loads(dry.stdout)["written"] == []
    assert run_warden("-c", project, "ls", "--env", "dev").stdout.count("API_TOKEN") == 0

    done = imp(project, source, "--env", "dev")
    assert done.returncode == 1 and "wrote 2 value(s)" in done.stderr, done.output
    got = run_warden("-c", project, "get", "api/API_TOKEN", "--env", "dev")
    assert got.stdout.strip() == token
    again = imp(project, source, "--env", "dev", "--format", "json")
    assert rows(again)["API_TOKEN"]["status"] == "same" and json.loads(again.stdout)["written"] == []
    audit = (project.parent / ".warden" / "audit.jsonl").read_text()
    assert "imported from " + str(source) + ":2" in audit
    for result in (dry, done, again):
        assert token not in result.output and db not in result.output


def test_a_changed_value_is_a_new_version_and_an_old_one_is_refused(project: Path) -> None:
    first, second = make_canary("one") + "abcdefgh", make_canary("two") + "abcdefgh"
    source = project.parent / "a.env"
    for value, status in ((first, "new"), (second, "different"), (first, "reused")):
        source.write_text(f"API_TOKEN={value}\n")
        result = imp(project, source, "--env", "dev", "--format", "json")
        assert rows(result)["API_TOKEN"]["status"] == status, result.output
    history = run_warden("-c", project, "history", "api/API_TOKEN", "--env", "dev")
    assert history.stdout.count("import") >= 2


def test_json_yaml_namespace_mapping_and_instance(project: Path) -> None:
    shop = make_canary("shop")
    export = project.parent / "export.json"
    export.write_text(json.dumps({"api": {"API_TOKEN": make_canary("j") + "abcdefgh"}, "WEIRD_NAME": "x" * 20}))
    result = imp(project, export, "--env", "dev", "--format", "json")
    plan = rows(result)
    assert plan["API_TOKEN"]["status"] == "new" and plan["WEIRD_NAME"]["status"] == "skipped"
    mapping = project.parent / "map.yaml"
    mapping.write_text("LEGACY_SHOP: shop/SHOP_KEY\nIGNORED: skip\n")
    yaml_file = project.parent / "old.yaml"
    yaml_file.write_text(f"LEGACY_SHOP: {shop}\nIGNORED: whatever-value-1234\n")
    no_instance = imp(project, yaml_file, "--env", "dev", "--mapping", mapping, "--format", "json")
    assert rows(no_instance)["LEGACY_SHOP"]["status"] == "needs-instance"
    ok = imp(project, yaml_file, "--env", "dev", "--mapping", mapping, "--instance", "tenant-a", "--format", "json")
    assert rows(ok)["LEGACY_SHOP"]["slot"] == "dev@tenant-a:shop/SHOP_KEY" and ok.returncode == 0, ok.output
    assert rows(ok)["IGNORED"]["status"] == "skipped"
    by_ns = project.parent / "ns.env"
    by_ns.write_text(f"SIGNING_KEY={secrets.token_hex(16)}\n")
    assert rows(imp(project, by_ns, "--env", "dev", "--namespace", "api", "--format", "json"))["SIGNING_KEY"][
        "status"] == "new"


def test_invalid_format_is_refused_unless_allowed_and_delete_source(project: Path) -> None:
    source = project.parent / "bad.env"
    source.write_text("SIGNING_KEY=not-hex-at-all-" + make_canary() + "\n")
    refused = imp(project, source, "--env", "dev", "--delete-source")
    assert refused.returncode == 1 and "invalid" in refused.stdout and source.exists()
    source.write_text(f"SIGNING_KEY={secrets.token_hex(32)}\n")
    done = imp(project, source, "--env", "dev", "--delete-source")
    assert done.returncode == 0 and not source.exists(), done.output


def test_bad_input_is_a_clear_error(project: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)))
    binary = tmp_path / "bin.env"
    binary.write_bytes(b"\xff\xfe\x00KEY=1")
    for args in ((bomb,), (binary,), (tmp_path / "missing.env",), (tmp_path,)):
        result = imp(project, *args, "--env", "dev")
        assert result.returncode == 2 and "Traceback" not in result.output, (args, result.output)
    assert imp(project, bomb, "--env", "nope").returncode == 2


@pytest.mark.vault
def test_a_legacy_vault_path(project: Path, vault_server) -> None:  # type: ignore[no-untyped-def]
    token = make_canary("v") + "abcdefgh"
    path = "legacy" + secrets.token_hex(4) + "/app"
    vault_server.client().secrets.kv.v2.create_or_update_secret(
        path=path, secret={"API_TOKEN": token, "UNUSED": "x" * 12}, mount_point="secret")
    result = imp(project, f"vault:secret/{path}", "--env", "dev", "--format", "json", env=vault_server.env())
    assert result.returncode == 0 and rows(result)["API_TOKEN"]["status"] == "new", result.output
    assert rows(result)["API_TOKEN"]["origin"] == f"vault:secret/{path}#API_TOKEN"
    assert token not in result.output
    assert run_warden("-c", project, "get", "api/API_TOKEN", "--env", "dev").stdout.strip() == token


def test_a_sops_file(project: Path, tmp_path: Path) -> None:
    from secretwarden.stores.sops.tool import run_sops
    from tests.stores.sops.sops_support import new_identity

    ident = new_identity(tmp_path / "keys")
    token = make_canary("s") + "abcdefgh"
    plain = f"API_TOKEN={token}\n".encode()
    encrypted = run_sops(["encrypt", "--age", ident.recipient, "--input-type", "dotenv", "--output-type", "dotenv",
                          "/dev/stdin"], what="test", stdin=plain)
    source = project.parent / "secrets.sops.env"
    source.write_bytes(encrypted)
    result = imp(project, source, "--env", "dev", "--format", "json", env=ident.env)
    assert result.returncode == 0 and rows(result)["API_TOKEN"]["status"] == "new", result.output
    assert token not in result.output
    locked = imp(project, source, "--env", "dev")  # no identity here: a key error, not a crash
    assert locked.returncode == 3 and "Traceback" not in locked.output


def test_no_value_in_any_file_but_the_store(project: Path, isolated_home: Path) -> None:
    value = make_canary("file") + "abcdefgh"
    source = project.parent / "x.env"
    source.write_text(f"API_TOKEN={value}\nSIGNING_KEY=changeme\n")
    for args in (("--dry-run",), (), ("--format", "json"), ("--debug",)):
        result = run_warden("-c", project, *(a for a in args if a == "--debug"), "import", source, "--env", "dev",
                            *(a for a in args if a != "--debug"))
        assert value not in result.output
    store_files = {p for p in (project.parent / ".warden").glob("*.db*")}
    for path in [*project.parent.rglob("*"), *isolated_home.rglob("*")]:
        if path.is_file() and path not in store_files and path != source:
            assert value.encode() not in path.read_bytes(), path
