"""The Content-Security-Policy in a real browser: the dashboard with its charts, a project
page, htmx updates in place and the briefing preview run without one violation."""

import json
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from projects.models import Milestone
from tests import factories
from tests.e2e.conftest import log_in, mark_page, page_was_not_reloaded, wait_for_htmx

pytestmark = pytest.mark.e2e

PROJECT = "GX-001"

# Before any page script: report every violation the browser raises to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(JSON.stringify({
    page: document.location.pathname,
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  }));
});
"""


class Violations:
    def __init__(self, context: BrowserContext):
        self.events: list[dict] = []
        self.console: list[str] = []
        context.expose_binding(
            "__cspViolation", lambda _source, report: self.events.append(json.loads(report))
        )
        context.add_init_script(REPORT_VIOLATIONS)

    def watch(self, page: Page) -> Page:
        def on_console(message) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in (
                message.text
            ):
                self.console.append(f"{message.type}: {message.text}")

        page.on("console", on_console)
        return page

    def summary(self) -> str:
        return "\n".join(
            [*(json.dumps(event, ensure_ascii=False) for event in self.events), *self.console]
        )


@pytest.fixture
def violations(context: BrowserContext) -> Violations:
    return Violations(context)


@pytest.fixture
def watched(context: BrowserContext, violations: Violations) -> Page:
    return violations.watch(context.new_page())


def expect_charts_drawn(page: Page) -> None:
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 20, f"chart {index} not drawn"


def test_pages_and_htmx_run_under_the_policy(watched: Page, violations: Violations, demo: date):
    page = watched
    log_in(page, "official")

    # The dashboard and its server-drawn SVG charts.
    page.goto("/")
    expect(page.locator('[data-testid="light-counts"]')).to_be_visible()
    expect_charts_drawn(page)
    wait_for_htmx(page)
    config = page.evaluate(
        "() => ({eval: htmx.config.allowEval, indicator: htmx.config.includeIndicatorStyles})"
    )
    assert config == {"eval": False, "indicator": False}
    # htmx injected no <style> of its own, and the page's script ran with its nonce.
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0

    # The register: a search updates the table in place (hx-get, trigger from:).
    page.goto("/projects/")
    wait_for_htmx(page)
    mark_page(page)
    page.locator('#register-filters input[name="q"]').press_sequentially(PROJECT)
    expect(page.locator("#project-table tbody tr")).to_have_count(1)
    expect(page.locator("#project-table tbody tr").first).to_contain_text(PROJECT)
    assert page_was_not_reloaded(page)

    # A project page: a milestone's forecast saved in place (hx-post, CSRF via hx-headers).
    milestone = (
        Milestone.objects.filter(project__code=PROJECT, actual_date__isnull=True)
        .order_by("sequence")
        .first()
    )
    page.goto(f"/projects/{PROJECT}/")
    expect(page.locator("#project-header")).to_be_visible()
    wait_for_htmx(page)
    mark_page(page)
    dates = page.locator(f"#milestone-{milestone.pk} details").first
    dates.locator("summary").click()
    page.locator(f"#id_dates-{milestone.pk}-forecast_date").fill(
        milestone.baseline_date.isoformat()
    )
    dates.get_by_role("button", name="保存").click()
    expect(page.locator("#milestones .saved")).to_contain_text(milestone.name)
    assert page_was_not_reloaded(page), "the save reloaded the page: htmx did not run"
    milestone.refresh_from_db()
    assert milestone.forecast_date == milestone.baseline_date

    # The briefing as a web page: its <style> elements apply (they carry the nonce).
    briefing = factories.published_briefing(today=demo)
    page.goto(f"/briefings/{briefing.pk}/preview/")
    expect(page.locator("h1")).to_be_visible()
    sheets = page.evaluate(
        "() => [...document.querySelectorAll('style')].map(s => s.sheet ? s.sheet.cssRules.length : -1)"
    )
    assert len(sheets) == 2 and all(rules > 0 for rules in sheets), sheets
    expect(page.locator(".preview-bar")).to_be_visible()

    page.wait_for_timeout(300)  # let any late report arrive
    assert not violations.events and not violations.console, violations.summary()


def test_blocked_inline_code_is_reported(watched: Page, violations: Violations, demo: date):
    """The listener above does see violations: an injected inline script and an inline
    style attribute are refused and reported."""
    page = watched
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__ran = true";
            document.body.appendChild(script);
            document.body.insertAdjacentHTML("beforeend", '<b id="styled" style="color: red">x</b>');
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__ran === true") is False
    directives = {event["directive"] for event in violations.events}
    assert {"script-src-elem", "style-src-attr"} <= directives, violations.summary()
    colour = page.evaluate("() => getComputedStyle(document.getElementById('styled')).color")
    assert colour != "rgb(255, 0, 0)"
