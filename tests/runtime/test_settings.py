"""`load_settings` / `require`: typed, fail-fast settings from the contract."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from secretwarden.errors import SettingsInvalid, UsageError
from secretwarden.runtime import load_settings, require
from tests.conftest import make_canary, run_warden


def good_env(token: str) -> dict[str, str]:
    return {
        "APP_TOKEN": token,
        "APP_SIGNING": "ab" * 20,
        "APP_TTL": "15m",
        "APP_RETRIES": "3",
        "APP_SHARE": "12.5",
        "DB_URL": f"postgres://app:{token}@db.internal/app",
    }


def test_typed_model_from_environment(rt_contract: Path) -> None:
    token = make_canary("tok")
    s = load_settings("app", "dev", contract_path=rt_contract, environ=good_env(token))
    assert isinstance(s.APP_TOKEN, SecretStr) and s.APP_TOKEN.get_secret_value() == token  # type: ignore[attr-defined]
    assert s.APP_TTL.total_seconds() == 900  # type: ignore[attr-defined]
    assert s.APP_RETRIES == 3 and s.APP_SHARE == 12.5  # type: ignore[attr-defined]
    assert s.APP_VERBOSE is None and s.APP_HOOK is None  # type: ignore[attr-defined]
    assert token not in repr(s) and token not in str(s)
    with pytest.raises(ValidationError):  # frozen
        s.APP_TTL = dt.timedelta(0)  # type: ignore[attr-defined]


def test_every_problem_in_one_error_by_key_name_never_a_value(rt_contract: Path) -> None:
    token = make_canary("bad")
    env = {
        "APP_TOKEN": token[:8],  # too short
        "APP_SIGNING": token,  # not hex
        "APP_TTL": token,  # not a duration
        "APP_RETRIES": token,  # optional and invalid: left out, never a blocker (docs/verdict.md)
        "APP_SHARE": "",  # empty counts as missing
    }
    with pytest.raises(SettingsInvalid) as info:
        load_settings("app", "dev", contract_path=rt_contract, environ=env)
    exc = info.value
    keys = [p.split(":", 1)[0] for p in exc.problems]
    assert keys == ["APP_TOKEN", "APP_SIGNING", "APP_TTL", "APP_SHARE", "DB_URL"]
    assert "APP_SHARE: missing (dev:app/APP_SHARE)" in exc.problems
    assert "DB_URL: missing (dev:shared/DB_URL)" in exc.problems
    everything = str(exc) + repr(exc) + json.dumps(exc.problems) + str(exc.hint)
    assert token not in everything and token[:8] not in everything
    assert exc.exit_code == 1


def test_environment_from_warden_env_or_unambiguous(rt_contract: Path) -> None:
    token = make_canary()
    env = good_env(token)
    # Every environment has the same keys for `app`: no env needed.
    assert load_settings("app", contract_path=rt_contract, environ=env).APP_TTL  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="unknown service"):
        load_settings("apq", contract_path=rt_contract, environ=env)
    with pytest.raises(UsageError, match="unknown environment"):
        load_settings("app", contract_path=rt_contract, environ={**env, "WARDEN_ENV": "qa"})
    with pytest.raises(UsageError, match="does not run"):
        load_settings("staging-only", "dev", contract_path=rt_contract, environ=env)


def test_contract_found_through_warden_contract(rt_contract: Path) -> None:
    env = {**good_env(make_canary()), "WARDEN_CONTRACT": str(rt_contract)}
    assert load_settings("app", "dev", environ=env).APP_RETRIES == 3  # type: ignore[attr-defined]


def test_direct_vault_reads_the_store_and_audits(rt_contract: Path) -> None:
    token = make_canary("vault")
    assert run_warden("--contract", rt_contract, "set", "batch/BATCH_TOKEN", "--env", "dev", input=token).returncode == 0
    assert run_warden("--contract", rt_contract, "set", "batch/BATCH_LIMIT", "--env", "dev", input="40").returncode == 0
    decoy = make_canary("decoy")  # in the environment, but a direct-vault service reads the store
    s = load_settings("batch", "dev", contract_path=rt_contract, environ={"BATCH_TOKEN": decoy})
    assert s.BATCH_TOKEN.get_secret_value() == token  # type: ignore[attr-defined]
    assert s.BATCH_LIMIT == 40 and s.BATCH_OPTIONAL is None  # type: ignore[attr-defined]
    audit = (rt_contract.parent / ".warden" / "audit.jsonl").read_text()
    last = json.loads(audit.splitlines()[-1])
    assert last["command"] == "runtime" and last["outcome"] == "ok" and "dev:batch/BATCH_TOKEN" in last["keys"]
    assert token not in audit


def test_direct_vault_missing_key_fails_with_key_names(rt_contract: Path) -> None:
    with pytest.raises(SettingsInvalid) as info:
        load_settings("batch", "dev", contract_path=rt_contract, environ={})
    assert [p.split(":", 1)[0] for p in info.value.problems] == ["BATCH_TOKEN", "BATCH_LIMIT"]


def test_direct_vault_needs_an_environment(rt_contract: Path) -> None:
    with pytest.raises(UsageError, match="WARDEN_ENV"):
        load_settings("batch", contract_path=rt_contract, environ={})


def test_require_exits_with_the_list_on_stderr(rt_contract: Path) -> None:
    token = make_canary("req")
    script = textwrap.dedent(
        """
        import sys
        from secretwarden.runtime import require
        require("app", "dev", contract_path=sys.argv[1])
        print("started")
        """
    )
    env = {"APP_TOKEN": token, "APP_SIGNING": token, "APP_TTL": "15m", "APP_SHARE": "5"}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(rt_contract)],
        capture_output=True, text=True, timeout=60, env={**_base_env(), **env},
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[:3] == [
        "app: cannot start: 2 problem(s) with its settings",
        "  APP_SIGNING: invalid: does not match format `hex` (hexadecimal characters)",
        "  DB_URL: missing (dev:shared/DB_URL)",
    ]
    assert token not in proc.stderr
    ok = subprocess.run(
        [sys.executable, "-c", script, str(rt_contract)],
        capture_output=True, text=True, timeout=60, env={**_base_env(), **good_env(token)},
    )
    assert ok.returncode == 0 and ok.stdout == "started\n"


def test_require_reports_a_contract_error_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        require("app", "dev", contract_path=tmp_path / "missing.yaml", environ={})
    assert info.value.code == 2


def test_import_is_light() -> None:
    probe = "import sys, secretwarden.runtime, secretwarden.redact; print(sorted(m for m in ('pydantic', 'yaml', 'click', 'hyperscan', 'cryptography') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_second_start_skips_the_contract_model(rt_contract: Path) -> None:
    probe = textwrap.dedent(
        """
        import sys
        from secretwarden.runtime import load_settings
        load_settings("app", "dev", contract_path=sys.argv[1])
        print("secretwarden.contract.model" in sys.modules)
        """
    )
    env = {**_base_env(), **good_env(make_canary())}
    runs = [
        subprocess.run([sys.executable, "-c", probe, str(rt_contract)], capture_output=True, text=True, timeout=60, env=env)
        for _ in range(2)
    ]
    assert [r.stdout for r in runs] == ["True\n", "False\n"], runs[0].stderr + runs[1].stderr
    # Editing the contract changes its digest: the next start reads it again.
    rt_contract.write_text(rt_contract.read_text() + "\n# edited\n")
    again = subprocess.run([sys.executable, "-c", probe, str(rt_contract)], capture_output=True, text=True, timeout=60, env=env)
    assert again.stdout == "True\n"


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("APP_") and k != "DB_URL"}


def test_install_redaction_for_a_service(rt_contract: Path) -> None:
    import io
    import logging

    from secretwarden.redact import install

    token = make_canary("inst")
    env = good_env(token)
    installed = install("app", "dev", contract_path=rt_contract, environ=env, excepthook=False, structlog=False)
    try:
        assert set(installed.redactor.names) == {"APP_TOKEN", "APP_SIGNING", "DB_URL"}  # sensitive keys only
        buf = io.StringIO()
        logger = logging.getLogger("test.runtime.install")
        logger.propagate = False
        handler = logging.StreamHandler(buf)
        logger.addHandler(handler)
        logger.warning("connecting to %s with ttl %s", env["DB_URL"], env["APP_TTL"])
        logger.removeHandler(handler)
    finally:
        installed.uninstall()
    assert buf.getvalue() == "connecting to [REDACTED:DB_URL] with ttl 15m\n"


def test_key_names_that_are_not_identifiers_keep_their_name_as_alias(tmp_path: Path) -> None:
    contract = tmp_path / "warden.yaml"
    contract.write_text(
        "version: 1\nproject: odd\nenvironments: {dev: {}}\nnamespaces: {legacy: {path: /legacy}}\n"
        "services:\n  legacy:\n    namespace: legacy\n    secrets:\n"
        "      legacy-api.key: {min_length: 8}\n      model_name: {sensitive: false}\n"
    )
    value = make_canary()
    s = load_settings("legacy", "dev", contract_path=contract, environ={"legacy-api.key": value, "model_name": "m1"})
    dumped = s.model_dump(by_alias=True)
    assert set(dumped) == {"legacy-api.key", "model_name"}
    assert dumped["legacy-api.key"].get_secret_value() == value
    assert s.k_model_name == "m1"  # type: ignore[attr-defined]
