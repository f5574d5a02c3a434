"""Browser tests: Playwright's sync client driving Debian's chromium against `live_server`.

One browser per session, a fresh context (cookies, viewport) per test, the demo data
loaded into each test's database. Never `playwright install`: the system chromium is used.
"""

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; without this Django refuses the
# ORM calls the test bodies (and the database flush after each test) make.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
# The browser asks for English on purpose: the app must ignore it and speak Chinese
# until the user picks another language with the switcher.
BROWSER_LOCALE = "en-US"
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's chromium at {CHROMIUM}, which is missing. "
            "Install it with `apt-get install chromium` (do not run `playwright install`).",
            pytrace=False,
        )
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def demo(live_server, transactional_db) -> date:
    """The demo data in this test's database, laid out around today; returns today."""
    from django.utils import timezone

    from hitech_zone.demo import load_demo

    today = timezone.localdate()
    load_demo(today=today)
    return today


def new_context(browser: Browser, base_url: str, **options) -> BrowserContext:
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(
        base_url=base_url,
        locale=BROWSER_LOCALE,
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
        accept_downloads=True,
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = new_context(browser, live_server.url)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ------------------------------------------------------------------ helpers for the tests


def log_in(page: Page, username: str) -> None:
    from hitech_zone.demo import DEMO_PASSWORD

    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def wait_for_htmx(page: Page) -> None:
    """htmx is loaded with `defer`; wait until it has processed the page."""
    page.wait_for_function("() => window.htmx !== undefined")


def wait_for_fonts(page: Page) -> None:
    """Load the shipped CJK fallback font and wait until every font is ready."""
    page.evaluate(
        """async () => {
            await document.fonts.load('16px "HitechZone CJK"', '重点项目');
            await document.fonts.ready;
        }"""
    )


def mark_page(page: Page) -> None:
    """A marker on window that a full page load would wipe out."""
    page.evaluate("() => { window.__marker = 1; }")


def page_was_not_reloaded(page: Page) -> bool:
    return page.evaluate("() => window.__marker") == 1
