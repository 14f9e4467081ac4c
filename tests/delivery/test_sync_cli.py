"""`warden sync` against local servers that answer like GitHub, Fly.io and Render: what arrives there
(GitHub's sealed boxes opened with the repository's private key), only changed values pushed, the same
refusals as `run`, auth failures, rate limits and pagination, and no value in any output."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.public import PrivateKey, SealedBox

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.delivery.platform_server import PlatformServer, PlatformState


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    contract = tmp_path / "repo" / "warden.yaml"
    contract.parent.mkdir()
    contract.write_text(MINIMAL_CONTRACT)
    values = {
        "API_TOKEN": make_canary("tok") + "abcdefgh",
        "SIGNING_KEY": secrets.token_hex(32),
        "DATABASE_URL": "postgres://app:" + make_canary("db") + "@db/app",
    }
    for name, ns in (("API_TOKEN", "api"), ("SIGNING_KEY", "api"), ("DATABASE_URL", "shared")):
        assert run_warden("-c", contract, "set", f"{ns}/{name}", "--env", "dev", input=values[name]).returncode == 0
    assert run_warden("-c", contract, "set", "api/TOKEN_TTL", "--env", "dev", input="15m").returncode == 0
    return contract, values


@pytest.fixture
def platform() -> Iterator[tuple[PlatformServer, PrivateKey]]:
    key = PrivateKey.generate()
    state = PlatformState(token=secrets.token_hex(16), public_key=bytes(key.public_key))
    # Names already there, more than one page of each listing.
    state.github[""] = {f"OLD_{i:03d}": "x" for i in range(130)}
    state.render.update({f"OLD_{i:03d}": "x" for i in range(130)})
    with PlatformServer(state) as server:
        yield server, key


def env_for(server: PlatformServer, *, token: str | None = None) -> dict[str, str]:
    tok = token or server.state.token
    return {"WARDEN_GITHUB_API": server.url, "WARDEN_FLY_API": server.url, "WARDEN_RENDER_API": server.url,
            "GITHUB_TOKEN": tok, "FLY_API_TOKEN": tok, "RENDER_API_KEY": tok}


def sync(contract: Path, server: PlatformServer, *args: str, token: str | None = None):  # type: ignore[no-untyped-def]
    return run_warden("-c", contract, "sync", "--service", "api", "--env", "dev", *args,
                      env=env_for(server, token=token), timeout=120)


def test_github_sealed_boxes_open_with_the_repository_key(project, platform) -> None:  # type: ignore[no-untyped-def]
    contract, values = project
    server, key = platform
    dry = sync(contract, server, "--to", "github", "--repo", "acme/shop", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.output
    assert {n["name"]: n["action"] for n in json.loads(dry.stdout)["names"]}["API_TOKEN"] == "create"
    assert "API_TOKEN" not in server.state.github[""]
    server.state.rate_limit_once.add("github")
    done = sync(contract, server, "--to", "github", "--repo", "acme/shop")
    assert done.returncode == 0, done.output
    stored = server.state.github[""]
    box = SealedBox(key)
    for name in ("API_TOKEN", "SIGNING_KEY", "DATABASE_URL", "TOKEN_TTL"):
        assert box.decrypt(base64.b64decode(stored[name])).decode() == values.get(name, "15m")
    again = sync(contract, server, "--to", "github", "--repo", "acme/shop", "--format", "json")
    assert json.loads(again.stdout)["pushed"] == []  # nothing changed: nothing pushed
    new = make_canary("new") + "abcdefgh"
    assert run_warden("-c", contract, "set", "api/API_TOKEN", "--env", "dev", input=new).returncode == 0
    changed = sync(contract, server, "--to", "github", "--repo", "acme/shop", "--format", "json")
    assert json.loads(changed.stdout)["pushed"] == ["API_TOKEN"]
    assert box.decrypt(base64.b64decode(server.state.github[""]["API_TOKEN"])).decode() == new
    env_scope = sync(contract, server, "--to", "github", "--repo", "acme/shop", "--environment", "prod")
    assert env_scope.returncode == 0 and "API_TOKEN" in server.state.github["prod"]
    audit = (contract.parent / ".warden" / "audit.jsonl").read_text()
    assert '"command":"sync"' in audit
    for result in (dry, done, again, changed, env_scope):
        assert not any(v in result.output for v in (*values.values(), new))


def test_fly_one_release_and_render_pages(project, platform) -> None:  # type: ignore[no-untyped-def]
    contract, values = project
    server, _ = platform
    server.state.rate_limit_once.update({"fly", "render"})
    fly = sync(contract, server, "--to", "fly", "--app", "shop-prod")
    assert fly.returncode == 0, fly.output
    assert server.state.fly["API_TOKEN"] == values["API_TOKEN"] and server.state.fly_releases == 1
    render = sync(contract, server, "--to", "render", "--service-id", "srv-123", "--format", "json")
    assert render.returncode == 0, render.output
    assert server.state.render["DATABASE_URL"] == values["DATABASE_URL"]
    again = sync(contract, server, "--to", "render", "--service-id", "srv-123", "--format", "json")
    assert json.loads(again.stdout)["pushed"] == []
    forced = sync(contract, server, "--to", "render", "--service-id", "srv-123", "--force", "--format", "json")
    assert len(json.loads(forced.stdout)["pushed"]) == 4
    for result in (fly, render, again, forced):
        assert not any(v in result.output for v in values.values())


def test_refusals_are_clear_and_push_nothing(project, platform) -> None:  # type: ignore[no-untyped-def]
    contract, values = project
    server, _ = platform
    bad_token = sync(contract, server, "--to", "github", "--repo", "acme/shop", token="wrong")
    assert bad_token.returncode == 3 and "HTTP 401" in bad_token.stderr, bad_token.output
    no_repo = sync(contract, server, "--to", "github", "--repo", "acme/other")
    assert no_repo.returncode == 2 and "HTTP 404" in no_repo.stderr
    no_app = sync(contract, server, "--to", "fly", "--app", "nope")
    assert no_app.returncode == 2 and "Could not find App" in no_app.stderr
    missing_flag = sync(contract, server, "--to", "render")
    assert missing_flag.returncode == 2 and "--service-id" in missing_flag.stderr
    # The same gate as `run`: a compromised key refuses the whole sync.
    assert run_warden("-c", contract, "incident", "open", "api/API_TOKEN", "--env", "dev",
                      "--reason", "leak").returncode == 0
    refused = sync(contract, server, "--to", "render", "--service-id", "srv-123")
    assert refused.returncode == 1 and "API_TOKEN" in refused.stderr, refused.output
    assert "API_TOKEN" not in server.state.render
    for result in (bad_token, no_repo, no_app, missing_flag, refused):
        assert "Traceback" not in result.output
        assert not any(v in result.output for v in values.values())
