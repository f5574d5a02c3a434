"""Reads of visits and issues, scoped by the permission layer."""

from datetime import date

from django.db.models import Case, IntegerField, QuerySet, Value, When

from hitech_zone import permissions
from inspections.models import Issue, SiteVisit

SEVERITY_RANK = Case(
    When(severity=Issue.Severity.CRITICAL, then=Value(0)),
    When(severity=Issue.Severity.SERIOUS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def issue_list_open(*, user, as_of: date) -> QuerySet[Issue]:
    """Issues not yet closed (销号), most urgent first: overdue, then by deadline and
    severity; issues without a deadline (just raised) after those with one."""
    return (
        permissions.scope(user, Issue.objects.exclude(status=Issue.Status.CLOSED))
        .select_related("project", "department")
        .annotate(
            overdue_rank=Case(When(deadline__lt=as_of, then=Value(0)), default=Value(1)),
            deadline_rank=Case(When(deadline__isnull=True, then=Value(1)), default=Value(0)),
            severity_rank=SEVERITY_RANK,
        )
        .order_by("overdue_rank", "deadline_rank", "deadline", "severity_rank", "raised_at")
    )


def issue_list_for_project(*, user, project_id: int) -> QuerySet[Issue]:
    return (
        permissions.scope(user, Issue.objects.filter(project_id=project_id))
        .select_related("department")
        .order_by("-raised_at")
    )


def visit_list_for_project(*, user, project_id: int) -> QuerySet[SiteVisit]:
    return (
        permissions.scope(user, SiteVisit.objects.filter(project_id=project_id))
        .prefetch_related("participants")
        .order_by("-visited_on", "-id")
    )
