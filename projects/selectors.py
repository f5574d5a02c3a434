"""Reads of the register. Each returns a queryset or plain values with a fixed number of
queries, whatever the number of projects."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from hitech_zone import permissions
from hitech_zone.money import percent, quantize_money
from projects import lights, progress
from projects.models import (
    AnnualPlan,
    Milestone,
    MonthlyInvestment,
    Project,
    ProjectImport,
    ZoneIndustrialInvestment,
    ZoneTarget,
)

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))


def sum_subquery(queryset: QuerySet, field: str) -> Coalesce:
    summed = (
        queryset.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(
        Subquery(summed, output_field=DecimalField(max_digits=14, decimal_places=2)), ZERO
    )


def annotate_year_investment(
    queryset: QuerySet[Project], *, period: progress.ReportingPeriod
) -> QuerySet[Project]:
    """Add, for the period's year: the plan as `annual_plan`, the investment completed in
    months 1..N as `completed_ytd`, the part of the plan due by month N (序时进度) as
    `due_ytd`, and `investment_assessed` (1 when the project has a plan with some of it
    due, else 0: 未到考核期), all 万元."""
    # The plan is one row per project and year (a constraint): a join, not a subquery,
    # which the light's rules read several times (make bench).
    return (
        queryset.annotate(
            plan_of_year=FilteredRelation(
                "annual_plans", condition=Q(annual_plans__year=period.year)
            )
        )
        .annotate(
            annual_plan=Coalesce(F("plan_of_year__planned_investment"), ZERO),
            completed_ytd=sum_subquery(
                MonthlyInvestment.objects.filter(year=period.year, month__lte=period.month),
                "completed_amount",
            ),
        )
        .annotate(
            due_ytd=Coalesce(progress.due_expression(period), ZERO),
            # The period rides along, so an answer built from these rows names it.
            period_year=Value(period.year, output_field=IntegerField()),
            period_month=Value(period.month, output_field=IntegerField()),
        )
        .annotate(
            investment_assessed=Case(
                When(Q(annual_plan__gt=0) & Q(due_ytd__gt=0), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    )


def plan_years(*, upto: int) -> list[int]:
    """The years a page may show, newest first: those with plans, up to `upto`, which is
    always there. One query."""
    years = set(AnnualPlan.objects.filter(year__lt=upto).values_list("year", flat=True).distinct())
    return sorted(years | {upto}, reverse=True)


def project_list(
    *, user, as_of: date, period: progress.ReportingPeriod | None = None
) -> QuerySet[Project]:
    """Projects the user may see, annotated by `annotate_year_investment` for `period`
    (by default the reporting period on `as_of`) and with their warning light's
    `light_rank` as of `as_of` (`project.light` names it; see projects.lights)."""
    period = period or progress.reporting_period(as_of)
    queryset = permissions.scope(user, Project.objects.all())
    annotated = annotate_year_investment(
        queryset.select_related("sector", "park", "responsible_person"), period=period
    )
    return lights.annotate_lights(annotated, as_of=as_of, period=period)


@dataclass(frozen=True)
class ZoneSummary:
    period: progress.ReportingPeriod
    as_of: date
    project_count: int
    total_investment: Decimal
    annual_plan: Decimal
    completed_ytd: Decimal
    due_ytd: Decimal
    industrial_completed_ytd: Decimal
    target: ZoneTarget | None
    # The whole zone's industrial investment for the period, as its source published it;
    # None until an official has entered it.
    zone_industrial: ZoneIndustrialInvestment | None = None

    @property
    def year(self) -> int:
        return self.period.year

    @property
    def due_by_now(self) -> Decimal:
        """The part of the plan due by the period's month (序时进度), 万元."""
        return self.due_ytd

    @property
    def time_progress_percent(self) -> Decimal | None:
        """序时进度 over these projects: what is due as a percentage of their plans."""
        return progress.time_progress_percent(self.due_ytd, self.annual_plan)

    @property
    def plan_percent_completed(self) -> Decimal | None:
        return percent(self.completed_ytd, self.annual_plan)

    @property
    def points_vs_time_progress(self) -> Decimal | None:
        """Percentage points ahead (+) or behind (−) 序时进度, as reports print it."""
        if self.plan_percent_completed is None or self.time_progress_percent is None:
            return None
        return self.plan_percent_completed - self.time_progress_percent

    @property
    def zone_industrial_ytd(self) -> Decimal | None:
        return self.zone_industrial.completed_amount if self.zone_industrial else None

    @property
    def key_projects_industrial_share(self) -> Decimal | None:
        """The key projects' part of the zone's industrial investment, a percentage."""
        return percent(self.industrial_completed_ytd, self.zone_industrial_ytd)

    @property
    def industrial_ensure_percent(self) -> Decimal | None:
        """The zone's industrial investment against the 确保 line; None without both."""
        if self.target is None or self.zone_industrial is None:
            return None
        return percent(self.zone_industrial_ytd, self.target.industrial_ensure)

    @property
    def industrial_strive_percent(self) -> Decimal | None:
        if self.target is None or self.zone_industrial is None:
            return None
        return percent(self.zone_industrial_ytd, self.target.industrial_strive)

    @property
    def ahead_of_schedule(self) -> bool:
        return self.completed_ytd >= self.due_by_now


def zone_summary(
    *, user, as_of: date, period: progress.ReportingPeriod | None = None
) -> ZoneSummary:
    """Totals over the projects the user may see, for `period` (by default the reporting
    period on `as_of`). Four queries."""
    period = period or progress.reporting_period(as_of)
    projects = permissions.scope(user, Project.objects.all())
    # Only the plan's join: the completed figures come from their own query below, and a
    # completed subquery per project here cost ~0.3 s at province scale (make bench).
    plan = "plan_of_year__planned_investment"
    totals = projects.annotate(
        plan_of_year=FilteredRelation("annual_plans", condition=Q(annual_plans__year=period.year))
    ).aggregate(
        project_count=Coalesce(Sum(Value(1)), 0),
        total_investment=Coalesce(Sum("total_investment"), ZERO),
        plan_total=Coalesce(Sum(plan), ZERO),
        due_total=Coalesce(Sum(progress.due_expression(period, annual_plan=plan)), ZERO),
    )
    completed = MonthlyInvestment.objects.filter(
        project__in=projects, year=period.year, month__lte=period.month
    ).aggregate(
        total=Coalesce(Sum("completed_amount"), ZERO),
        industrial=Coalesce(
            Sum("completed_amount", filter=Q(project__category=Project.Category.INDUSTRIAL)), ZERO
        ),
    )
    return ZoneSummary(
        period=period,
        as_of=as_of,
        project_count=totals["project_count"],
        total_investment=quantize_money(totals["total_investment"]),
        annual_plan=quantize_money(totals["plan_total"]),
        completed_ytd=quantize_money(completed["total"]),
        due_ytd=quantize_money(totals["due_total"]),
        industrial_completed_ytd=quantize_money(completed["industrial"]),
        # The zone's targets mean something only beside the whole zone's figures.
        target=ZoneTarget.objects.filter(year=period.year).first()
        if permissions.sees_all_projects(user)
        else None,
        zone_industrial=ZoneIndustrialInvestment.objects.filter(
            year=period.year, month=period.month
        ).first()
        if permissions.sees_all_projects(user)
        else None,
    )


def milestone_list_slipping(*, user, as_of: date, limit: int = 10) -> list[Milestone]:
    """Open milestones whose baseline has passed or whose forecast passes the baseline,
    most urgent first: the longest overdue, then the latest forecasts. One query."""
    slipping = (
        permissions.scope(user, Milestone.objects.filter(actual_date__isnull=True))
        .filter(Q(baseline_date__lt=as_of) | Q(forecast_date__gt=F("baseline_date")))
        .select_related("project")
        .annotate(overdue=Case(When(baseline_date__lt=as_of, then=Value(1)), default=Value(0)))
        .order_by("-overdue", "baseline_date", "project__code")[:limit]
    )
    return sorted(slipping, key=lambda milestone: -milestone.slip_days(as_of))


@dataclass(frozen=True)
class Breakdown:
    label: str
    project_count: int
    total_investment: Decimal
    annual_plan: Decimal
    completed_ytd: Decimal

    @property
    def percent_of_plan(self) -> Decimal | None:
        return percent(self.completed_ytd, self.annual_plan)


def breakdown(rows: Iterable[tuple[str, Decimal, Decimal, Decimal]]) -> list[Breakdown]:
    """Totals by label (a park's or sector's name) of `project_list` rows given as (label,
    total_investment, annual_plan, completed_ytd), largest investment first. Summed here,
    not grouped in SQL: the dashboard reads these rows for the lights anyway, and each
    grouped query worked out every project's plan and investment again (make bench)."""
    totals: dict[str, list] = {}
    for label, total, plan, completed in rows:
        entry = totals.setdefault(label, [0, Decimal(0), Decimal(0), Decimal(0)])
        entry[0] += 1
        entry[1] += total
        entry[2] += plan
        entry[3] += completed
    return [
        Breakdown(
            label=label,
            project_count=count,
            total_investment=quantize_money(total),
            annual_plan=quantize_money(plan),
            completed_ytd=quantize_money(completed),
        )
        for label, (count, total, plan, completed) in sorted(
            totals.items(), key=lambda item: (-item[1][1], item[0])
        )
    ]


def milestone_list(*, user, projects: QuerySet[Project]) -> QuerySet[Milestone]:
    """The milestones of `projects` (e.g. the register's current view) the user may see,
    by project and sequence. One query."""
    return (
        permissions.scope(
            user, Milestone.objects.filter(project__in=projects.order_by().values("pk"))
        )
        .select_related("project", "phase")
        .order_by("project__code", "sequence")
    )


def monthly_investment_list(*, user, projects: QuerySet[Project]) -> QuerySet[MonthlyInvestment]:
    """The monthly figures of `projects` the user may see, by project and month. One query."""
    return (
        permissions.scope(
            user, MonthlyInvestment.objects.filter(project__in=projects.order_by().values("pk"))
        )
        .select_related("project")
        .order_by("project__code", "year", "month")
    )


def project_import_list(*, limit: int = 30) -> QuerySet[ProjectImport]:
    """The latest imports, without their files. One query."""
    return (
        ProjectImport.objects.defer("content", "plan")
        .select_related("uploaded_by", "applied_by")
        .order_by("-uploaded_at", "-id")[:limit]
    )


def project_import_get(*, pk: int) -> ProjectImport:
    """One import with its plan but not its file, and whether the file is kept."""
    return (
        ProjectImport.objects.defer("content")
        .select_related("uploaded_by", "applied_by")
        .annotate(has_file=ExpressionWrapper(Q(content__isnull=False), output_field=BooleanField()))
        .get(pk=pk)
    )


@dataclass(frozen=True)
class StageRow:
    stage: progress.Stage
    project_count: int
    annual_plan: Decimal
    completed_ytd: Decimal

    @property
    def percent_of_plan(self) -> Decimal | None:
        return percent(self.completed_ytd, self.annual_plan)


@dataclass(frozen=True)
class Starts:
    """开工 and 竣工投产 against plan, and investment by stage, for a reporting period."""

    period: progress.ReportingPeriod
    starts: progress.Rate
    completions: progress.Rate
    stages: list[StageRow]


def key_milestones(*, user) -> dict[int, list]:
    """The 开工 and 竣工投产 candidates among the milestones the user may see, by project
    (names by `progress.is_start_milestone`, `is_completion_milestone`). One query; no
    list of project ids, which at province scale would be 10,000 parameters."""
    words = Q(name__contains=progress.START_WORD)
    for word in progress.COMPLETION_WORDS:
        words |= Q(name__contains=word)
    found: dict[int, list] = {}
    # Rows, not model instances: tens of thousands of them at province scale (make bench).
    for milestone in (
        permissions.scope(user, Milestone.objects.all())
        .filter(words)
        .values_list("project_id", "name", "sequence", "baseline_date", "actual_date", named=True)
    ):
        found.setdefault(milestone.project_id, []).append(milestone)
    return found


def starts_and_stages(*, user, period: progress.ReportingPeriod, rows) -> Starts:
    """From `project_list` rows (all the user may see) with `pk`, `planned_start`,
    `planned_completion`, `annual_plan` and `completed_ytd`: one query for the milestones."""
    rows = list(rows)
    milestones = key_milestones(user=user)
    totals = {stage: [0, Decimal(0), Decimal(0)] for stage in progress.Stage}
    all_dates = []
    for row in rows:
        dates = progress.key_dates(
            milestones.get(row.pk, []),
            planned_start=row.planned_start,
            planned_completion=row.planned_completion,
        )
        all_dates.append(dates)
        entry = totals[progress.stage(dates, period)]
        entry[0] += 1
        entry[1] += row.annual_plan
        entry[2] += row.completed_ytd
    starts, completions = progress.start_and_completion_rates(all_dates, period)
    return Starts(
        period=period,
        starts=starts,
        completions=completions,
        stages=[
            StageRow(stage, count, quantize_money(plan), quantize_money(done))
            for stage, (count, plan, done) in totals.items()
        ],
    )
