"""`warden run --redact` through the real CLI: redacted output, line by line, exit codes, signals."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import run_warden

CHILD_LEAKS = textwrap.dedent(
    """
    import base64, json, os, sys
    from urllib.parse import quote
    tok, db = os.environ["APP_TOKEN"], os.environ["DB_URL"]
    print("token", tok, "ttl", os.environ["APP_TTL"])
    print("json", json.dumps({"db": db}))
    print("url", quote(db, safe=""))
    print("b64", base64.b64encode(b"x" + tok.encode()).decode())
    print("stderr", tok, file=sys.stderr)
    raise SystemExit(int(sys.argv[1]))
    """
)


def warden_argv(contract: Path, *rest: str) -> list[str]:
    return [sys.executable, "-m", "secretwarden", "--contract", str(contract), *rest]


def test_output_is_redacted_and_exit_code_kept(rt_contract: Path, stocked: dict[str, str]) -> None:
    res = run_warden(
        "--contract", rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--",
        sys.executable, "-c", CHILD_LEAKS, "7",
    )
    assert res.returncode == 7, res.stderr
    for name in ("APP_TOKEN", "APP_SIGNING", "DB_URL"):
        value = stocked[name]
        assert value not in res.output
        assert quote(value, safe="") not in res.output
    assert "token [REDACTED:APP_TOKEN] ttl 15m" in res.stdout  # plain config values are not redacted
    assert 'json {"db": "[REDACTED:DB_URL]"}' in res.stdout
    assert "url [REDACTED:DB_URL]" in res.stdout
    assert "[REDACTED:APP_TOKEN]" in res.stdout.split("b64 ", 1)[1]
    assert "stderr [REDACTED:APP_TOKEN]" in res.stderr
    b64 = base64.b64encode(b"x" + stocked["APP_TOKEN"].encode()).decode()
    assert b64[4:-4] not in res.output
    audit = (rt_contract.parent / ".warden" / "audit.jsonl").read_text()
    assert all(v not in audit for v in stocked.values() if len(v) > 8)
    assert json.loads(audit.splitlines()[-1])["command"] == "run"


@pytest.mark.timeout(120)
def test_lines_appear_while_the_child_is_still_running(rt_contract: Path, stocked: dict[str, str], tmp_path: Path) -> None:
    go = tmp_path / "go"
    child = textwrap.dedent(
        """
        import os, sys, time
        print("first", os.environ["APP_TOKEN"], flush=True)
        while not os.path.exists(sys.argv[1]):  # wait for the test to have read the first line
            time.sleep(0.01)
        print("second", flush=True)
        """
    )
    proc = subprocess.Popen(
        warden_argv(rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--", sys.executable, "-c", child, str(go)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    # If warden held the line back, this read would block and the child would wait forever.
    assert proc.stdout.readline() == "first [REDACTED:APP_TOKEN]\n"
    go.touch()
    out, err = proc.communicate(timeout=60)
    assert out == "second\n" and proc.returncode == 0, err


@pytest.mark.timeout(120)
def test_signals_are_forwarded_and_the_childs_death_is_reproduced(rt_contract: Path, stocked: dict[str, str]) -> None:
    handles = textwrap.dedent(
        """
        import os, signal, sys, time
        def on_term(signum, frame):
            print("got TERM while holding", os.environ["APP_TOKEN"], flush=True)
            raise SystemExit(5)
        signal.signal(signal.SIGTERM, on_term)
        print("ready", flush=True)
        while True:
            time.sleep(1)
        """
    )
    dies = "import time; print('ready', flush=True); time.sleep(600)"
    for child, expected_rc, expected_out in ((handles, 5, "got TERM while holding [REDACTED:APP_TOKEN]\n"), (dies, -signal.SIGTERM, "")):
        proc = subprocess.Popen(
            warden_argv(rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--", sys.executable, "-c", child),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == expected_rc, err
        assert out == expected_out
        assert stocked["APP_TOKEN"] not in out + err


def test_fails_closed_and_leaks_nothing_when_a_key_is_missing(rt_contract: Path) -> None:
    res = run_warden("--contract", rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--", "true")
    assert res.returncode == 1
    assert res.stdout == ""
    assert "APP_TOKEN: missing" in res.stderr


def test_unknown_command_is_a_one_line_error(rt_contract: Path, stocked: dict[str, str]) -> None:
    res = run_warden("--contract", rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--", "no-such-command-xyz")
    assert res.returncode == 2
    assert res.stderr.startswith("warden: error: command not found: no-such-command-xyz")
    assert all(v not in res.output for v in stocked.values() if len(v) > 8)


@pytest.mark.timeout(120)
def test_on_a_terminal_the_child_gets_a_terminal_too(rt_contract: Path, stocked: dict[str, str]) -> None:
    import pty

    child = "import os, sys; print('tty', sys.stdout.isatty(), os.environ['APP_TOKEN'])"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        warden_argv(rt_contract, "run", "-s", "app", "-e", "dev", "--redact", "--", sys.executable, "-c", child),
        stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO once every writer has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode()
    assert "tty True [REDACTED:APP_TOKEN]" in text
    assert stocked["APP_TOKEN"] not in text
