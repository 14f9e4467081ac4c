"""A lean HTTP path for the store's bulk requests (KV data and metadata reads and writes).

hvac over `requests` spends about 0.8 ms of CPU per request here (header merging,
URL parsing, hooks, response wrapping); `http.client` on a kept-alive connection
per thread spends about 0.17 ms. On a two-core machine shared with the server,
that CPU is taken from the server: bootstrap and status send one or two requests
per path, tens of thousands at a time.

Failures look exactly like hvac's, so `errors.call` treats them the same way:
an error status raises hvac's exception for it (`hvac.utils.raise_for_error`),
a refused or dropped connection raises `requests`' ConnectionError, a timeout
its ConnectTimeout/ReadTimeout. A redirect (a standby node) is not followed
here: the caller sends that request again through hvac, which follows it.
Only single-server stores use this path; a cluster's requests stay on hvac,
which the leader-following code re-points.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit


class Redirected(Exception):
    """The server answered with a redirect: send the request through hvac instead."""


class FastTransport:
    def __init__(self, address: str, verify: bool | str, timeouts: tuple[float, float], namespace: str | None) -> None:
        parts = urlsplit(address)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.base = parts.path.rstrip("/")
        self.address = address.rstrip("/")
        self.connect_timeout, self.read_timeout = timeouts
        self.namespace = namespace
        self._context: ssl.SSLContext | None = None
        if self.https:
            if verify is False:
                self._context = ssl._create_unverified_context()  # the user chose skip_verify (warned)
            else:
                import os

                # As `requests` would: the store's CA bundle, else the one the environment names.
                bundle = verify if isinstance(verify, str) else (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                )
                self._context = ssl.create_default_context(cafile=bundle or None)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.https:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout, context=self._context)
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
            self._connect(conn)
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _connect(self, conn: http.client.HTTPConnection) -> None:
        import requests

        try:
            conn.connect()
        except TimeoutError:
            raise requests.exceptions.ConnectTimeout("no connection accepted in time") from None
        except OSError:
            raise requests.exceptions.ConnectionError("connection refused") from None
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock.settimeout(self.read_timeout)

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def request(self, method: str, path: str, token: str | None, body: Any = None, content_type: str = "application/json") -> Any:
        """hvac's JSON adapter's answer: the decoded body of a 200, else None (204)."""
        import requests

        headers = {"X-Vault-Request": "true", "Content-Type": content_type}
        if token:
            headers["X-Vault-Token"] = token
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        payload = None if body is None else json.dumps(body)
        conn = self._connection()
        try:
            conn.request(method, self.base + path, body=payload, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except TimeoutError:
            self._drop()
            raise requests.exceptions.ReadTimeout("timed out") from None
        except (OSError, http.client.HTTPException):
            # Reset, refused, or a kept-alive connection the server closed: call() decides to resend.
            self._drop()
            raise requests.exceptions.ConnectionError("connection reset") from None
        if resp.will_close:
            self._drop()
        status = resp.status
        if 300 <= status < 400:
            raise Redirected(resp.getheader("Location") or "")
        if status >= 400:
            self._raise(method, path, status, raw)
        if status == 200 and raw:
            try:
                return json.loads(raw)
            except ValueError:  # a web server or proxy at the address, not Vault: its page is not shown
                from secretwarden.errors import StoreUnavailable

                raise StoreUnavailable(
                    f"Vault at {self.address} answered {path} with something that is not JSON",
                    hint="check that the store's `address` (or VAULT_ADDR) is a Vault/OpenBao server, not a proxy or web page",
                ) from None
        return None

    @staticmethod
    def _raise(method: str, path: str, status: int, raw: bytes) -> None:
        from hvac import utils

        text = raw.decode("utf-8", "replace")
        errors = None
        data: Any = None
        try:
            data = json.loads(raw) if raw else None
            errors = data.get("errors") if isinstance(data, dict) else None
        except ValueError:
            pass
        utils.raise_for_error(method, path, status, errors=errors, text=text, json=data)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
