"""`warden serve`: the dashboard live, read-only, from the stores' metadata.

Starlette routes, GET only, each rebuilding the model from metadata on every
request (so the pages follow the stores without a restart). A small ASGI guard
in front of the app enforces what must hold for every response, whatever the
route: only GET/HEAD (anything else is 405), the Host header names loopback
when bound to loopback (no DNS rebinding), the token when one is set
(constant-time comparison), and the security headers.

Binding off loopback needs `WARDEN_DASHBOARD_TOKEN`: `check_bind()` refuses
otherwise. The token is accepted as `Authorization: Bearer …`, or once as
`?token=…`, which sets an HttpOnly, SameSite=Strict cookie and redirects to the
same page without the token in its address.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from secretwarden.errors import UsageError, WardenError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from secretwarden.dashboard.model import CoverageCell, Dashboard
    from secretwarden.ops.workspace import Workspace

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV = "WARDEN_DASHBOARD_TOKEN"
TOKEN_MIN_LENGTH = 16
COOKIE = "warden_dashboard"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse an address other machines can reach unless a usable token is set."""
    if token is not None and len(token) < TOKEN_MIN_LENGTH:
        raise UsageError(
            f"{TOKEN_ENV} is shorter than {TOKEN_MIN_LENGTH} characters",
            hint="use a long random token, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    if not is_loopback(host) and not token:
        raise UsageError(
            f"refusing to serve the dashboard on {host}: it is reachable from other machines",
            hint=f"set {TOKEN_ENV} to a long random token (every request must then present it), or bind 127.0.0.1",
        )


def check_port(host: str, port: int) -> None:
    """Say plainly that the address is taken, before announcing a dashboard that will not start."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                             hint="choose another --port") from None


def security_headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"cache-control", b"no-store"),
        (b"pragma", b"no-cache"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]


@dataclass
class Guard:
    """ASGI middleware: method, host and token checks, and headers on every response."""

    app: ASGIApp
    token: str | None
    loopback: bool
    csp: str
    _headers: list[tuple[bytes, bytes]] = field(init=False)

    def __post_init__(self) -> None:
        self._headers = security_headers(self.csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets: close without accepting

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {h for h, _ in self._headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + self._headers
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope["method"] not in SAFE_METHODS:
            await _plain(send_with_headers, 405, "read-only dashboard: only GET is allowed\n", [(b"allow", b"GET, HEAD")])
            return
        if self.loopback and _host_name(headers.get("host", "")) not in LOOPBACK_NAMES:
            await _plain(send_with_headers, 400, "unexpected Host header for a loopback dashboard\n")
            return
        if self.token is not None:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            if "token" in query and self._matches(query["token"]):
                # Trade the token in the address for a cookie, then drop it from the address.
                rest = urlencode({k: v for k, v in query.items() if k != "token"})
                location = same_origin_path(scope["path"]) + (f"?{rest}" if rest else "")
                cookie = f"{COOKIE}={query['token']}; HttpOnly; SameSite=Strict; Path=/"
                await _plain(send_with_headers, 303, "see other\n",
                             [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode("latin-1"))])
                return
            if not self._authorised(headers):
                await _plain(send_with_headers, 401, "a dashboard token is required\n", [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send_with_headers)

    def _matches(self, offered: str) -> bool:
        assert self.token is not None
        return hmac.compare_digest(offered.encode("utf-8", "surrogateescape"), self.token.encode("utf-8"))

    def _authorised(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and self._matches(auth[7:].strip()):
            return True
        if "cookie" in headers:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # a malformed cookie header is simply not a token
                return False
            morsel = jar.get(COOKIE)
            if morsel is not None and self._matches(morsel.value):
                return True
        return False


def same_origin_path(path: str) -> str:
    """`path` as a redirect target that stays on this origin.

    A browser reads `//evil.com/` as another host, and turns a backslash into a
    slash first (`/\\evil.com/`), so a leading run of slashes and backslashes
    becomes one slash; the rest is percent-quoted again (ASGI hands the path
    decoded), so no backslash, control character or non-Latin-1 letter reaches
    the Location header.
    """
    from urllib.parse import quote

    return "/" + quote(path.lstrip("/\\"), safe="/:@!$&'()*+,;=-._~")


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()), *(extra or [])],
    })
    await send({"type": "http.response.body", "body": body})


@dataclass
class DashboardSource:
    """What each request rebuilds the model from."""

    contract_path: str | None
    envs: list[str] | None = None
    scan_results: Path | None = None
    lint_results: Path | None = None
    audit_limit: int = 200
    now: dt.datetime | None = None  # fixed clock (tests); None: the real time of each request

    def _workspace(self) -> Workspace:
        from secretwarden.ops.workspace import Workspace, utcnow

        fixed = self.now
        clock = (lambda: fixed) if fixed is not None else utcnow
        return Workspace.load(self.contract_path, command="serve", clock=clock)

    def build(self, parts: frozenset[str] | None = None) -> Dashboard:
        from secretwarden.dashboard.model import PARTS, build_dashboard

        with self._workspace() as ws:
            return build_dashboard(
                ws,
                self.envs,
                scan_results=self.scan_results,
                lint_results=self.lint_results,
                audit_limit=self.audit_limit,
                parts=PARTS if parts is None else parts,
            )

    def build_cell(self, wanted: str) -> tuple[Dashboard, CoverageCell] | None:
        """The coverage of the one service and environment a key list shows."""
        from secretwarden.dashboard.model import build_dashboard, parse_cell_id

        with self._workspace() as ws:
            found = parse_cell_id(ws, wanted)
            if found is None or (self.envs and found[0] not in self.envs):
                return None
            d = build_dashboard(ws, [found[0]], parts=frozenset({"coverage"}), service=found[1])
        cell = next((c for c in d.coverage.cells if c.id == wanted), None)
        return None if cell is None else (d, cell)


def create_app(source: DashboardSource, *, token: str | None, loopback: bool) -> ASGIApp:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    from secretwarden.dashboard.render import content_security_policy, render_page

    def page(name: str) -> Callable[[Request], Response]:
        # The overview summarises every section; the other pages build only their own.
        parts = None if name == "overview" else frozenset({name})

        def endpoint(request: Request) -> Response:
            d = source.build(parts)
            return HTMLResponse(render_page(d, name, filters=dict(request.query_params)))

        return endpoint

    def key_list(request: Request) -> Response:
        found = source.build_cell(request.path_params["cell_id"])
        if found is None:
            return PlainTextResponse("no such service and environment\n", status_code=404)
        d, cell = found
        return HTMLResponse(render_page(d, "coverage", cell=cell))

    def report_json(request: Request) -> Response:
        return PlainTextResponse(source.build().dumps(), media_type="application/json")

    async def warden_error(request: Request, exc: Exception) -> Response:
        # WardenError messages name slots and files, never values (errors.py's rule).
        return PlainTextResponse(f"warden: {exc}\n", status_code=500)

    routes = [Route("/", page("overview"), methods=["GET"])]
    routes += [Route(f"/{name}", page(name), methods=["GET"])
               for name in ("coverage", "rotation", "incidents", "isolation", "guardrails", "audit")]
    routes += [
        Route("/coverage/{cell_id}", key_list, methods=["GET"]),
        Route("/report.json", report_json, methods=["GET"]),
    ]
    app: Starlette = Starlette(routes=routes, exception_handlers={WardenError: warden_error})
    return Guard(app, token=token, loopback=loopback, csp=content_security_policy())


def serve(source: DashboardSource, *, host: str, port: int, token: str | None) -> None:
    import uvicorn

    check_bind(host, token)
    app = create_app(source, token=token, loopback=is_loopback(host))
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning",
                server_header=False, lifespan="off")
