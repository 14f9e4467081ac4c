"""Guardrail findings land on the right service when the contract is not at the repository's top.

`scan` and `lint` name files from the repository's top level; a service's
`source` is relative to the contract. Real git repository, real `warden scan`.
"""

from __future__ import annotations

import json
import secrets
import string
import subprocess
from pathlib import Path

from secretwarden.dashboard.model import build_guardrails
from secretwarden.ops.workspace import Workspace
from tests.conftest import run_warden

CONTRACT = """\
version: 1
project: paths
environments:
  dev: {}
namespaces:
  api: {path: /services/api, owner: team-api}
services:
  auth:
    namespace: api
    owner: team-auth
    source: ../services/auth
    secrets:
      API_TOKEN: {min_length: 16}
  pay:
    namespace: api
    owner: team-pay
    source: ./services/pay
    secrets:
      PAY_KEY: {min_length: 16}
"""


def _fake_token() -> str:  # built at run time: no format-valid token is committed
    return "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))


def test_scan_run_at_the_repository_top_maps_onto_services(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "infra" / "services" / "pay").mkdir(parents=True)
    (repo / "services" / "auth").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "infra" / "warden.yaml").write_text(CONTRACT)
    (repo / "services" / "auth" / "config.py").write_text(f'TOKEN = "{_fake_token()}"\n')
    (repo / "infra" / "services" / "pay" / "keys.py").write_text(f'KEY = "{_fake_token()}"\n')
    (repo / "elsewhere.py").write_text(f'KEY = "{_fake_token()}"\n')
    result = run_warden("scan", ".", "--format", "json", cwd=repo)
    assert result.returncode == 1, result.output
    results = tmp_path / "scan.json"
    results.write_text(result.stdout)
    assert {f["path"] for f in json.loads(result.stdout)["findings"]} >= {"services/auth/config.py"}
    with Workspace.load(repo / "infra" / "warden.yaml") as ws:
        found = {f.file: (f.service, f.owner) for f in build_guardrails(ws, scan_results=results).findings}
    assert found["services/auth/config.py"] == ("auth", "team-auth")
    assert found["infra/services/pay/keys.py"] == ("pay", "team-pay")
    assert found["elsewhere.py"] == (None, None)
