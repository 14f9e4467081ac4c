"""The dashboard as a person sees it: a real headless Chromium (Debian's `chromium`,
driven by Playwright) against a real `warden serve`, and the report file opened from disk.
Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ROOT
from tests.dashboard.conftest import NOW, Project, Served, start_server, stop_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium; .ci/run installs it)"),
]


@pytest.fixture(scope="module")
def served(commerce: Project) -> Iterator[Served]:
    s = start_server(commerce, "--scan-results", str(commerce.scan_results),
                     "--lint-results", str(commerce.lint_results))
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    errors: list[str] = []
    # A CSP violation (a blocked style or script) shows up as a console error.
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert errors == []


def shot(page: Page, name: str, **kwargs: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), **kwargs)


PAGES = [("/", "Overview"), ("/coverage", "Coverage"), ("/rotation", "Rotation"),
         ("/incidents", "Incidents"), ("/isolation", "Isolation"), ("/guardrails", "Guardrails"),
         ("/audit", "Audit")]


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_each_page_loads(page: Page, served: Served, commerce: Project, path: str, heading: str) -> None:
    page.goto(served.url + path)
    assert page.get_by_role("heading", level=2, name=heading).is_visible()
    current = page.locator('nav a[aria-current="page"]')
    assert current.inner_text() == heading
    body = page.locator("body").inner_text()
    assert "Secret Warden · commerce" in body
    for canary in commerce.canaries:
        assert canary not in page.content()
    shot(page, f"page-{heading.lower()}", full_page=True)


def test_what_the_pages_say(page: Page, served: Served) -> None:
    page.goto(served.url + "/")
    text = page.locator("main").inner_text()
    assert "13 found / 13 expected" in text and "legacy-monolith" in text and "past hold date" in text
    page.goto(served.url + "/incidents")
    row = page.locator("tbody tr", has_text="auth/JWT_SECRET")
    assert "open" in row.inner_text() and "pasted in a chat" in row.inner_text()
    page.goto(served.url + "/isolation")
    assert "S3_SECRET_ACCESS_KEY" in page.locator("main").inner_text()
    page.goto(served.url + "/guardrails")
    main = page.locator("main").inner_text()
    assert "scan: generic-api-key" in main and "catalog-team" in main and "********" in main


def test_click_through_the_matrix_to_a_key_list(page: Page, served: Served) -> None:
    page.goto(served.url + "/coverage")
    cell = page.get_by_role("link", name=re.compile(r"^auth in dev: BLOCKED"))
    assert "BLOCKED" in cell.inner_text()
    cell.click()
    page.wait_for_url(re.compile(r"/coverage/dev--auth$"))
    assert page.get_by_role("heading", level=2, name=re.compile("auth in dev")).is_visible()
    jwt = page.get_by_role("row", name=re.compile(r"^JWT_SECRET\b"))
    assert "compromised" in jwt.inner_text() and "identity-team" in jwt.inner_text()
    shot(page, "key-list-dev-auth", full_page=True)
    page.get_by_role("link", name=re.compile("Back to the coverage matrix")).click()
    page.wait_for_url(re.compile(r"/coverage$"))


def _visible_owners(page: Page) -> list[str]:
    rows = page.locator("#rotation-table tbody tr:visible")
    return [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]


def test_filter_rotation_by_owner(page: Page, served: Served) -> None:
    page.goto(served.url + "/rotation")
    everyone = _visible_owners(page)
    assert "payments-team" in everyone and len(set(everyone)) > 1
    page.get_by_label("Owner", exact=True).select_option("payments-team")
    owners = _visible_owners(page)
    assert owners and set(owners) == {"payments-team"}
    assert page.locator("form.filters output").first.inner_text() == f"{len(owners)} shown"
    shot(page, "rotation-filtered-payments-team", full_page=True)
    # Sorting by a column header is a button, reachable by keyboard.
    header = page.locator("#rotation-table").get_by_role("button", name="Sort by Secret")
    header.focus()
    page.keyboard.press("Enter")
    assert page.locator("#rotation-table th[aria-sort]").get_attribute("aria-sort") == "ascending"


def test_filter_works_without_javascript(browser: Browser, served: Served) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    try:
        pg.goto(served.url + "/rotation")
        pg.get_by_label("Owner", exact=True).select_option("payments-team")
        pg.get_by_role("button", name="Filter").first.click()
        pg.wait_for_url(re.compile(r"owner=payments-team"))
        owners = _visible_owners(pg)
        assert owners and set(owners) == {"payments-team"}
    finally:
        ctx.close()


def test_keyboard_skip_link(page: Page, served: Served) -> None:
    page.goto(served.url + "/coverage")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_report_file_opened_from_disk(page: Page, commerce: Project, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = commerce.warden("report", "--html", out, "--now", NOW, "--scan-results", commerce.scan_results)
    assert r.returncode == 0, r.output
    page.goto(out.as_uri())
    # The script ran under the file's own CSP: the sort buttons exist.
    assert page.locator("#rotation-table").get_by_role("button", name="Sort by Secret").count() == 1
    page.get_by_role("link", name=re.compile(r"^payment in prod: BLOCKED")).click()
    assert page.url.endswith("#keys-prod--payment")
    assert page.locator("#keys-prod--payment").is_visible()
    page.get_by_label("Owner", exact=True).select_option("payments-team")
    assert set(_visible_owners(page)) == {"payments-team"}
    shot(page, "report-file-top")
    page.emulate_media(media="print")
    shot(page, "report-file-print", full_page=True)
