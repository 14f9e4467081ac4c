"""Security of `warden serve`: read-only, loopback by default, token off loopback,
strict headers on every response, no value on any page."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    # starlette suggests `httpx2` for its test client; plain httpx still works the same.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from secretwarden.dashboard.server import DashboardSource, check_bind, create_app, is_loopback
from secretwarden.errors import UsageError
from tests.dashboard.conftest import Project, fixed_now, start_server, stop_server

ROUTES = ["/", "/coverage", "/coverage/dev--auth", "/rotation", "/incidents", "/isolation",
          "/guardrails", "/audit", "/report.json"]
TOKEN = "t" * 8 + "-dashboard-test-token"  # not a credential format; built for the test


def _source(p: Project) -> DashboardSource:
    return DashboardSource(str(p.contract), scan_results=p.scan_results, lint_results=p.lint_results,
                           now=fixed_now())


@pytest.fixture
def client(commerce_env: Project) -> Iterator[TestClient]:
    app = create_app(_source(commerce_env), token=None, loopback=True)
    with TestClient(app, base_url="http://127.0.0.1:8765") as c:
        yield c


@pytest.fixture
def remote(commerce_env: Project) -> Iterator[TestClient]:
    """The app as it runs off loopback: token required."""
    app = create_app(_source(commerce_env), token=TOKEN, loopback=False)
    with TestClient(app, base_url="http://dashboard.internal") as c:
        yield c


def test_every_page_answers_with_the_security_headers(client: TestClient) -> None:
    for route in ROUTES:
        r = client.get(route)
        assert r.status_code == 200, route
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/report.json").json()["project"] == "commerce"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_no_route_accepts_a_write(client: TestClient, method: str) -> None:
    for route in [*ROUTES, "/anything"]:
        r = client.request(method, route, content=b"x=1")
        assert r.status_code == 405, (method, route)
        assert r.headers["allow"] == "GET, HEAD"
        assert r.headers["x-frame-options"] == "DENY"  # refusals carry the headers too


def test_errors_also_carry_the_headers(client: TestClient) -> None:
    r = client.get("/coverage/nope--nothing")
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "content-security-policy" in r.headers


def test_foreign_host_header_is_refused_on_loopback(client: TestClient) -> None:
    # DNS rebinding: a page elsewhere resolving its name to 127.0.0.1 must not read the dashboard.
    r = client.get("/", headers={"host": "attacker.example:8765"})
    assert r.status_code == 400


def test_off_loopback_needs_the_token(remote: TestClient) -> None:
    assert remote.get("/").status_code == 401
    assert remote.get("/report.json").status_code == 401
    assert remote.get("/", headers={"authorization": "Bearer " + TOKEN[:-1] + "x"}).status_code == 401
    assert remote.get("/", headers={"authorization": "Bearer " + TOKEN}).status_code == 200
    assert remote.get("/", headers={"cookie": "warden_dashboard=wrong"}).status_code == 401
    r = remote.get("/rotation?token=" + TOKEN + "&owner=payments-team", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/rotation?owner=payments-team"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    assert remote.get("/", headers={"authorization": "Bearer " + TOKEN}).status_code == 200
    assert remote.get("/").status_code == 200  # the cookie the redirect set
    remote.cookies.clear()
    assert remote.get("/rotation?token=wrong").status_code == 401
    assert remote.post("/", headers={"authorization": "Bearer " + TOKEN}).status_code == 405


def test_bind_rules() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.5")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    check_bind("127.0.0.1", None)
    with pytest.raises(UsageError, match="refusing to serve"):
        check_bind("0.0.0.0", None)
    with pytest.raises(UsageError, match="shorter than"):
        check_bind("0.0.0.0", "short")
    check_bind("0.0.0.0", TOKEN)


def test_cli_refuses_off_loopback_without_token(commerce_env: Project) -> None:
    r = commerce_env.warden("serve", "--host", "0.0.0.0", "--port", "1")
    assert r.returncode == 2
    assert "refusing to serve the dashboard on 0.0.0.0" in r.stderr and "Traceback" not in r.output


def test_port_in_use_is_a_one_line_error(commerce_env: Project) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = commerce_env.warden("serve", "--port", str(port))
    assert r.returncode == 2 and "cannot listen on 127.0.0.1" in r.stderr
    assert "dashboard on" not in r.stderr and "Traceback" not in r.output


def test_real_server_with_token(commerce_env: Project) -> None:
    served = start_server(commerce_env, env={"WARDEN_DASHBOARD_TOKEN": TOKEN})
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(served.url + "/")
        assert refused.value.code == 401
        req = urllib.request.Request(served.url + "/coverage", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req) as resp:
            body = resp.read().decode()
            assert resp.headers["Cache-Control"] == "no-store"
        assert "Coverage" in body
        post = urllib.request.Request(served.url + "/", data=b"", method="POST",
                                      headers={"Authorization": f"Bearer {TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(post)
        assert denied.value.code == 405
    finally:
        err = stop_server(served)
    assert TOKEN not in err


def test_no_canary_on_any_served_page(client: TestClient, commerce_env: Project) -> None:
    cells = client.get("/report.json").json()["coverage"]["rows"]
    routes = ROUTES + [f"/coverage/{c['id']}" for row in cells for c in row["cells"] if c]
    for route in routes:
        text = client.get(route).text
        for canary in commerce_env.canaries:
            assert canary not in text, route


@pytest.mark.parametrize("path", ["//evil.com/", "/\\evil.com/", "/%2F%2Fevil.com/", "/\\/evil.com/"])
def test_login_redirect_stays_on_this_origin(remote: TestClient, path: str) -> None:
    """Issue 21.15: trading the token for a cookie redirects to a same-origin path only."""
    import httpx

    url = httpx.URL("http://dashboard.internal" + path.replace("\\", "%5C") + "?token=" + TOKEN)
    r = remote.get(url, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\\" not in location and httpx.URL("http://dashboard.internal").join(location).host == "dashboard.internal"
