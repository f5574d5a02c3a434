"""The reads behind a briefing: the register, the issues and the visits as they stood at one
moment (`as_of`), from the history tables, in a fixed number of queries whatever the number
of projects. Reference data (parks, categories, departments, people's names) is read as it
is now: renaming a park does not change what a briefing says about its projects' figures.

Alerts have no history table; they are read from their own timestamps: an alert is open at
a moment t when first_seen_at <= t and it was not resolved by t.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from inspections.models import Department, Issue, IssueCategory, SiteVisit
from projects import progress
from projects.models import (
    AnnualPlan,
    Milestone,
    MonthlyInvestment,
    Park,
    Project,
    ZoneIndustrialInvestment,
    ZoneTarget,
)
from projects.progress import MONTHS, planned_month_field
from reports.models import Alert, AlertEscalation
from reports.periods import MONTHLY, WEEKLY, Period


def as_of(model, moment: datetime) -> QuerySet:
    """The model's rows as they stood at `moment`: each row's latest history record up to
    then, unless that record is its deletion. The records themselves, not instances:
    instances would fetch the fields the history leaves out, one query per row. They carry
    the row's fields under the same names (`id` is the row's id)."""
    return model.history.filter(history_date__lte=moment).latest_of_each().exclude(history_type="-")


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Window:
    """The moments a briefing is read at.

    `start`/`end` bound the period (local midnight of its first day, and of the day after
    its last); `cut` is the earlier of `end` and `as_of`: what happened in the period is
    what happened in [start, cut]. Lights and escalations are those open at `as_of`: the
    briefing reports the projects as they stand when it is made."""

    period: Period
    as_of: datetime
    start: datetime
    end: datetime
    cut: datetime
    year_start: datetime

    @property
    def as_of_day(self) -> date:
        return timezone.localdate(self.as_of)

    @property
    def last_day(self) -> date:
        """The last day of the period already over at `as_of` (the day before the period
        when none is)."""
        return min(self.period.end, self.as_of_day - timedelta(days=1))


def window_for(period: Period, as_of: datetime) -> Window:
    start = local_midnight(period.start)
    end = local_midnight(period.end + timedelta(days=1))
    return Window(
        period=period,
        as_of=as_of,
        start=start,
        end=end,
        cut=min(as_of, end),
        year_start=local_midnight(date(period.start.year, 1, 1)),
    )


@dataclass(frozen=True)
class AlertRow:
    id: int
    project_id: int
    kind: str
    subject_key: str
    severity: str
    detail: dict
    first_seen_at: datetime
    resolved_at: datetime | None
    escalated_at: datetime | None  # the "briefing" step of its escalation, if taken

    def open_at(self, moment: datetime) -> bool:
        return self.first_seen_at <= moment and (
            self.resolved_at is None or self.resolved_at > moment
        )


@dataclass
class Reads:
    window: Window
    projects: dict[int, Project]
    park_names: dict[int, str]
    people: dict[int, str]
    milestones: list[Milestone]
    issues: list[Issue]
    categories: list[tuple[str, str]]  # (code, name) in the admins' order
    department_names: dict[int, str]
    visits: list[SiteVisit]
    alerts: list[AlertRow]

    @property
    def category_names(self) -> dict[str, str]:
        return dict(self.categories)

    # The plans and monthly figures of the year the figures are counted in: the month's
    # year for a monthly, the reporting period's for a weekly (last year's in January).
    plans: dict[int, Decimal] = field(default_factory=dict)
    monthly_plans: dict[int, list] = field(default_factory=dict)
    monthly: dict[int, dict[int, Decimal]] = field(default_factory=dict)
    # Monthly only.
    zone_industrial: object | None = None
    target: ZoneTarget | None = None
    # Weekly only: (project id, history date, status, history type), oldest first per project.
    status_rows: list[tuple[int, datetime, str, str]] = field(default_factory=list)


def figures_year(window: Window, kind: str) -> int:
    """The year whose plans and monthly figures a briefing counts: its month's for a
    monthly; for a weekly, that of the reporting period when it is made."""
    if kind == MONTHLY:
        return window.period.start.year
    return progress.reporting_period(window.as_of_day).year


def read(window: Window, kind: str) -> Reads:
    """12 queries for a monthly briefing, 13 for a weekly one, whatever the number of
    projects, milestones, issues or alerts."""
    moment = window.as_of
    period = window.period
    projects = {project.id: project for project in as_of(Project, moment)}
    milestones = list(as_of(Milestone, moment))
    earliest = min(window.start, window.year_start)
    in_reach = Q(raised_at__lt=window.end) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=earliest) | Q(raised_at__gte=earliest)
    )
    issues = list(as_of(Issue, moment).filter(in_reach))
    if kind == WEEKLY:
        # A weekly lists issues as they stood at the week's end (state, deadline): one
        # closed since still shows open in its week. An issue the history does not know
        # at the cut (entered later, or loaded in one go) is taken as read.
        at_cut = {issue.id: issue for issue in as_of(Issue, window.cut).filter(in_reach)}
        issues = [at_cut.get(issue.id, issue) for issue in issues]
    visits = list(as_of(SiteVisit, moment).filter(visited_on__range=(period.start, period.end)))
    escalated_at = AlertEscalation.objects.filter(
        alert=OuterRef("pk"), step=AlertEscalation.Step.BRIEFING
    ).values("escalated_at")[:1]
    alerts = [
        AlertRow(**row)
        for row in Alert.objects.filter(first_seen_at__lte=window.as_of)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=window.start))
        .annotate(escalated_at=Subquery(escalated_at))
        .values(
            "id",
            "project_id",
            "kind",
            "subject_key",
            "severity",
            "detail",
            "first_seen_at",
            "resolved_at",
            "escalated_at",
        )
    ]
    people_ids = {p.responsible_person_id for p in projects.values()} | {
        p.leader_in_charge_id for p in projects.values() if p.leader_in_charge_id
    }
    people = {
        user.pk: str(user)
        for user in get_user_model().objects.filter(pk__in=people_ids).only("username", "full_name")
    }
    reads = Reads(
        window=window,
        projects=projects,
        park_names=dict(Park.objects.values_list("pk", "name")),
        people=people,
        milestones=milestones,
        issues=issues,
        categories=list(
            IssueCategory.objects.order_by("sort_order", "code").values_list("code", "name")
        ),
        department_names=dict(Department.objects.values_list("pk", "name")),
        visits=visits,
        alerts=alerts,
    )
    year = figures_year(window, kind)
    reads.plans = defaultdict(Decimal)
    for plan in as_of(AnnualPlan, moment).filter(year=year):
        reads.plans[plan.project_id] += plan.planned_investment
        monthly_plan = [getattr(plan, planned_month_field(month)) for month in MONTHS]
        if monthly_plan[0] is not None:
            reads.monthly_plans[plan.project_id] = monthly_plan
    reads.monthly = defaultdict(dict)
    for record in as_of(MonthlyInvestment, moment).filter(year=year):
        reads.monthly[record.project_id][record.month] = record.completed_amount
    if kind == MONTHLY:
        reads.target = as_of(ZoneTarget, moment).filter(year=year).first()
        reads.zone_industrial = (
            as_of(ZoneIndustrialInvestment, moment)
            .filter(year=year, month=period.start.month)
            .first()
        )
    else:
        # Each project's last record before the week, and its records in the week: enough
        # to tell every status change in the week and what it changed from.
        before = (
            Project.history.filter(history_date__lt=window.start)
            .latest_of_each()
            .values("history_id")
        )
        reads.status_rows = list(
            Project.history.filter(
                Q(history_date__gte=window.start, history_date__lte=window.cut)
                | Q(history_id__in=before)
            )
            .order_by("id", "history_date", "history_id")
            .values_list("id", "history_date", "status", "history_type")
        )
    return reads
