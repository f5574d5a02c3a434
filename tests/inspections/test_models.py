from datetime import date

import pytest
from django.db import IntegrityError, transaction

from inspections.models import FollowUp, Issue
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_assigned_issue_needs_a_department_and_a_deadline():
    issue = factories.IssueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.ASSIGNED)
    department = factories.DepartmentFactory()
    Issue.objects.filter(pk=issue.pk).update(
        status=Issue.Status.ASSIGNED, department=department, deadline=date(2026, 5, 1)
    )
    issue.refresh_from_db()
    assert issue.status == Issue.Status.ASSIGNED


def test_a_closed_issue_records_when_it_closed():
    department = factories.DepartmentFactory()
    issue = factories.IssueFactory(department=department, deadline=date(2026, 5, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.CLOSED)


def test_a_follow_up_names_who_acted():
    issue = factories.IssueFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(issue=issue, action="加快调度", acted_at=issue.raised_at)
    follow_up = FollowUp.objects.create(
        issue=issue,
        action="总部加快调度原材料",
        actor_name="正力新能总部",
        acted_at=issue.raised_at,
    )
    assert follow_up.actor_display == "正力新能总部"
