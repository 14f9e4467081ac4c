"""`warden` over a sops store, through the real CLI: reports without a key, `warden sops`, the canary rule."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_canary, run_warden
from tests.stores.sops.sops_support import AgeIdentity, new_identity

CONTRACT = """\
version: 1
project: sopsdemo
environments:
  dev: {{}}
  prod: {{production: true}}
instances: [tenant-a]
stores:
  repo:
    backend: sops
    options: {{format: {fmt}}}
namespaces:
  api: {{path: /services/api, owner: team-api}}
  shop: {{path: /services/shop, owner: team-shop}}
services:
  api:
    namespace: api
    secrets:
      API_TOKEN: {{min_length: 16, generate: {{kind: chars, length: 24}}}}
      TOKEN_TTL: {{sensitive: false, format: duration, generate: {{kind: literal, value: 15m}}}}
  shop:
    namespace: shop
    per_instance: true
    secrets:
      SHOP_KEY: {{generate: {{kind: chars, length: 32}}}}
"""


class Project:
    def __init__(self, root: Path, dev: AgeIdentity, prod: AgeIdentity) -> None:
        self.root, self.dev, self.prod = root, dev, prod

    def warden(self, *args: str, key: AgeIdentity | None = None, input: str | None = None) -> object:
        env = {"SOPS_AGE_KEY_FILE": str(key.key_file) if key else str(self.root / "no-such.agekey")}
        return run_warden(*args, cwd=self.root, env=env, input=input)


@pytest.fixture
def sops_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE", raising=False)
    monkeypatch.delenv("SOPS_AGE_KEY", raising=False)
    root = tmp_path / "proj"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "warden.yaml").write_text(CONTRACT.format(fmt="yaml"))
    keys = tmp_path / "keys"  # outside the project, as identities should be
    project = Project(root, new_identity(keys, "dev"), new_identity(keys, "prod"))
    res = project.warden("sops", "init", "-r", f"dev={project.dev.recipient}", "-r", f"prod={project.prod.recipient}")
    assert res.returncode == 0, res.output  # type: ignore[attr-defined]
    return project


def test_init_writes_rules_and_ignores(sops_project: Project) -> None:
    text = (sops_project.root / ".sops.yaml").read_text()
    assert text.index("# prod") < text.index("# dev")
    assert sops_project.prod.recipient in text and sops_project.dev.recipient in text
    assert "*.dec.*" in (sops_project.root / ".gitignore").read_text()
    res = sops_project.warden("sops", "init")  # exists: checked, not rewritten
    assert res.returncode == 0 and "Checked .sops.yaml" in res.stdout  # type: ignore[attr-defined]


def test_init_refuses_a_shared_production_recipient(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "warden.yaml").write_text(CONTRACT.format(fmt="yaml"))
    one = new_identity(tmp_path / "k")
    res = run_warden("sops", "init", "-r", f"dev={one.recipient}", "-r", f"prod={one.recipient}", cwd=root)
    assert res.returncode == 2 and "production" in res.stderr and "Traceback" not in res.stderr
    assert not (root / ".sops.yaml").exists()


def test_check_flags_prod_readable_by_dev(sops_project: Project) -> None:
    p = sops_project
    res = p.warden("set", "api/API_TOKEN", "--env", "prod", key=p.prod, input=make_canary() + "\n")
    assert res.returncode == 0, res.output  # type: ignore[attr-defined]
    cfg = p.root / ".sops.yaml"
    cfg.write_text(cfg.read_text().replace(p.prod.recipient, f"{p.prod.recipient},{p.dev.recipient}"))
    res = p.warden("sops", "check")
    assert res.returncode == 1  # type: ignore[attr-defined]
    assert "new prod files would be decryptable by dev recipient" in res.stderr  # type: ignore[attr-defined]
    # recipients are not pushed out while the config itself breaks isolation
    res = p.warden("sops", "recipients", key=p.prod)
    assert res.returncode == 1 and "not updated" in res.stderr  # type: ignore[attr-defined]


def test_recipients_reencrypts_for_new_prod_recipient(sops_project: Project, tmp_path: Path) -> None:
    p = sops_project
    value = make_canary()
    assert p.warden("set", "api/API_TOKEN", "--env", "prod", key=p.prod, input=value).returncode == 0  # type: ignore[attr-defined]
    newcomer = new_identity(tmp_path / "k2", "prod2")
    cfg = p.root / ".sops.yaml"
    cfg.write_text(cfg.read_text().replace(p.prod.recipient, f"{p.prod.recipient},{newcomer.recipient}"))
    assert p.warden("get", "api/API_TOKEN", "--env", "prod", key=newcomer).returncode == 3  # type: ignore[attr-defined]
    res = p.warden("sops", "recipients", "--env", "prod", key=p.prod)
    assert res.returncode == 0 and "1 file(s) updated" in res.stdout, res.output  # type: ignore[attr-defined]
    got = p.warden("get", "api/API_TOKEN", "--env", "prod", key=newcomer)
    assert got.returncode == 0 and got.stdout.strip() == value  # type: ignore[attr-defined]
    audit = (p.root / ".warden" / "audit.jsonl").read_text()
    assert "sops recipients" in audit and value not in audit


def test_reports_need_no_key_and_canary_never_leaks(sops_project: Project) -> None:
    p = sops_project
    assert p.warden("bootstrap", "--env", "dev", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    canary = make_canary()
    res = p.warden("set", "api/API_TOKEN", "--env", "dev", key=p.dev, input=canary + "\n")
    assert res.returncode == 0, res.output  # type: ignore[attr-defined]
    outputs = []

    def run(*args: str, key: AgeIdentity | None = None, input: str | None = None, expect: int | None = 0) -> str:
        res = p.warden(*args, key=key, input=input)
        outputs.append(res.output)  # type: ignore[attr-defined]
        if expect is not None:
            assert res.returncode == expect, (args, res.output)  # type: ignore[attr-defined]
        assert "Traceback" not in res.output  # type: ignore[attr-defined]
        return str(res.output)  # type: ignore[attr-defined]

    # no identity at all: names and metadata only
    assert "api" in run("status", "--env", "dev", "--verbose")
    run("status", "--env", "dev", "--format", "json")
    run("status", "--env", "dev", "--format", "markdown")
    assert "api/API_TOKEN" in run("ls", "--env", "dev")
    assert "v2" in run("history", "api/API_TOKEN", "--env", "dev")
    run("check", "--service", "api", "--env", "dev")
    run("sops", "check")
    run("sops", "recipients", "--dry-run")
    run("rotation", "status", "--env", "dev", expect=None)
    run("isolation", expect=None)
    run("audit", "verify")
    run("lint", ".", expect=None)
    # failing commands
    run("get", "api/API_TOKEN", "--env", "dev", expect=3)  # no identity
    run("get", "api/API_TOKEN", "--env", "dev", key=p.prod, expect=3)  # wrong identity
    run("set", "api/API_TOKEN", "--env", "dev", key=p.dev, input=canary, expect=1)  # reuse refused
    run("get", "api/API_TOKEN", "--env", "dev", "--version", "1", key=p.dev, expect=2)  # not retained
    run("run", "--service", "api", "--env", "dev", "--", "sh", "-c", "exit 7", key=p.dev, expect=7)
    for out in outputs:
        assert canary not in out
    # the two places a value may appear
    assert p.warden("get", "api/API_TOKEN", "--env", "dev", key=p.dev).stdout.strip() == canary  # type: ignore[attr-defined]
    child = p.warden("run", "--service", "api", "--env", "dev", "--", "sh", "-c", "echo $API_TOKEN", key=p.dev)
    assert child.stdout.strip() == canary  # type: ignore[attr-defined]
    # and never on disk: not in the encrypted file, the sidecar, the audit log
    for file in p.root.rglob("*"):
        if file.is_file() and ".git" not in file.parts:
            assert canary.encode() not in file.read_bytes(), file


def test_tampered_file_through_the_cli(sops_project: Project) -> None:
    p = sops_project
    assert p.warden("bootstrap", "--env", "dev", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    path = p.root / "secrets" / "dev" / "api.enc.yaml"
    path.write_text("".join(line for line in path.read_text().splitlines(True) if not line.startswith("TOKEN_TTL:")))
    before = path.read_bytes()
    res = p.warden("set", "api/API_TOKEN", "--env", "dev", key=p.dev, input=make_canary())
    assert res.returncode == 3 and "MAC mismatch" in res.stderr  # type: ignore[attr-defined]
    assert path.read_bytes() == before


def test_dotenv_store_works_with_sops_exec_env(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    ident = new_identity(tmp_path / "k")
    (root / "warden.yaml").write_text(
        CONTRACT.format(fmt="dotenv").replace("{format: dotenv}", f"{{format: dotenv, age: [{ident.recipient}]}}")
    )
    env = ident.env
    assert run_warden("bootstrap", "--env", "dev", cwd=root, env=env).returncode == 0
    from secretwarden.stores.sops.tool import sops_binary, sops_environ

    out = subprocess.run(
        [sops_binary(), "exec-env", str(root / "secrets" / "dev" / "api.enc.env"), "printenv TOKEN_TTL"],
        capture_output=True, text=True, env=sops_environ(env), check=True,
    )
    assert out.stdout.strip() == "15m"
    status = run_warden("status", "--env", "dev", "--format", "json", cwd=root)
    assert status.returncode == 0, status.output
    assert json.loads(status.stdout)


@pytest.mark.slow
def test_ci_fails_closed_on_an_unencrypted_secret_file(sops_project: Project) -> None:
    p = sops_project
    assert p.warden("bootstrap", "--env", "dev", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    leak = p.root / "secrets" / "prod" / "api.enc.yaml"
    leak.parent.mkdir(parents=True, exist_ok=True)
    value = make_canary()
    leak.write_text(f"API_TOKEN: {value}\n")  # "encrypted later", committed now
    subprocess.run(["git", "add", "-A"], cwd=p.root, check=True)
    sarif = p.root.parent / "ci.sarif"
    res = p.warden("ci", ".", "--sarif", str(sarif))
    assert res.returncode == 1, res.output  # type: ignore[attr-defined]
    found = [r for run in json.loads(sarif.read_text())["runs"] for r in run["results"]
             if r["ruleId"] == "sops-unencrypted"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in found] == [
        "secrets/prod/api.enc.yaml"
    ]
    assert value not in res.output  # type: ignore[attr-defined]


def test_rotate_data_key_through_the_cli(sops_project: Project) -> None:
    p = sops_project
    assert p.warden("bootstrap", "--env", "dev", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    before = {k: v for k, v in ((ln.split()[0], ln) for ln in p.warden("ls", "--env", "dev").stdout.splitlines())}  # type: ignore[attr-defined]
    res = p.warden("rotate", "--data-key", "--env", "dev", "--reason", "quarterly", key=p.dev)
    assert res.returncode == 0 and "data key(s)" in res.stdout, res.output  # type: ignore[attr-defined]
    log = p.warden("rotation", "log", "--format", "json").stdout  # type: ignore[attr-defined]
    assert '"source": "data-key"' in log or '"source":"data-key"' in log
    after = {k: v for k, v in ((ln.split()[0], ln) for ln in p.warden("ls", "--env", "dev").stdout.splitlines())}  # type: ignore[attr-defined]
    assert set(before) == set(after)  # values and versions untouched


def test_rotate_data_key_refused_where_there_is_none(project: Path) -> None:
    res = run_warden("-c", project, "rotate", "--data-key", "--env", "dev")
    assert res.returncode == 2 and "cannot rotate its data keys" in res.stderr and "sops stores" in res.stderr
