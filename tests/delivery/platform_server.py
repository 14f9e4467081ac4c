"""A local stand-in for the GitHub, Fly.io and Render APIs: the documented request and response
shapes (auth failures, rate limits, pagination), with what each platform would store kept in memory
so a test can check it. Loopback only; nothing here reaches a real platform."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class PlatformState:
    token: str
    public_key: bytes
    key_id: str = "key-1"
    repo: str = "acme/shop"
    github: dict[str, dict[str, str]] = field(default_factory=dict)  # scope -> name -> encrypted value
    fly_app: str = "shop-prod"
    fly: dict[str, str] = field(default_factory=dict)
    fly_releases: int = 0
    render_service: str = "srv-123"
    render: dict[str, str] = field(default_factory=dict)
    rate_limit_once: set[str] = field(default_factory=set)  # platform names still to rate-limit once
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    state: PlatformState

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            self._send(401, {"message": "Bad credentials"})
            return False
        return True

    def _limited(self, platform: str) -> bool:
        with self.state.lock:
            if platform not in self.state.rate_limit_once:
                return False
            self.state.rate_limit_once.discard(platform)
        if platform == "github":  # GitHub's primary rate limit: 403, remaining 0, reset time
            self._send(403, {"message": "API rate limit exceeded"},
                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 1)})
        else:
            self._send(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
        return True

    def do_GET(self) -> None:
        self._route("GET")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.state.requests.append((method, url.path))
        if not self._authorised():
            return
        path = unquote(url.path)
        gh = re.fullmatch(r"/repos/([^/]+/[^/]+)/(?:actions/secrets|environments/([^/]+)/secrets)(/public-key|/[^/]+)?",
                          path)
        if gh:
            return self._github(method, gh.group(1), gh.group(2), gh.group(3), query)
        if path == "/graphql" and method == "POST":
            return self._fly(self._body())
        rd = re.fullmatch(r"/v1/services/([^/]+)/env-vars(?:/([^/]+))?", path)
        if rd:
            return self._render(method, rd.group(1), rd.group(2), query)
        self._send(404, {"message": "Not Found"})

    def _github(self, method: str, repo: str, env: str | None, rest: str | None, query: dict[str, str]) -> None:
        if repo != self.state.repo:
            return self._send(404, {"message": "Not Found"})
        scope = self.state.github.setdefault(env or "", {})
        if rest == "/public-key" and method == "GET":
            return self._send(200, {"key_id": self.state.key_id,
                                    "key": base64.b64encode(self.state.public_key).decode()})
        if rest is None and method == "GET":
            per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
            names = sorted(scope)
            chunk = names[(page - 1) * per_page : page * per_page]
            return self._send(200, {"total_count": len(names), "secrets": [
                {"name": n, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
                for n in chunk]})
        if rest and method == "PUT":
            if self._limited("github"):
                return None
            body = self._body() or {}
            if body.get("key_id") != self.state.key_id or not body.get("encrypted_value"):
                return self._send(422, {"message": "Invalid request"})
            name = rest[1:]
            created = name not in scope
            scope[name] = body["encrypted_value"]
            return self._send(201 if created else 204)
        return self._send(404, {"message": "Not Found"})

    def _fly(self, body: Any) -> None:
        query = str((body or {}).get("query", ""))
        variables = (body or {}).get("variables") or {}
        if "setSecrets" in query:
            if self._limited("fly"):
                return None
            data = variables.get("input") or {}
            if data.get("appId") != self.state.fly_app:
                return self._send(200, {"data": None, "errors": [{"message": "Could not find App"}]})
            for item in data.get("secrets") or []:
                self.state.fly[str(item["key"])] = str(item["value"])
            self.state.fly_releases += 1
            return self._send(200, {"data": {"setSecrets": {"release": {"id": "r", "version": self.state.fly_releases},
                                                            "app": {"name": self.state.fly_app}}}})
        if variables.get("app") != self.state.fly_app:
            return self._send(200, {"data": {"app": None}, "errors": [{"message": "Could not find App"}]})
        secrets = [{"name": n, "digest": "d", "createdAt": "2026-01-01T00:00:00Z"} for n in sorted(self.state.fly)]
        return self._send(200, {"data": {"app": {"secrets": secrets}}})

    def _render(self, method: str, service: str, key: str | None, query: dict[str, str]) -> None:
        if service != self.state.render_service:
            return self._send(404, {"message": "service not found"})
        if key is None and method == "GET":
            limit = int(query.get("limit", 20))
            names = sorted(self.state.render)
            start = names.index(query["cursor"]) + 1 if query.get("cursor") in names else 0
            chunk = names[start : start + limit]
            return self._send(200, [{"envVar": {"key": n, "value": self.state.render[n]}, "cursor": n} for n in chunk])
        if key is not None and method == "PUT":
            if self._limited("render"):
                return None
            value = (self._body() or {}).get("value")
            if not isinstance(value, str):
                return self._send(400, {"message": "value required"})
            self.state.render[key] = value
            return self._send(200, {"key": key, "value": value})
        return self._send(404, {"message": "Not Found"})


class PlatformServer:
    def __init__(self, state: PlatformState) -> None:
        handler = type("Handler", (_Handler,), {"state": state})
        self.state = state
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PlatformServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
