"""Inline updates on the project page: htmx and plain posts, validation, permissions,
conflicts between two officials, and the history they leave."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from projects.models import Milestone, MonthlyInvestment, Project
from tests import factories
from tests.clock import ZONE as SHANGHAI

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

HTMX = {"HX-Request": "true"}


@pytest.fixture
def project(own_project, today):
    # No plan for the year, so the light follows the milestones alone.
    factories.AnnualPlanFactory(
        project=own_project, year=today.year, planned_investment=Decimal("0")
    )
    return own_project


@pytest.fixture
def milestone(project, today):
    return factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=today + timedelta(days=20)
    )


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_status_change_through_htmx_re_renders_the_header(official, project):
    response = login(official).post(
        f"/projects/{project.code}/status/",
        {"status-status": Project.Status.TRIAL, "status-version": project.version},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="project-header"' in body
    assert 'id="history" class="section" hx-swap-oob="true"' in body
    project.refresh_from_db()
    assert project.status == Project.Status.TRIAL
    assert project.version == 2
    assert project.history.first().history_user == official


def test_status_change_as_a_plain_form_post_redirects_back(official, project):
    response = login(official).post(
        f"/projects/{project.code}/status/",
        {"status-status": Project.Status.SUSPENDED, "status-version": project.version},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.code}/#project-header"
    project.refresh_from_db()
    assert project.status == Project.Status.SUSPENDED


def test_a_later_forecast_turns_the_light_yellow(official, project, milestone):
    client = login(official)
    page = client.get(f"/projects/{project.code}/").content.decode()
    # No plan and no warning: not yet assessed (未到考核期); a late forecast is a warning.
    assert "light-badge light-unassessed" in page, re.findall(r"<li class=.reason-[^<]*", page)
    response = client.post(
        f"/projects/{project.code}/milestones/{milestone.pk}/dates/",
        {
            f"dates-{milestone.pk}-version": milestone.version,
            f"dates-{milestone.pk}-forecast_date": (
                milestone.baseline_date + timedelta(days=10)
            ).isoformat(),
            f"dates-{milestone.pk}-actual_date": "",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="milestones"' in body
    # The header, with the light, comes back out of band.
    assert 'id="project-header" class="card project-header" hx-swap-oob="true"' in body
    assert "light-badge light-yellow" in body


def test_a_future_actual_date_is_refused_beside_the_field_and_the_input_is_kept(
    official, project, milestone, today
):
    future = (today + timedelta(days=3)).isoformat()
    response = login(official).post(
        f"/projects/{project.code}/milestones/{milestone.pk}/dates/",
        {
            f"dates-{milestone.pk}-version": milestone.version,
            f"dates-{milestone.pk}-forecast_date": "2031-01-02",
            f"dates-{milestone.pk}-actual_date": future,
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_dates-{milestone.pk}-actual_date_error"' in body
    assert f'value="{future}"' in body
    assert 'value="2031-01-02"' in body
    milestone.refresh_from_db()
    assert milestone.actual_date is None and milestone.forecast_date is None


def test_without_javascript_a_refusal_shows_the_form_with_errors(official, project):
    response = login(official).post(
        f"/projects/{project.code}/investment/3/",
        {
            "month-3-version": 0,
            "month-3-month": 3,
            "month-3-completed_amount": "-5",
            "month-3-note": "负数",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" in body
    assert 'value="-5"' in body and 'value="负数"' in body
    assert 'class="form-error"' in body
    assert not MonthlyInvestment.objects.filter(project=project).exists()


def test_rebaselining_needs_a_reason_and_records_it(official, project, milestone):
    client = login(official)
    url = f"/projects/{project.code}/milestones/{milestone.pk}/rebaseline/"
    prefix = f"rebaseline-{milestone.pk}"
    new_baseline = (milestone.baseline_date + timedelta(days=60)).isoformat()
    refused = client.post(
        url, {f"{prefix}-version": 1, f"{prefix}-baseline_date": new_baseline}, headers=HTMX
    )
    assert refused.status_code == 422
    response = client.post(
        url,
        {
            f"{prefix}-version": 1,
            f"{prefix}-baseline_date": new_baseline,
            f"{prefix}-reason": "管委会批准调整计划",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.baseline_date.isoformat() == new_baseline
    assert milestone.history.first().history_change_reason == "管委会批准调整计划"
    assert "管委会批准调整计划" in response.content.decode()


def test_the_dates_form_cannot_move_the_baseline(official, project, milestone):
    baseline = milestone.baseline_date
    login(official).post(
        f"/projects/{project.code}/milestones/{milestone.pk}/dates/",
        {
            f"dates-{milestone.pk}-version": 1,
            f"dates-{milestone.pk}-baseline_date": "2030-01-01",
            f"dates-{milestone.pk}-forecast_date": "",
            f"dates-{milestone.pk}-actual_date": "",
        },
    )
    milestone.refresh_from_db()
    assert milestone.baseline_date == baseline


def test_entering_and_correcting_a_month(official, project, today):
    """The month entered is the last one that has ended (in January, last year's
    December: its figures are entered and corrected then)."""
    client = login(official)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    url = f"/projects/{project.code}/investment/{month}/"
    prefix = f"month-{month}"
    client.post(
        url,
        {f"{prefix}-version": 0, f"{prefix}-month": month, f"{prefix}-completed_amount": "1200.5"},
        headers=HTMX,
    )
    record = MonthlyInvestment.objects.get(project=project, year=year, month=month)
    assert record.completed_amount == Decimal("1200.50")
    response = client.post(
        url,
        {
            f"{prefix}-version": record.version,
            f"{prefix}-month": month,
            f"{prefix}-completed_amount": "980",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.completed_amount == Decimal("980.00")
    row = re.search(rf'<tr id="month-{month}">.*?</tr>', response.content.decode(), re.S)[0]
    assert f"{year}-{month:02d}" in row and '<td class="num">980</td>' in row


def post_month(user, project, month):
    return login(user).post(
        f"/projects/{project.code}/investment/{month}/",
        {
            f"month-{month}-version": 0,
            f"month-{month}-month": month,
            f"month-{month}-completed_amount": "10",
        },
        headers=HTMX,
    )


def test_a_month_that_has_not_begun_is_refused(official, project, time_machine):
    time_machine.move_to(datetime(2026, 11, 18, 10, tzinfo=SHANGHAI))
    assert post_month(official, project, 12).status_code == 422
    assert not project.monthly_investments.exists()


def test_in_december_there_is_no_later_month_of_the_year(official, project, time_machine):
    time_machine.move_to(datetime(2026, 12, 2, 10, tzinfo=SHANGHAI))
    assert post_month(official, project, 13).status_code == 404
    assert post_month(official, project, 11).status_code == 200


def test_progress_notes(official, project):
    response = login(official).post(
        f"/projects/{project.code}/notes/",
        {"note-body": "主体结构已封顶，进入安装阶段。"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "主体结构已封顶" in response.content.decode()
    assert project.progress_notes.get().author == official


class TestConcurrentEdits:
    """Two officials open the same record; the second save is refused, not applied."""

    def test_the_second_save_is_refused_with_what_the_first_changed(
        self, role_user, project, milestone
    ):
        first = login(role_user("official", username="zhang", full_name="张一"))
        second = login(role_user("official", username="li", full_name="李二"))
        url = f"/projects/{project.code}/milestones/{milestone.pk}/dates/"
        prefix = f"dates-{milestone.pk}"
        seen_version = milestone.version
        first_forecast = (milestone.baseline_date + timedelta(days=5)).isoformat()
        second_forecast = (milestone.baseline_date + timedelta(days=40)).isoformat()

        ok = first.post(
            url,
            {f"{prefix}-version": seen_version, f"{prefix}-forecast_date": first_forecast},
            headers=HTMX,
        )
        assert ok.status_code == 200
        refused = second.post(
            url,
            {f"{prefix}-version": seen_version, f"{prefix}-forecast_date": second_forecast},
            headers=HTMX,
        )

        assert refused.status_code == 409
        body = refused.content.decode()
        assert "张一" in body
        assert first_forecast in body  # what the other person changed
        assert f'value="{second_forecast}"' in body  # the refused input is kept
        milestone.refresh_from_db()
        assert milestone.forecast_date.isoformat() == first_forecast

        # Saving again, having seen the other change, applies the second official's value.
        again = second.post(
            url,
            {f"{prefix}-version": milestone.version, f"{prefix}-forecast_date": second_forecast},
            headers=HTMX,
        )
        assert again.status_code == 200
        milestone.refresh_from_db()
        assert milestone.forecast_date.isoformat() == second_forecast
        assert milestone.history.count() == 3

    def test_status_conflict_without_javascript(self, role_user, project):
        first = login(role_user("official", username="zhang", full_name="张一"))
        second = login(role_user("official", username="li", full_name="李二"))
        url = f"/projects/{project.code}/status/"
        first.post(url, {"status-status": Project.Status.TRIAL, "status-version": 1})
        refused = second.post(url, {"status-status": Project.Status.SUSPENDED, "status-version": 1})
        assert refused.status_code == 409
        assert "张一" in refused.content.decode()
        project.refresh_from_db()
        assert project.status == Project.Status.TRIAL

    def test_a_month_entered_meanwhile_is_not_overwritten(self, role_user, project, today):
        first = login(role_user("official", username="zhang", full_name="张一"))
        second = login(role_user("official", username="li", full_name="李二"))
        month = today.month
        url = f"/projects/{project.code}/investment/{month}/"
        data = {f"month-{month}-version": 0, f"month-{month}-month": month}
        first.post(url, {**data, f"month-{month}-completed_amount": "100"}, headers=HTMX)
        refused = second.post(url, {**data, f"month-{month}-completed_amount": "999"}, headers=HTMX)
        assert refused.status_code == 409
        assert MonthlyInvestment.objects.get(
            project=project, month=month
        ).completed_amount == Decimal("100")


@pytest.mark.parametrize(
    ("role_fixture", "expected"),
    [
        ("official", 200),
        ("admin_user", 200),
        ("manager", 200),
        ("leader", 403),
        ("other_manager", 404),
    ],
)
def test_who_may_update(request, role_fixture, expected, project, milestone, other_project):
    client = login(request.getfixturevalue(role_fixture))
    response = client.post(
        f"/projects/{project.code}/milestones/{milestone.pk}/dates/",
        {f"dates-{milestone.pk}-version": 1, f"dates-{milestone.pk}-forecast_date": "2030-01-01"},
        headers=HTMX,
    )
    assert response.status_code == expected
    milestone.refresh_from_db()
    assert (milestone.forecast_date == date(2030, 1, 1)) == (expected == 200)


def test_a_milestone_of_another_project_is_not_reachable_through_mine(
    manager, project, other_project
):
    foreign = factories.MilestoneFactory(project=other_project)
    response = login(manager).post(
        f"/projects/{project.code}/milestones/{foreign.pk}/dates/",
        {f"dates-{foreign.pk}-version": 1, f"dates-{foreign.pk}-forecast_date": "2030-01-01"},
    )
    assert response.status_code == 404
    assert Milestone.objects.get(pk=foreign.pk).forecast_date is None


def test_leaders_see_no_edit_controls(leader, project, milestone):
    body = login(leader).get(f"/projects/{project.code}/").content.decode()
    assert "projects/" + project.code + "/status/" not in body
    assert "/dates/" not in body
