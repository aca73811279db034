"""Playwright driving Debian's Chromium against the live test server.

Screenshots of every page, at phone and desktop width, go to var/screenshots/ (git ignores
var/). The browser is /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it).
"""

import os
import shutil
from pathlib import Path

import pytest

from config.log_redaction import text_redact
from tests.conftest import service_missing

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


@pytest.fixture(scope="module", autouse=True)
def orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread while the browser is open;
    these tests (and their database clean-up) still call the ORM, which Django allows only
    when told so. Told for this module only, until after the browser has closed."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="module")
def browser(orm_beside_playwright, django_db_setup):
    if not shutil.which(CHROMIUM):
        service_missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # The database's contents as migrated, which a transactional test restores after the
    # flush of the one before. Django keeps them on its connection objects, and under
    # Playwright's event loop this thread sees other ones: they are given them too.
    migrated = {alias: getattr(connections[alias], "_test_serialized_contents", None)
                for alias in connections}
    with sync_playwright() as playwright:
        for alias, contents in migrated.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, settings, tmp_path):
    """The live server, mailing into an outbox folder, with links that point at it."""
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "digest.deliver.outbox.OutboxEmailBackend"
    settings.OUTBOX_DIR = tmp_path / "outbox"
    return live_server


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=dict(zip(("width", "height"), WIDTHS["phone"],
                                                    strict=True)))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shoot(page, request):
    """shoot("signup") saves the page as it looks on a phone, on a desktop, and on a phone
    in dark mode."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        for width_name, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=SHOTS / f"{request.node.name}-{name}-{width_name}.png",
                            full_page=True)
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"], strict=True)))
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=SHOTS / f"{request.node.name}-{name}-phone-dark.png",
                        full_page=True)
        page.emulate_media(color_scheme="light")

    return take


@pytest.fixture
def console(page):
    """Every console error, uncaught exception and CSP refusal the page causes."""
    problems: list[str] = []
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(
        f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", lambda request: text_redact(request.headers.get("referer", "")) != (
        request.headers.get("referer", "")) and problems.append(
        f"token in the Referer of {request.url}: {request.headers['referer']}"))
    # Chromium reports a refusal to the console through its Log domain as well.
    cdp = page.context.new_cdp_session(page)
    cdp.on("Log.entryAdded", lambda event: event["entry"]["level"] in ("error", "warning")
           and problems.append(f"log {event['entry']['level']}: {event['entry']['text']}"))
    cdp.send("Log.enable")
    page.add_init_script("""
        window.__refused = [];
        document.addEventListener("securitypolicyviolation", (event) => {
            window.__refused.push(event.violatedDirective + " " + event.blockedURI);
        });""")

    def visit(url: str) -> None:
        response = page.goto(url)
        assert response.status < 400, url
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        page.wait_for_load_state("networkidle")
        problems.extend(f"refused on {url}: {text}" for text in page.evaluate("window.__refused"))

    visit.problems = problems
    return visit
