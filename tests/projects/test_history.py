"""Every change to a project, milestone, investment figure and issue is recorded:
who, when, old -> new."""

from datetime import date
from decimal import Decimal

import pytest

from inspections.models import Issue
from projects import services
from projects.models import Project
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_status_change_records_who_and_old_to_new(official):
    project = factories.ProjectFactory(status=Project.Status.CONSTRUCTION)
    services.project_update(project=project, by=official, status=Project.Status.TRIAL)

    latest, previous = project.history.all()[:2]
    assert latest.history_user == official
    assert latest.history_type == "~"
    changes = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changes == {"status": (Project.Status.CONSTRUCTION, Project.Status.TRIAL)}
    assert latest.history_date is not None


def test_an_unchanged_update_writes_no_history(official):
    project = factories.ProjectFactory(status=Project.Status.CONSTRUCTION)
    before = project.history.count()
    services.project_update(project=project, by=official, status=Project.Status.CONSTRUCTION)
    assert project.history.count() == before


def test_milestone_dates_are_recorded(official):
    milestone = factories.MilestoneFactory(baseline_date=date(2026, 3, 1))
    services.milestone_update_dates(
        milestone=milestone, by=official, forecast_date=date(2026, 4, 15), actual_date=None
    )
    latest, previous = milestone.history.all()[:2]
    assert latest.history_user == official
    changes = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changes == {"forecast_date": (None, date(2026, 4, 15))}


def test_investment_corrections_are_recorded(official):
    project = factories.ProjectFactory()
    services.monthly_investment_set(
        project=project, year=2026, month=3, completed_amount=Decimal("1200"), by=official
    )
    record = services.monthly_investment_set(
        project=project, year=2026, month=3, completed_amount=Decimal("1350.50"), by=official
    )
    assert record.history.count() == 2
    latest, previous = record.history.all()[:2]
    changes = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changes == {"completed_amount": (Decimal("1200.00"), Decimal("1350.50"))}


def test_issue_changes_are_recorded(official):
    issue = factories.IssueFactory()
    department = factories.DepartmentFactory()
    issue.status = Issue.Status.ASSIGNED
    issue.department = department
    issue.deadline = date(2026, 5, 1)
    issue._history_user = official
    issue.save()
    latest, previous = issue.history.all()[:2]
    assert latest.history_user == official
    changed = {change.field for change in latest.diff_against(previous).changes}
    assert changed == {"status", "department", "deadline"}


def test_changes_made_through_the_web_record_the_signed_in_user(client, admin_user):
    project = factories.ProjectFactory(name="旧名称")
    client.force_login(admin_user)
    response = client.post(
        f"/admin/projects/project/{project.pk}/change/",
        {
            "code": project.code,
            "name": "新名称",
            "company": project.company,
            "sector": project.sector_id,
            "park": project.park_id,
            "level": project.level,
            "category": project.category,
            "total_investment": "50000",
            "status": project.status,
            "planned_start": project.planned_start.isoformat(),
            "planned_completion": project.planned_completion.isoformat(),
            "responsible_person": project.responsible_person_id,
            "phases-TOTAL_FORMS": "0",
            "phases-INITIAL_FORMS": "0",
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = project.history.first()
    assert latest.name == "新名称"
    assert latest.history_user == admin_user
