"""The monthly round (月报) in the JSON API: the rounds with their 填报率 and 审核率, and a
round's reports with their states. Read-only, through the permission layer: officials and
leaders see every project's report, a project manager their own projects' (the counts
too); a department, which sees a project only through its issues and never its money,
gets 403, as for a project's brief."""

from datetime import date, datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from hitech_zone import permissions
from hitech_zone.api_types import Money, PageNumber, Percent, choice, errors
from inspections.models import MonthlyReport, ReportingRound
from inspections.rounds import selectors
from projects.api import PersonOut, ProjectRef

router = Router(tags=["monthly reports"])

State = MonthlyReport.State

# Who reads the round: those who read a project's plan and money (every project, or their
# own). Not a department: it sees a project only through the issues assigned to it.
READERS = frozenset(permissions.PROJECT_BRIEF_READERS)

# The counts of `selectors.round_counts`, one subquery each, so the list of rounds takes
# the same number of queries whatever its length.
COUNTS = {
    "total": Q(),
    "not_reported": Q(state=State.DRAFT, first_submitted_at__isnull=True),
    "drafts_again": Q(state=State.DRAFT, first_submitted_at__isnull=False),
    "submitted": Q(state=State.SUBMITTED),
    "returned": Q(state=State.RETURNED),
    "accepted": Q(state=State.ACCEPTED),
}


def _require_reader(user) -> None:
    if not permissions.has_role(user, *READERS):
        raise HttpError(
            403, _("Monthly reports are for zone officials, leaders and project managers.")
        )


class RoundOut(Schema):
    year: int
    month: int = Field(description="The month the round reports.")
    label: str = Field(description="e.g. 2026-11, as in the round's address.")
    deadline: date = Field(description="The day the reports are due (a working day).")
    opened_at: datetime
    past_deadline: bool = Field(description="Today is after the deadline.")
    total: int = Field(description="Reports due (应报), of the projects the user may see.")
    not_reported: int = Field(description="Reports never submitted (未报).")
    submitted: int = Field(description="Submitted, awaiting check (待审核).")
    returned: int = Field(description="Returned to the project for correction (退回).")
    accepted: int = Field(
        description="Accepted (已审核); a report opened again for correction counts here "
        "until its corrected version is checked: its accepted figure still counts."
    )
    reported: int = Field(description="Submitted at least once (已报).")
    reported_rate: Percent | None = Field(
        description="填报率: reported of those due, a percentage; null when none is due."
    )
    checked_rate: Percent | None = Field(
        description="审核率: accepted of those reported, a percentage; null when none is reported."
    )
    reports_url: str = Field(description="The round's reports in this API.")

    @staticmethod
    def resolve_label(round_: ReportingRound) -> str:
        return str(round_)

    @staticmethod
    def resolve_past_deadline(round_: ReportingRound) -> bool:
        return timezone.localdate() > round_.deadline

    @staticmethod
    def resolve_accepted(round_: ReportingRound) -> int:
        return _counts(round_).accepted

    @staticmethod
    def resolve_reported(round_: ReportingRound) -> int:
        return _counts(round_).reported

    @staticmethod
    def resolve_reported_rate(round_: ReportingRound):
        return _counts(round_).reported_rate

    @staticmethod
    def resolve_checked_rate(round_: ReportingRound):
        return _counts(round_).checked_rate

    @staticmethod
    def resolve_reports_url(round_: ReportingRound, context) -> str:
        return context["request"].build_absolute_uri(
            reverse("api:round_report_list", args=[round_.year, round_.month])
        )


def _counts(round_: ReportingRound) -> selectors.RoundCounts:
    """The annotated counts as `selectors.round_counts` gives them."""
    return selectors.RoundCounts(
        total=round_.total,
        not_reported=round_.not_reported,
        submitted=round_.submitted,
        returned=round_.returned,
        accepted=round_.accepted + round_.drafts_again,
    )


def _with_counts(rounds: QuerySet[ReportingRound], *, user) -> QuerySet[ReportingRound]:
    def count(where: Q) -> Coalesce:
        reports = (
            selectors.reports(user=user)
            .filter(where, round=OuterRef("pk"))
            .order_by()
            .values("round")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(reports, output_field=IntegerField()), Value(0))

    return rounds.annotate(**{name: count(where) for name, where in COUNTS.items()})


@router.get(
    "/rounds",
    response={200: list[RoundOut], **errors(401, 403, 422)},
    summary="Monthly reporting rounds",
    operation_id="round_list",
)
@paginate(PageNumber)
def round_list(request: HttpRequest):
    """The monthly rounds (月报), the latest first, with the state of their reports over
    the projects the user may see: 应报, 已报, 待审核, 退回, 已审核, 填报率 and 审核率. Only
    accepted figures count in the register."""
    _require_reader(request.auth)
    rounds = selectors.round_list().order_by("-year", "-month")
    return _with_counts(rounds, user=request.auth)


class ReportOut(Schema):
    id: int
    project: ProjectRef
    state: choice(MonthlyReport.State) = Field(
        description="draft (not reported, or opened again for correction) → submitted "
        "(awaiting check) → accepted, or returned to the project for correction."
    )
    state_label: str
    completed_amount: Money | None = Field(
        description="Investment completed in the month, 万元, as the project reported it: "
        "counted only once the state is accepted (until then it is awaiting check, or was "
        "returned); null while the report is a draft."
    )
    in_statistics_on: date | None = Field(
        description="The day the project entered the statistics (入库), as reported."
    )
    first_submitted_at: datetime | None = Field(description="When it was first submitted.")
    submitted_at: datetime | None = Field(description="When it was last submitted.")
    checked_at: datetime | None = Field(description="When it was last accepted or returned.")
    checked_by: PersonOut | None
    late: bool = Field(
        description="First submitted after the deadline, or still not reported after it."
    )
    return_reason: str = Field(description="Why it was returned; empty unless returned.")
    corrections: int = Field(description="How many times it was opened again to correct it.")

    @staticmethod
    def resolve_state_label(report: MonthlyReport) -> str:
        return str(report.get_state_display())

    @staticmethod
    def resolve_completed_amount(report: MonthlyReport):
        return None if report.state == State.DRAFT else report.completed_amount

    @staticmethod
    def resolve_in_statistics_on(report: MonthlyReport) -> date | None:
        if report.state == State.DRAFT or not report.in_statistics:
            return None
        return report.in_statistics_on

    @staticmethod
    def resolve_late(report: MonthlyReport) -> bool:
        deadline = report.round.deadline
        if report.first_submitted_at is None:
            return timezone.localdate() > deadline
        return timezone.localdate(report.first_submitted_at) > deadline

    @staticmethod
    def resolve_return_reason(report: MonthlyReport) -> str:
        return report.return_reason if report.state == State.RETURNED else ""


class ReportFilters(Schema):
    state: choice(MonthlyReport.State) | None = Field(
        None, description="Only reports in this state."
    )


@router.get(
    "/rounds/{year}-{month}/reports",
    response={200: list[ReportOut], **errors(401, 403, 404, 422)},
    summary="A round's reports",
    operation_id="round_report_list",
    url_name="round_report_list",
)
@paginate(PageNumber)
def round_report_list(
    request: HttpRequest,
    filters: Query[ReportFilters],
    year: int = Path(..., ge=2000, le=2100, example=2026),
    month: int = Path(..., ge=1, le=12, example=11),
):
    """The reports of the round for `month` of `year`, by project code, with their states:
    those of the projects the user may see. A round not opened answers 404."""
    _require_reader(request.auth)
    round_ = ReportingRound.objects.filter(year=year, month=month).first()
    if round_ is None:
        raise HttpError(404, _("No reporting round for this month."))
    reports = selectors.reports(user=request.auth, round_=round_).select_related("checked_by")
    if filters.state:
        reports = reports.filter(state=filters.state)
    return reports.order_by("project__code", "pk")
