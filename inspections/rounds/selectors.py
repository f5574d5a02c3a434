"""Reads of the monthly round, each in a fixed number of queries whatever the number of
projects, and every one through the permission layer."""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from hitech_zone import permissions
from hitech_zone.money import percent
from inspections import workdays
from inspections.models import MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds.services import is_jump
from projects import progress
from projects.models import MonthlyInvestment, Project
from projects.selectors import ZERO, annotate_year_investment, sum_subquery

State = MonthlyReport.State
# A report that was submitted at least once counts as reported (填报), even when it was
# returned for correction since.
REPORTED = (State.SUBMITTED, State.RETURNED, State.ACCEPTED)
CENT = Decimal("0.01")


def round_list() -> QuerySet[ReportingRound]:
    return ReportingRound.objects.all()


def round_current() -> ReportingRound | None:
    """The latest round opened (the previous month's, from the 1st)."""
    return ReportingRound.objects.first()


def reports(*, user, round_: ReportingRound | None = None) -> QuerySet[MonthlyReport]:
    queryset = MonthlyReport.objects.select_related("round", "project", "project__park")
    if round_ is not None:
        queryset = queryset.filter(round=round_)
    return permissions.scope(user, queryset)


def report_get(*, user, pk: int, action=permissions.Action.VIEW) -> MonthlyReport:
    queryset = MonthlyReport.objects.select_related(
        "round", "project", "submitted_by", "checked_by"
    ).prefetch_related(
        Prefetch("steps", queryset=MonthlyReportStep.objects.select_related("actor")), "photos"
    )
    return permissions.get_for(user, queryset, action, pk=pk)


@dataclass(frozen=True)
class RoundCounts:
    total: int
    not_reported: int
    submitted: int
    returned: int
    accepted: int

    @property
    def reported(self) -> int:
        return self.submitted + self.returned + self.accepted

    @property
    def reported_rate(self) -> Decimal | None:
        """填报率: reports submitted at least once, of all due (percent, one decimal)."""
        return percent(Decimal(self.reported), Decimal(self.total))

    @property
    def checked_rate(self) -> Decimal | None:
        """审核率: reports accepted, of those reported."""
        return percent(Decimal(self.accepted), Decimal(self.reported))


def _count_expressions() -> dict[str, Count]:
    return {
        "total": Count("pk"),
        "not_reported": Count("pk", filter=Q(state=State.DRAFT, first_submitted_at__isnull=True)),
        "drafts_again": Count("pk", filter=Q(state=State.DRAFT, first_submitted_at__isnull=False)),
        "submitted": Count("pk", filter=Q(state=State.SUBMITTED)),
        "returned": Count("pk", filter=Q(state=State.RETURNED)),
        "accepted": Count("pk", filter=Q(state=State.ACCEPTED)),
    }


def _round_counts(counts: dict) -> RoundCounts:
    # A report opened again for correction was accepted before: it still counts as such.
    return RoundCounts(
        total=counts["total"],
        not_reported=counts["not_reported"],
        submitted=counts["submitted"],
        returned=counts["returned"],
        accepted=counts["accepted"] + counts["drafts_again"],
    )


def round_counts(*, user, round_: ReportingRound) -> RoundCounts:
    """已报 / 未报 / 退回 / 已审 over the reports this user reaches. One query."""
    return _round_counts(reports(user=user, round_=round_).aggregate(**_count_expressions()))


def round_counts_by_round(*, user, rounds) -> dict[int, RoundCounts]:
    """`round_counts` of several rounds at once, by round id (one query). A round without
    a report this user reaches is absent."""
    rows = (
        permissions.scope(user, MonthlyReport.objects.filter(round__in=rounds))
        .order_by()
        .values("round")
        .annotate(**_count_expressions())
    )
    return {row["round"]: _round_counts(row) for row in rows}


@dataclass
class LateReporter:
    report: MonthlyReport
    managers: list = field(default_factory=list)
    # Working days after the deadline: until the first submission, or until `today`.
    workdays_late: int = 0
    submitted_late: bool = False


def late_reporters(
    *, user, round_: ReportingRound, today: date, calendar: "workdays.WorkdayCalendar | None" = None
) -> list[LateReporter]:
    """Reports not submitted by the deadline, most days late first: those still missing
    on `today` and those that came in late. Two queries (reports, their managers)."""
    if today <= round_.deadline:
        first_late = MonthlyReport.objects.none()
    else:
        first_late = reports(user=user, round_=round_).filter(
            Q(first_submitted_at__isnull=True) | Q(first_submitted_at__date__gt=round_.deadline)
        )
    rows = list(first_late.prefetch_related("project__managers").order_by("project__code"))
    calendar = calendar or workdays.WorkdayCalendar.for_range(round_.deadline, today)
    late = []
    for report in rows:
        submitted = report.first_submitted_at
        until = timezone.localdate(submitted) if submitted else today
        late.append(
            LateReporter(
                report=report,
                managers=list(report.project.managers.all()),
                workdays_late=calendar.workdays_between(round_.deadline, until),
                submitted_late=submitted is not None,
            )
        )
    late.sort(key=lambda row: (-row.workdays_late, row.report.project.code))
    return late


@dataclass
class QueueRow:
    report: MonthlyReport
    previous_month: Decimal | None
    monthly_plan: Decimal | None
    annual_plan: Decimal
    completed_before: Decimal
    due_ytd: Decimal
    jump: bool

    @property
    def cumulative(self) -> Decimal:
        """The year's investment through the report's month if it is accepted."""
        return self.completed_before + (self.report.completed_amount or Decimal(0))

    @property
    def cumulative_percent(self) -> Decimal | None:
        return percent(self.cumulative, self.annual_plan)

    @property
    def due_percent(self) -> Decimal | None:
        return progress.time_progress_percent(self.due_ytd, self.annual_plan)


def check_queue(*, user, round_: ReportingRound | None = None) -> list[QueueRow]:
    """Submitted reports awaiting check, oldest first, each beside last month's accepted
    figure, the month's plan, the year's plan and 序时进度 through the month. Two queries."""
    return queue_rows(list(awaiting_check_reports(user=user, round_=round_)))


def awaiting_check_reports(
    *, user, round_: ReportingRound | None = None
) -> QuerySet[MonthlyReport]:
    """The check queue's reports, oldest first, to page through; `queue_rows` adds the
    figures beside a page of them."""
    queryset = reports(user=user, round_=round_).filter(state=State.SUBMITTED)
    return queryset.select_related("submitted_by").order_by("submitted_at", "pk")


def queue_rows(rows: list[MonthlyReport]) -> list[QueueRow]:
    """The figures beside each report (one query per round among them, usually one)."""
    by_round: dict[int, list[MonthlyReport]] = {}
    for report in rows:
        by_round.setdefault(report.round_id, []).append(report)
    figures: dict[int, Project] = {}
    for reports_of_round in by_round.values():
        round_ = reports_of_round[0].round
        period = progress.through(round_.year, round_.month)
        projects = annotate_year_investment(
            Project.objects.filter(pk__in=[r.project_id for r in reports_of_round]),
            period=period,
        )
        extra = {
            "completed_before": _months_before(round_),
            "previous_month": _month_figure(round_),
        }
        if round_.month > 1:
            extra["due_before"] = Coalesce(
                progress.due_expression(progress.through(round_.year, round_.month - 1)), ZERO
            )
        for project in projects.annotate(**extra).only("pk", "planned_start"):
            figures[project.pk] = project
    result = []
    for report in rows:
        project = figures[report.project_id]
        due_before = getattr(project, "due_before", Decimal(0))
        # 序时 amounts come from even shares of the plan (0.8333… of it): to the fen, so a
        # 500 万元 month is 500.00, not 499.999999998, and 1,500 is not "more than" 3 × 500.
        monthly_plan = (
            (project.due_ytd - due_before).quantize(CENT, rounding=ROUND_HALF_UP)
            if project.annual_plan
            else None
        )
        result.append(
            QueueRow(
                report=report,
                previous_month=project.previous_month,
                monthly_plan=monthly_plan,
                annual_plan=project.annual_plan,
                completed_before=project.completed_before,
                due_ytd=project.due_ytd,
                jump=is_jump(report.completed_amount, monthly_plan),
            )
        )
    return result


def _month_figure(round_: ReportingRound) -> Subquery:
    """Last month's accepted figure (None in January: a new year)."""
    previous = MonthlyInvestment.objects.filter(
        project=OuterRef("pk"), year=round_.year, month=round_.month - 1
    ).values("completed_amount")[:1]
    return Subquery(previous, output_field=DecimalField(max_digits=14, decimal_places=2))


def _months_before(round_: ReportingRound) -> Coalesce:
    """The accepted investment of the round's year before its month."""
    months = MonthlyInvestment.objects.filter(year=round_.year, month__lt=round_.month)
    return sum_subquery(months, "completed_amount")


def accepted_before(report: MonthlyReport) -> Decimal:
    """The accepted investment of the report's year before its month (万元)."""
    total = MonthlyInvestment.objects.filter(
        project_id=report.project_id, year=report.round.year, month__lt=report.round.month
    ).aggregate(total=Sum("completed_amount"))["total"]
    return total or Decimal(0)


def awaiting_check(*, project: Project, user) -> list[MonthlyReport]:
    """A project's submitted figures not accepted yet (待审核), for its page."""
    return list(
        reports(user=user).filter(project=project, state=State.SUBMITTED).order_by("-round")
    )


def my_open_reports(*, user) -> QuerySet[MonthlyReport]:
    """What a manager has to fill: reports of their projects not reported or returned."""
    return (
        permissions.scope(
            user,
            MonthlyReport.objects.select_related("round", "project"),
            permissions.Action.EDIT,
        )
        .filter(state__in=(State.DRAFT, State.RETURNED))
        .order_by("-round__year", "-round__month", "project__code")
    )


@dataclass
class ProjectReports:
    """A project's reports not accepted yet, for its page."""

    # Submitted, not accepted yet: their figures show as 待审核 and count for nothing.
    awaiting: list[MonthlyReport]
    # Not reported, or returned: for the project's manager to fill.
    to_fill: list[MonthlyReport]


def project_reports(*, project: Project, user) -> ProjectReports:
    """`awaiting_check` and the reports still to fill, in one query."""
    rows = list(
        reports(user=user)
        .filter(project=project, state__in=(State.DRAFT, State.SUBMITTED, State.RETURNED))
        .order_by("-round__year", "-round__month")
    )
    return ProjectReports(
        awaiting=[report for report in rows if report.state == State.SUBMITTED],
        to_fill=[report for report in rows if report.state != State.SUBMITTED],
    )
