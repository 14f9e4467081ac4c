"""The retry loop of the Vault backend against a real HTTP server that misbehaves like a cluster mid-election."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from secretwarden.errors import StoreSealed
from secretwarden.stores.vault.errors import RetryPolicy, ServerUnreachable, call


class ElectionServer(ThreadingHTTPServer):
    """Answers the first `loops` requests with a redirect to itself, then 200 (or 503 sealed)."""

    def __init__(self, loops: int, sealed: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.loops = loops
        self.sealed = sealed
        self.seen = 0
        self.lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ElectionServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen += 1
            looping = self.server.seen <= self.server.loops
        if looping:
            self.send_response(307)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, body = (503, {"errors": ["Vault is sealed"]}) if self.server.sealed else (200, {"data": {"ok": True}})
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serve(loops: int, sealed: bool = False) -> Iterator[ElectionServer]:
    server = ElectionServer(loops, sealed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def looping_then_ok() -> Iterator[ElectionServer]:
    # requests gives up after 30 redirects: the first attempt fails with TooManyRedirects.
    with serve(loops=40) as server:
        yield server


def _client(address: str):  # type: ignore[no-untyped-def]
    import hvac

    return hvac.Client(url=address, token="t")


def test_a_redirect_loop_during_an_election_is_waited_out(looping_then_ok: ElectionServer) -> None:
    client = _client(looping_then_ok.address)
    retries: list[int] = []
    result = call(
        lambda: client.adapter.get("/v1/secret/metadata/x"),
        address=looping_then_ok.address,
        what="secret/metadata/x",
        capability="read",
        retry=RetryPolicy(deadline=30),
        failover=lambda: False,  # no other node leads yet
        on_retry=lambda: retries.append(1),
    )
    assert result["data"] == {"ok": True} and retries


def test_a_redirect_loop_that_never_ends_is_a_clear_error() -> None:
    with serve(loops=10**9) as server:
        client = _client(server.address)
        with pytest.raises(ServerUnreachable) as err:
            call(
                lambda: client.adapter.get("/v1/secret/metadata/x"),
                address=server.address,
                what="secret/metadata/x",
                capability="read",
                retry=RetryPolicy(deadline=0.5),
                failover=lambda: False,
            )
        assert "redirect loop" in err.value.message


def test_a_sealed_single_server_fails_at_once_and_a_sealed_cluster_node_is_skipped() -> None:
    with serve(loops=0, sealed=True) as server:
        client = _client(server.address)
        with pytest.raises(StoreSealed):
            call(lambda: client.adapter.get("/v1/x"), address=server.address, what="x", capability="read",
                 retry=RetryPolicy(deadline=30))
        assert server.seen == 1
        # In a cluster the sealed node is retried (another node may lead soon) until the deadline.
        with pytest.raises(StoreSealed) as err:
            call(lambda: client.adapter.get("/v1/x"), address=server.address, what="x", capability="read",
                 retry=RetryPolicy(deadline=0.5), failover=lambda: False)
        assert server.seen > 2 and "no other node took over" in err.value.message
