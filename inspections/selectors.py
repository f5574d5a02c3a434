"""Reads of visits and issues, scoped by the permission layer."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)

from hitech_zone import permissions
from hitech_zone.money import percent
from inspections import deadlines
from inspections.models import FollowUp, Issue, SiteVisit, VisitParticipant, VisitPhoto
from projects.models import Project

SEVERITY_RANK = Case(
    When(severity=Issue.Severity.CRITICAL, then=Value(0)),
    When(severity=Issue.Severity.SERIOUS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def issue_list_open(*, user, as_of: date) -> QuerySet[Issue]:
    """Issues not yet closed (销号), most urgent first: overdue, then by deadline and
    severity; issues without a deadline (just raised) after those with one."""
    # Overdue issues have the earliest deadlines: one deadline order (NULLs last) puts them
    # first, and an index in deadline order serves it (issue_list_order_idx).
    return (
        issue_list(user=user, as_of=as_of)
        .exclude(status=Issue.Status.CLOSED)
        .annotate(severity_rank=SEVERITY_RANK)
        .order_by(F("deadline").asc(nulls_last=True), "severity_rank", "raised_at")
    )


def issue_list_for_project(*, user, project_id: int) -> QuerySet[Issue]:
    return (
        permissions.scope(user, Issue.objects.filter(project_id=project_id))
        .select_related("department", "category")
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.select_related("actor").order_by("acted_at", "id"),
            )
        )
        .order_by("-raised_at")
    )


def visit_list_for_project(*, user, project_id: int) -> QuerySet[SiteVisit]:
    return (
        permissions.scope(user, SiteVisit.objects.filter(project_id=project_id))
        .prefetch_related("participants")
        .order_by("-visited_on", "-id")
    )


def _count_of(queryset: QuerySet) -> Subquery:
    """The number of `queryset`'s rows (filtered on an OuterRef) as a subquery: counting
    two relations with joins would multiply each by the other. COUNT with no GROUP BY, so
    no rows is 0, not NULL."""
    counted = queryset.order_by().annotate(count=Func(F("pk"), function="COUNT")).values("count")
    return Subquery(counted, output_field=IntegerField())


def visit_list(*, user) -> QuerySet[SiteVisit]:
    """The visits to the projects the user may see (the permission layer's reach on the
    project: every project, a manager's own, or those a department has issues on), newest
    first, with what the list and its export show; a fixed number of queries whatever
    their number (the visitors and contacts: one prefetch each).

    `openable`: whether the user may open the visit and its photos, which the permission
    layer decides on the visit itself (a department follows its issues, not the visits:
    it sees the row, without a link or a thumbnail). `first_photo`: the first photo with a
    thumbnail, or None."""
    return (
        SiteVisit.objects.filter(project__in=permissions.scope(user, Project.objects.all()))
        .select_related("project__park", "created_by")
        .annotate(
            openable=Exists(permissions.scope(user, SiteVisit.objects.filter(pk=OuterRef("pk")))),
            first_photo=Subquery(
                VisitPhoto.objects.filter(visit=OuterRef("pk"))
                .exclude(thumbnail="")
                .order_by("id")
                .values("pk")[:1]
            ),
            photo_count=_count_of(VisitPhoto.objects.filter(visit=OuterRef("pk"))),
            issue_count=_count_of(Issue.objects.filter(site_visit=OuterRef("pk"))),
        )
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=VisitParticipant.objects.filter(side=VisitParticipant.Side.VISITOR),
                to_attr="visitor_list",
            ),
            Prefetch(
                "participants",
                queryset=VisitParticipant.objects.filter(side=VisitParticipant.Side.SITE_CONTACT),
                to_attr="contact_list",
            ),
        )
        .order_by("-visited_on", "-id")
    )


def issue_list(*, user, as_of: date) -> QuerySet[Issue]:
    """Every issue the user may see, with what lists and exports show. One calendar query
    to build (the overdue cut-off)."""
    return (
        permissions.scope(user, Issue.objects.all())
        .select_related("project", "category", "department", "raised_by")
        .annotate(
            overdue_rank=Case(When(deadlines.overdue_q(as_of), then=Value(0)), default=Value(1)),
        )
    )


@dataclass(frozen=True)
class ClosureRate:
    """办结率: the share of issues closed (销号) among those raised, for one group."""

    label: str
    total: int
    resolved: int
    closed: int

    @property
    def rate(self) -> Decimal | None:
        return percent(Decimal(self.closed), Decimal(self.total))


def closure_rates(issues: QuerySet[Issue], *, by: str) -> list[ClosureRate]:
    """办结率 of `issues` grouped by `by` ("department", "category"). Two queries."""
    return closure_rate_tables(issues, by=(by,))[by]


def closure_rate_tables(
    issues: QuerySet[Issue], *, by: tuple[str, ...]
) -> dict[str, list[ClosureRate]]:
    """办结率 of `issues` grouped by each reference of `by` ("department", "category") in
    turn, by name. One pass over the issues, grouped by the references' ids (no join: make
    bench, 60,000 issues at province), then one query per reference for the names."""
    keys = {field: Issue._meta.get_field(field).attname for field in by}
    rows = list(
        issues.order_by().values(*keys.values(), "status").annotate(count=Count("id")).order_by()
    )
    tables = {}
    for field, key in keys.items():
        reference = Issue._meta.get_field(field)
        target = reference.target_field.attname  # a category is referred to by its code
        names = dict(
            reference.related_model.objects.filter(
                **{f"{target}__in": {row[key] for row in rows} - {None}}
            ).values_list(target, "name")
        )
        groups: dict[str, dict[str, int]] = {}
        for row in rows:
            counts = groups.setdefault(
                names.get(row[key]) or "—", {"total": 0, "resolved": 0, "closed": 0}
            )
            counts["total"] += row["count"]
            if row["status"] == Issue.Status.RESOLVED:
                counts["resolved"] += row["count"]
            elif row["status"] == Issue.Status.CLOSED:
                counts["closed"] += row["count"]
        tables[field] = [
            ClosureRate(label=label, **counts) for label, counts in sorted(groups.items())
        ]
    return tables


def issue_timeline(issue: Issue) -> QuerySet[FollowUp]:
    return issue.follow_ups.select_related("actor").order_by("acted_at", "id")


def department_board(*, user, department, as_of: date) -> dict[str, list[Issue]]:
    """A department's open issues the user may see, by state, oldest first. One query."""
    issues = (
        permissions.scope(user, Issue.objects.filter(department=department))
        .exclude(status=Issue.Status.CLOSED)
        .select_related("project")
        .order_by("raised_at", "id")
    )
    board: dict[str, list[Issue]] = {
        status: []
        for status in (Issue.Status.ASSIGNED, Issue.Status.IN_PROGRESS, Issue.Status.RESOLVED)
    }
    for issue in issues:
        board.setdefault(issue.status, []).append(issue)
    return board
