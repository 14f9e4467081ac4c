"""docs/security.md: platform tokens are read from the environment and never logged, and API
errors name the status and path, never a request body: after syncs to every platform, good
token and bad, neither the token nor a value is in any output, the audit log or `.warden`."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.delivery.platform_server import PlatformServer
from tests.delivery.test_sync_cli import platform, project, sync  # noqa: F401  (the fixtures)

TARGETS = (("github", "--repo", "acme/shop"), ("fly", "--app", "shop-prod"), ("render", "--service-id", "srv-123"))


def test_no_token_in_any_output_or_file(project, platform) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    contract, values = project
    server: PlatformServer = platform[0]
    wrong = "wrong-" + secrets.token_hex(16)
    outputs = []
    for target in TARGETS:
        good = sync(contract, server, "--to", *target)
        assert good.returncode == 0, good.output
        bad = sync(contract, server, "--to", *target, token=wrong)
        assert bad.returncode == 3 and "401" in bad.stderr, bad.output
        outputs += [good.output, bad.output]
    files = "".join(p.read_text(errors="replace") for p in (Path(contract).parent / ".warden").rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json"))
    for secret in (server.state.token, wrong, *values.values()):
        assert not any(secret in text for text in outputs), secret[:6]
        assert secret not in files
