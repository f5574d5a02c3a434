"""Where an open issue stands against its deadline, in Chinese working days: due soon
(blue), overdue (yellow), long overdue (red). Thresholds are settings.

A deadline that falls on a day off (a weekend or holiday) is due on the next working day:
the office cannot be late on a day it is closed. Every overdue decision, in Python or in
SQL, goes through `due_day` or `last_overdue_deadline` here.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Max, OuterRef, Q, QuerySet, Subquery, Value, When
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


def calendar_for(as_of: date) -> "workdays.WorkdayCalendar":
    """A calendar loaded for the overdue cut-offs of `as_of` (one query)."""
    return workdays.WorkdayCalendar.for_range(as_of - timedelta(days=60), as_of)


def due_day(deadline: date, calendar: "workdays.WorkdayCalendar") -> date:
    """The day an issue is due: its deadline, or the next working day when the deadline
    falls on a day off."""
    return calendar.add_workdays(deadline, 0)


def workdays_overdue(
    deadline: date, *, today: date, calendar: "workdays.WorkdayCalendar"
) -> int | None:
    """Working days past the due day on `today`, or None when not overdue. Zero on a day
    off right after the due day: overdue, but no working day lost yet."""
    due = due_day(deadline, calendar)
    if due >= today:
        return None
    return calendar.workdays_between(due, today)


def last_overdue_deadline(as_of: date, calendar: "workdays.WorkdayCalendar | None" = None) -> date:
    """The latest deadline overdue on `as_of`, for SQL (``deadline__lte``): the last
    working day before it. A later deadline is a day off due on `as_of` or after."""
    return (calendar or calendar_for(as_of)).workday_before(as_of)


def overdue_q(as_of: date, calendar: "workdays.WorkdayCalendar | None" = None) -> Q:
    """Issues whose deadline is overdue on `as_of`, whatever their status."""
    return Q(deadline__lte=last_overdue_deadline(as_of, calendar))


def red_cutoff(today: date, calendar: "workdays.WorkdayCalendar | None" = None) -> date:
    """The latest deadline that is more than the red threshold of working days overdue."""
    calendar = calendar or calendar_for(today)
    day = calendar.latest_day_before(today, settings.ISSUE_RED_OVERDUE_WORKDAYS + 1)
    # A day-off deadline counts from the working day after it, one working day later.
    return day if calendar.is_workday(day) else calendar.workday_before(day)


def deadline_state(
    issue: Issue, *, today: date, calendar: "workdays.WorkdayCalendar"
) -> str | None:
    if issue.status not in RUNNING or issue.deadline is None:
        return None
    late_by = workdays_overdue(issue.deadline, today=today, calendar=calendar)
    if late_by is not None:
        return (
            DeadlineState.LATE
            if late_by > settings.ISSUE_RED_OVERDUE_WORKDAYS
            else DeadlineState.OVERDUE
        )
    due = due_day(issue.deadline, calendar)
    if calendar.workdays_between(today, due) <= settings.ISSUE_DUE_SOON_WORKDAYS:
        return DeadlineState.DUE_SOON
    return None


def with_deadline_states(
    issues: Iterable[Issue],
    *,
    today: date,
    calendar: "workdays.WorkdayCalendar | None" = None,
) -> list[Issue]:
    """Evaluate the issues and set `deadline_state` on each; one calendar query, none when
    `calendar` has the years loaded already."""
    evaluated = list(issues)
    deadlines = [issue.deadline for issue in evaluated if issue.deadline]
    start = min([*deadlines, today])
    end = max([*deadlines, today])
    if calendar is None:
        calendar = workdays.WorkdayCalendar.for_range(start, end)
    else:
        calendar.load(start, end)
    for issue in evaluated:
        issue.deadline_state = deadline_state(issue, today=today, calendar=calendar)
    return evaluated


def calendar_warning(
    issues: Iterable[Issue],
    *,
    today: date,
    calendar: "workdays.WorkdayCalendar | None" = None,
) -> str | None:
    """`workdays.calendar_coverage_warning` for the working days the issues' deadline
    states count, from today to each running issue's due day; None when all are known."""
    calendar = calendar or workdays.WorkdayCalendar()
    days = [
        day
        for issue in issues
        if issue.status in RUNNING and issue.deadline
        for day in (issue.deadline, due_day(issue.deadline, calendar))
    ]
    if not days:
        return None
    return workdays.calendar_coverage_warning(
        min(*days, today), max(*days, today), calendar=calendar
    )


def issues_overdue(
    as_of: date, calendar: "workdays.WorkdayCalendar | None" = None
) -> QuerySet[Issue]:
    """Issues waiting on their department past their due day, with `overdue_rank`: 2 (red)
    when more than ISSUE_RED_OVERDUE_WORKDAYS working days overdue, else 1 (yellow); the
    same rule as `deadline_state`. One calendar query to build, none given `calendar`."""
    calendar = calendar or calendar_for(as_of)
    return Issue.objects.filter(overdue_q(as_of, calendar), status__in=RUNNING).annotate(
        overdue_rank=Case(
            When(deadline__lte=red_cutoff(as_of, calendar), then=Value(2)),
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
