"""`warden redact` through the real CLI, with canary values from the store."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.runtime.stock import write_values


def _stock(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    values = {
        "api/API_TOKEN": make_canary("api"),
        "shared/DATABASE_URL": f"postgres://u:{make_canary('db')}@h/db",
    }
    for inst in ("tenant-a", "tenant-b"):
        values[f"shop/SHOP_KEY@{inst}"] = make_canary(inst)
    write_values(contract, "dev", values)
    return contract, values


def test_redact_cleans_a_log_with_every_secret_of_the_environment(tmp_path: Path) -> None:
    contract, values = _stock(tmp_path)
    token, db = values["api/API_TOKEN"], values["shared/DATABASE_URL"]
    log = "\n".join(
        [
            f"2026-01-01 INFO token={token}",
            f"payload {json.dumps({'url': db})}",
            "b64 " + base64.b64encode(("ab" + token).encode()).decode(),
            f"tenant a {values['shop/SHOP_KEY@tenant-a']} tenant b {values['shop/SHOP_KEY@tenant-b']}",
            "nothing secret here",
        ]
    ) + "\n"
    res = run_warden("--contract", contract, "redact", "--env", "dev", input=log)
    assert res.returncode == 0, res.stderr
    assert all(v not in res.output for v in values.values())
    lines = res.stdout.splitlines()
    assert lines[0] == "2026-01-01 INFO token=[REDACTED:API_TOKEN]"
    assert lines[1] == 'payload {"url": "[REDACTED:DATABASE_URL]"}'
    assert "[REDACTED:API_TOKEN]" in lines[2]
    assert lines[3] == "tenant a [REDACTED:SHOP_KEY] tenant b [REDACTED:SHOP_KEY]"
    assert lines[4] == "nothing secret here"
    assert "occurrence(s) redacted" in res.stderr
    audit = (tmp_path / ".warden" / "audit.jsonl").read_text()
    assert all(v not in audit for v in values.values())
    assert json.loads(audit.splitlines()[-1])["command"] == "redact"


def test_redact_one_service_from_the_environment(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT)
    token = make_canary()
    res = run_warden(
        "--contract", contract, "redact", "--env", "dev", "--service", "api", "--from-environ", "-q",
        input=f"x {token} y\n", env={"API_TOKEN": token, "TOKEN_TTL": "15m"},
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == "x [REDACTED:API_TOKEN] y\n" and res.stderr == ""


def test_redact_errors_are_one_line_and_leak_nothing(tmp_path: Path) -> None:
    contract, values = _stock(tmp_path)
    secret_log = " ".join(values.values())
    for args in (("--env", "qa"), ("--env", "dev", "--service", "nope")):
        res = run_warden("--contract", contract, "redact", *args, input=secret_log)
        assert res.returncode == 2
        assert res.stdout == ""
        assert res.stderr.startswith("warden: error: unknown ")
        assert all(v not in res.output for v in values.values())
