"""axe-core finds no serious or critical accessibility violation on the main pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from hitech_zone.models import User
from inspections.models import MonthlyReport
from inspections.rounds import services as round_services
from projects.models import Milestone
from tests.e2e.conftest import log_in, wait_for_fonts, wait_for_htmx

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
PROJECT = "GX-001"


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation.get('helpUrl', '')})"
        )
        for node in violation["nodes"]:
            lines.append(f"    target: {node['target']}")
            lines.append(f"      html: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n            ")
            if summary:
                lines.append(f"      why:  {summary}")
    return "\n".join(lines)


def open_dashboard(page: Page, today: date) -> None:
    page.goto("/")
    expect(page.locator('[data-testid="light-counts"]')).to_be_visible()


def open_register(page: Page, today: date) -> None:
    page.goto("/projects/")
    expect(page.locator("#project-table tbody tr").first).to_be_visible()


def open_project(page: Page, today: date) -> None:
    page.goto(f"/projects/{PROJECT}/")
    expect(page.locator("#project-header")).to_be_visible()


def open_edit_form_with_error(page: Page, today: date) -> None:
    """The project page with a milestone's dates form open, showing a validation error."""
    milestone = Milestone.objects.filter(project__code=PROJECT).order_by("sequence").first()
    open_project(page, today)
    wait_for_htmx(page)
    dates = page.locator(f"#milestone-{milestone.pk} details").first
    dates.locator("summary").click()
    page.locator(f"#id_dates-{milestone.pk}-actual_date").fill(
        (today + timedelta(days=5)).isoformat()
    )
    dates.get_by_role("button", name="保存").click()
    expect(page.locator(f"#milestone-{milestone.pk} .form-error")).to_be_visible()
    expect(page.locator(f"#milestone-{milestone.pk} details").first).to_have_attribute("open", "")


# The monthly round (月报): a manager's pages, then the officials'. A view that is not
# the official's names its user in `as_user`.
def pm_report() -> MonthlyReport:
    """`pm`'s report in the current round (the demo leaves it a draft)."""
    return (
        MonthlyReport.objects.select_related("round")
        .filter(project__code=PROJECT)
        .order_by("-round__year", "-round__month")
        .first()
    )


def open_my_reports(page: Page, today: date) -> None:
    page.goto("/rounds/mine/")
    expect(page.locator('[data-testid="open-reports"] .report-card').first).to_be_visible()


def open_report_fill(page: Page, today: date) -> None:
    page.goto(f"/rounds/reports/{pm_report().pk}/fill/")
    expect(page.locator("form.report-form")).to_be_visible()


def open_report_fill_with_errors(page: Page, today: date) -> None:
    """The form refused: the summary at the top, each error beside its field."""
    open_report_fill(page, today)
    page.locator("#id_completed_amount").fill("")
    page.locator("#id_cumulative").fill("1")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator('[data-testid="error-summary"]')).to_be_visible()


def open_round_index(page: Page, today: date) -> None:
    page.goto("/rounds/")
    expect(page.locator('[data-testid="rounds"] tbody tr').first).to_be_visible()


def open_round_detail(page: Page, today: date) -> None:
    round_ = pm_report().round
    page.goto(f"/rounds/{round_.year}-{round_.month}/")
    expect(page.locator('[data-testid="round-counts"]')).to_be_visible()


def _submitted_by_pm() -> MonthlyReport:
    """`pm`'s report submitted, so that an official has it to check."""
    pm = User.objects.get(username="pm")
    report = pm_report()
    saved = round_services.report_save(
        report=report, by=pm, expected_version=report.version, completed_amount=Decimal("100")
    )
    return round_services.report_submit(report=saved, by=pm, expected_version=saved.version)


def open_check_queue(page: Page, today: date) -> None:
    report = _submitted_by_pm()
    page.goto("/rounds/queue/")
    row = page.locator(f'[data-testid="queue"] tr[data-report="{report.pk}"]')
    row.locator("summary").click()
    expect(page.locator(f"#return-reason-{report.pk}")).to_be_visible()


def open_report_to_check(page: Page, today: date) -> None:
    """A submitted report with the return form open."""
    report = _submitted_by_pm()
    page.goto(f"/rounds/reports/{report.pk}/")
    page.locator("#report-panel summary", has_text="退回").click()
    expect(page.locator("#id_return-reason")).to_be_visible()


def open_visit_list(page: Page, today: date) -> None:
    """The list of visits, filtered by the htmx form (every date: the demo's visits)."""
    page.goto("/visits/?visited_from=&visited_to=")
    expect(page.locator('#visit-table [data-testid="visit-row"]').first).to_be_visible()


def open_refused(page: Page, today: date) -> None:
    """The 403 page with the permission layer's reason: a leader records no visit."""
    page.goto("/visits/new/")
    expect(page.locator('[data-testid="error-403"]')).to_be_visible()


def open_not_found(page: Page, today: date) -> None:
    page.goto("/no-such-page/")
    expect(page.locator('[data-testid="error-404"]')).to_be_visible()


for view in (open_my_reports, open_report_fill, open_report_fill_with_errors):
    view.as_user = "pm"
open_refused.as_user = "leader"


@pytest.mark.parametrize(
    "open_view",
    [
        open_dashboard,
        open_register,
        open_project,
        open_edit_form_with_error,
        open_my_reports,
        open_report_fill,
        open_report_fill_with_errors,
        open_round_index,
        open_round_detail,
        open_check_queue,
        open_report_to_check,
        open_visit_list,
        open_refused,
        open_not_found,
    ],
    ids=[
        "dashboard",
        "register",
        "project",
        "edit-form-with-error",
        "my-reports",
        "report-fill",
        "report-fill-with-errors",
        "rounds",
        "round",
        "check-queue",
        "report-to-check",
        "visit-list",
        "refused",
        "not-found",
    ],
)
def test_no_serious_accessibility_violations(page: Page, demo: date, open_view):
    log_in(page, getattr(open_view, "as_user", "official"))
    open_view(page, demo)
    wait_for_fonts(page)
    results = Axe().run(page)
    violations = results.response["violations"]
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
    assert not blocking, (
        f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:\n"
        + describe(blocking)
    )
    # Lesser findings are printed (pytest -s / -rA) without failing the test.
    minor = [violation for violation in violations if violation["impact"] not in BLOCKING]
    if minor:
        print(f"axe: minor findings on {page.url}:\n{describe(minor)}")


# Every id an aria-describedby / aria-labelledby / aria-controls names must exist, or
# assistive technology silently reads nothing (axe does not flag a partly broken list).
DANGLING_ARIA_REFERENCES = """() => {
    const broken = [];
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
        for (const element of document.querySelectorAll(`[${attr}]`)) {
            for (const id of element.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) {
                    broken.push(`${element.id || element.tagName.toLowerCase()} ${attr}="${id}"`);
                }
            }
        }
    }
    return broken;
}"""


@pytest.mark.parametrize(
    "open_view",
    [open_project, open_edit_form_with_error, open_report_fill_with_errors],
    ids=["project", "edit-form-with-error", "report-fill-with-errors"],
)
def test_aria_references_resolve(page: Page, demo: date, open_view):
    log_in(page, getattr(open_view, "as_user", "official"))
    open_view(page, demo)
    broken = page.evaluate(DANGLING_ARIA_REFERENCES)
    assert not broken, f"{len(broken)} ARIA reference(s) name no element on {page.url}:\n" + (
        "\n".join(broken[:20])
    )
