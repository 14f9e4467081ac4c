"""The renderer: self-contained, deterministic, allowed by its own CSP, no value on any page."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest

from secretwarden.dashboard.model import Dashboard, build_dashboard
from secretwarden.dashboard.render import (
    SECTIONS,
    content_security_policy,
    render_page,
    render_report,
)
from secretwarden.ops.workspace import Workspace
from tests.dashboard.conftest import Project, fixed_now


@pytest.fixture
def dash(commerce_env: Project) -> Iterator[Dashboard]:
    with Workspace.load(commerce_env.contract, clock=fixed_now) as ws:
        yield build_dashboard(ws, scan_results=commerce_env.scan_results, lint_results=commerce_env.lint_results)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_report_is_self_contained_and_allowed_by_its_own_policy(dash: Dashboard) -> None:
    html = render_report(dash)
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert meta is not None
    policy = meta.group(1).replace("&#39;", "'")
    assert _hash(style) in policy and _hash(script) in policy and "default-src 'none'" in policy
    # Nothing is fetched and nothing needs 'unsafe-inline'.
    assert not re.search(r"<link|<img|<iframe|\bsrc=|url\(|@import|https?://", html)
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)
    assert policy in content_security_policy(for_meta=False).replace("; frame-ancestors 'none'", "")


def test_report_has_every_section_and_key_list(dash: Dashboard) -> None:
    html = render_report(dash)
    for key, label in SECTIONS:
        assert f'id="{key}-h">{label}</h2>' in html
    for cell in dash.coverage.cells:
        assert f'href="#keys-{cell.id}"' in html and f'id="keys-{cell.id}"' in html
    assert "<svg" in html and "Due in the next 90 days" in html
    assert "@media print" in html
    # State words travel with colours.
    assert ">BLOCKED</span>" in html and ">PASS</span>" in html and ">compromised</span>" in html


def test_same_inputs_same_html(dash: Dashboard, commerce_env: Project) -> None:
    with Workspace.load(commerce_env.contract, clock=fixed_now) as ws:
        again = build_dashboard(ws, scan_results=commerce_env.scan_results, lint_results=commerce_env.lint_results)
    assert render_report(dash) == render_report(again)


def test_live_pages_filter_on_the_server(dash: Dashboard) -> None:
    html = render_page(dash, "rotation", filters={"owner": "payments-team"})
    rows = re.findall(r'<tr data-owner="([^"]*)"', html)
    assert rows and set(rows) == {"payments-team"}
    audit = render_page(dash, "audit", filters={"outcome": "ok"})
    assert 'data-outcome="ok"' in audit and not re.search(r'data-outcome="(?!ok")', audit)
    cell = next(c for c in dash.coverage.cells if c.id == "dev--auth")
    page = render_page(dash, "coverage", cell=cell)
    assert "JWT_SECRET" in page and "Back to the coverage matrix" in page
    with pytest.raises(KeyError):
        render_page(dash, "nope")


def test_no_canary_in_any_rendered_page(dash: Dashboard, commerce_env: Project) -> None:
    pages = [render_report(dash), dash.dumps()]
    pages += [render_page(dash, key) for key, _ in SECTIONS]
    pages += [render_page(dash, "coverage", cell=c) for c in dash.coverage.cells]
    for text in pages:
        for canary in commerce_env.canaries:
            assert canary not in text
            assert canary[4:] not in text  # not even without the prefix the preview keeps
