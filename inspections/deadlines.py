"""Where an open issue stands against its deadline, in Chinese working days: due soon
(blue), overdue (yellow), long overdue (red). Thresholds are settings."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Max, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inspections import workdays
from inspections.models import Issue
from projects import lights

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


def red_cutoff(today: date) -> date:
    """The latest deadline that is more than the red threshold of working days ago."""
    calendar = workdays.WorkdayCalendar.for_range(today - timedelta(days=60), today)
    return calendar.latest_day_before(today, settings.ISSUE_RED_OVERDUE_WORKDAYS + 1)


def issues_overdue(as_of: date) -> QuerySet[Issue]:
    """Issues waiting on their department past their deadline, with `overdue_rank`: 2 (red)
    when more than ISSUE_RED_OVERDUE_WORKDAYS working days overdue, else 1 (yellow); the
    same rule as `deadline_state`. One calendar query to build."""
    return Issue.objects.filter(status__in=RUNNING, deadline__lt=as_of).annotate(
        overdue_rank=Case(
            When(deadline__lte=red_cutoff(as_of), then=Value(2)),
            default=Value(1),
            output_field=models.IntegerField(),
        )
    )


def _light_annotations(as_of: date) -> dict[str, models.Expression]:
    overdue = issues_overdue(as_of).filter(project=OuterRef("pk")).order_by("deadline", "id")
    late = overdue.filter(overdue_rank=2)
    # One subquery for the rank: each one repeated costs compile time on every page.
    worst = overdue.order_by().values("project").annotate(worst=Max("overdue_rank"))
    return {
        "late_issue": Subquery(late.values("title")[:1]),
        "overdue_issue": Subquery(overdue.values("title")[:1]),
        "issue_rank": Coalesce(
            Subquery(worst.values("worst"), output_field=models.IntegerField()), Value(0)
        ),
    }


def _light_reasons(project, as_of: date) -> list[lights.Reason]:
    if project.late_issue:
        return [
            lights.Reason(
                lights.Light.RED,
                gettext("Issue “%(title)s” is more than %(days)d working days overdue.")
                % {"title": project.late_issue, "days": settings.ISSUE_RED_OVERDUE_WORKDAYS},
            )
        ]
    if project.overdue_issue:
        return [
            lights.Reason(
                lights.Light.YELLOW,
                gettext("Issue “%(title)s” is overdue.") % {"title": project.overdue_issue},
            )
        ]
    return []


# Overdue issues feed each project's warning light.
ISSUE_SIGNAL = lights.Signal(
    rank_field="issue_rank", annotations=_light_annotations, reasons=_light_reasons
)
