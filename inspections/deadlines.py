"""Where an open issue stands against its deadline, in Chinese working days: due soon
(blue), overdue (yellow), long overdue (red). Thresholds are settings."""

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from inspections import workdays
from inspections.models import Issue

# Only steps waiting on the department count: a raised issue has no deadline yet, and a
# resolved one waits on the official's check, not on the department.
RUNNING = {Issue.Status.ASSIGNED, Issue.Status.IN_PROGRESS}


class DeadlineState(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    LATE = "late", _("Long overdue")


def deadline_state(
    issue: Issue, *, today: date, calendar: "workdays.WorkdayCalendar"
) -> str | None:
    if issue.status not in RUNNING or issue.deadline is None:
        return None
    if issue.deadline < today:
        late_by = calendar.workdays_between(issue.deadline, today)
        return (
            DeadlineState.LATE
            if late_by > settings.ISSUE_RED_OVERDUE_WORKDAYS
            else DeadlineState.OVERDUE
        )
    if calendar.workdays_between(today, issue.deadline) <= settings.ISSUE_DUE_SOON_WORKDAYS:
        return DeadlineState.DUE_SOON
    return None


def with_deadline_states(issues: Iterable[Issue], *, today: date) -> list[Issue]:
    """Evaluate the issues and set `deadline_state` on each; one calendar query."""
    evaluated = list(issues)
    deadlines = [issue.deadline for issue in evaluated if issue.deadline]
    start = min([*deadlines, today])
    end = max([*deadlines, today])
    calendar = workdays.WorkdayCalendar.for_range(start, end)
    for issue in evaluated:
        issue.deadline_state = deadline_state(issue, today=today, calendar=calendar)
    return evaluated
