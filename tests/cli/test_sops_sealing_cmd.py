"""A tampered sops sidecar through the real CLI: `run`, `get`, `set`, `check` fail closed (exit 3);
`store verify` and `audit verify` report it (exit 1)."""

from __future__ import annotations

import json

from tests.cli.test_sops_cmd import Project, sops_project  # noqa: F401  (the fixture)
from tests.conftest import make_canary


def test_edited_sidecar_is_tampering_everywhere(sops_project: Project) -> None:  # noqa: F811
    p = sops_project
    assert p.warden("bootstrap", "--env", "dev", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    canary = make_canary()
    assert p.warden("set", "api/API_TOKEN", "--env", "dev", key=p.dev, input=canary + "\n").returncode == 0  # type: ignore[attr-defined]
    assert p.warden("incident", "open", "api/API_TOKEN", "--env", "dev", "--reason", "leak", key=p.dev).returncode == 0  # type: ignore[attr-defined]
    side = p.root / "secrets" / "dev" / "api.enc.yaml.warden.json"
    doc = json.loads(side.read_text())
    doc["keys"]["API_TOKEN"].pop("compromised_at", None)
    doc["keys"]["API_TOKEN"]["versions"][-1]["by"] = "someone-else"
    side.write_text(json.dumps(doc))
    args: tuple[str, ...]
    for args, key in (
        (("run", "--service", "api", "--env", "dev", "--", "true"), p.dev),
        (("get", "api/API_TOKEN", "--env", "dev"), p.dev),
        (("check", "--service", "api", "--env", "dev"), None),
        (("set", "api/API_TOKEN", "--env", "dev"), p.dev),
    ):
        res = p.warden(*args, key=key, input=make_canary() + "\n")
        assert res.returncode == 3, (args, res.output)  # type: ignore[attr-defined]
        assert "tampering" in res.stderr and "Traceback" not in res.output  # type: ignore[attr-defined]
        assert canary not in res.output  # type: ignore[attr-defined]
    for args in (("store", "verify"), ("audit", "verify")):
        res = p.warden(*args)
        assert res.returncode in (1, 3) and "tampering" in res.output, (args, res.output)  # type: ignore[attr-defined]
