"""A Vault address that answers, but not as Vault: a web page or proxy where the server should be.

A 200 answer whose body is not JSON (an HTML page, a captive portal) was a
JSONDecodeError, exit 4, in `status`, `get`, `run` and `bootstrap`. A real
local socket plays the web server; the page it serves never appears.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CONTRACT, make_canary, run_warden
from tests.hostile.support import assert_clear_error


class WebPage:
    """Answers every request with 200 and an HTML page carrying a canary."""

    def __init__(self) -> None:
        self.page = make_canary("page")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                body = f"<html><body>{self.page}</body></html>".encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


@pytest.fixture
def web_page() -> Iterator[WebPage]:
    page = WebPage()
    yield page
    page.sock.close()


@pytest.mark.parametrize("command", [
    ["status", "--env", "dev"],
    ["get", "api/API_TOKEN", "--env", "dev"],
    ["run", "--service", "api", "--env", "dev", "--", "true"],
    ["bootstrap", "--env", "dev"],
])
def test_a_web_page_at_the_vault_address_is_a_store_error(tmp_path: Path, web_page: WebPage, command: list[str]) -> None:
    address = f"http://127.0.0.1:{web_page.port}"
    store = f"stores:\n  vault:\n    backend: vault\n    options: {{address: {address}, timeout: 5}}\n"
    contract = tmp_path / "warden.yaml"
    contract.write_text(MINIMAL_CONTRACT.replace("namespaces:\n", store + "namespaces:\n", 1))
    r = run_warden("-c", contract, *command, env={"VAULT_TOKEN": "t", "BAO_TOKEN": "t"})
    first = assert_clear_error(r, 3, canary=web_page.page)
    assert address in first and "not JSON" in first
