"""The register in the JSON API: projects with milestones and the year's investment, and
the zone's totals against its targets. Thin views over `projects.selectors`, scoped by
the permission layer like the web pages."""

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from hitech_zone import permissions
from hitech_zone.api_types import MAX_ID, CleanStr, Money, PageNumber, Percent, choice, errors
from hitech_zone.money import percent
from projects import lights, progress, selectors
from projects.filters import SORTS, ProjectFilterSet, sort_ordering
from projects.models import Milestone, MonthlyInvestment, Phase, Project

router = Router(tags=["projects"])

SortKey = choice(key for name in SORTS for key in (name, f"-{name}"))


class ReferenceOut(Schema):
    id: int
    code: str
    name: str


class PersonOut(Schema):
    id: int
    name: str = Field(description="Full name, or the user name when none is recorded.")

    @staticmethod
    def resolve_name(user) -> str:
        return str(user)


class ProjectRef(Schema):
    """A project as other records (issues, alerts) point to it."""

    id: int
    code: str
    name: str


class MilestoneOut(Schema):
    sequence: int
    name: str
    phase: int | None = Field(description="Number of the phase it belongs to, if any.")
    baseline_date: date = Field(description="Planned date, fixed when the plan was approved.")
    forecast_date: date | None
    actual_date: date | None

    @staticmethod
    def resolve_phase(milestone: Milestone) -> int | None:
        return milestone.phase.number if milestone.phase_id else None


class PeriodOut(Schema):
    """The reporting period: months 1..`month` of `year`, the latest month whose
    reporting deadline has passed."""

    year: int
    month: int = Field(description="The period's last month (N in 1–N月).")
    label: str = Field(description="How reports name it, e.g. 2026年1–10月.")
    end: date = Field(description="The period's last day.")

    @staticmethod
    def resolve_label(period: progress.ReportingPeriod) -> str:
        return period.label


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    company: str
    park: ReferenceOut
    sector: ReferenceOut
    level: choice(Project.Level)
    category: choice(Project.Category)
    status: choice(Project.Status)
    status_label: str
    light: choice(lights.Light) = Field(description="Warning light (预警) as of today.")
    responsible_person: PersonOut
    total_investment: Money = Field(description="Total investment, 万元.")
    period: PeriodOut = Field(description="The reporting period the figures run through.")
    annual_plan: Money = Field(description="Investment planned for the period's year, 万元.")
    completed_ytd: Money = Field(description="Investment completed in the period, 万元.")
    due_ytd: Money = Field(
        description="The part of the plan due by the period's month (序时进度), 万元."
    )
    plan_percent_completed: Percent | None = Field(
        description="Completed in the period as a percentage of the year's plan; null without a plan."
    )
    time_progress_percent: Percent | None = Field(
        description="序时进度: the part of the plan due by the period's month, as a percentage; null without a plan."
    )
    planned_start: date | None
    planned_completion: date | None
    updated_at: datetime
    web_url: str = Field(description="The project's page in the web application.")
    milestones: list[MilestoneOut] = Field(description="Time nodes (节点) in order.")

    @staticmethod
    def resolve_status_label(project: Project) -> str:
        return str(project.get_status_display())

    @staticmethod
    def resolve_period(project: Project) -> progress.ReportingPeriod:
        return progress.ReportingPeriod(project.period_year, project.period_month)

    @staticmethod
    def resolve_plan_percent_completed(project: Project) -> Decimal | None:
        return percent(project.completed_ytd, project.annual_plan)

    @staticmethod
    def resolve_time_progress_percent(project: Project) -> Decimal | None:
        return progress.time_progress_percent(project.due_ytd, project.annual_plan)

    @staticmethod
    def resolve_web_url(project: Project, context) -> str:
        return context["request"].build_absolute_uri(reverse("project_detail", args=[project.code]))


class PhaseOut(Schema):
    number: int
    name: str
    scope: str
    investment: Money | None = Field(description="Investment of the phase, 万元.")
    planned_start: date | None
    planned_completion: date | None


class MonthOut(Schema):
    month: int
    completed_amount: Money = Field(description="Investment completed in the month, 万元.")


class ReasonOut(Schema):
    light: choice(lights.Light)
    text: str


class ProjectDetailOut(ProjectOut):
    location: str
    description: str
    leader_in_charge: PersonOut | None
    light_reasons: list[ReasonOut] = Field(description="Why the project has its light.")
    phases: list[PhaseOut]
    months: list[MonthOut] = Field(description="Investment completed per month this year.")


class ProjectFilters(Schema):
    """The register's filters, with the names its web address uses."""

    q: CleanStr | None = Field(
        None, max_length=100, description="Search the name and company, or an exact code."
    )
    park: int | None = Field(None, ge=1, le=MAX_ID, description="Park or carrier id (`park.id`).")
    sector: int | None = Field(None, ge=1, le=MAX_ID, description="Sector id (`sector.id`).")
    status: choice(Project.Status) | None = None
    light: choice(lights.Light) | None = None
    responsible_person: int | None = Field(
        None, ge=1, le=MAX_ID, description="Responsible person's id (`responsible_person.id`)."
    )
    category: choice(Project.Category) | None = None
    sort: SortKey = Field(
        "code", description="Column to sort by; a leading minus sorts in descending order."
    )


def _milestones() -> Prefetch:
    return Prefetch("milestones", queryset=Milestone.objects.select_related("phase"))


def _filtered(filters: ProjectFilters, *, user, as_of: date) -> QuerySet[Project]:
    """The register's rows for these filters, through the register's own filterset. A
    value it refuses (a park that does not exist, a person not in charge of any project
    the user sees) matches nothing, rather than being ignored as the web form does."""
    projects = selectors.project_list(user=user, as_of=as_of)
    data = filters.model_dump(exclude_none=True, exclude={"sort"})
    filterset = ProjectFilterSet(data, queryset=projects, user=user)
    if not filterset.is_valid():
        return projects.none()
    _sort, ordering = sort_ordering(filters.sort)
    return filterset.qs.order_by(*ordering)


@router.get(
    "/projects",
    response={200: list[ProjectOut], **errors(401, 422)},
    summary="Key projects",
    operation_id="project_list",
)
@paginate(PageNumber)
def project_list(request: HttpRequest, filters: Query[ProjectFilters]):
    """The projects the token's user may see, with milestones and this year's investment,
    filtered and sorted like the web register (same parameter names)."""
    today = timezone.localdate()
    return _filtered(filters, user=request.auth, as_of=today).prefetch_related(_milestones())


@router.get(
    "/projects/{code}",
    response={200: ProjectDetailOut, **errors(401, 404, 422)},
    summary="One key project",
    operation_id="project_detail",
)
def project_detail(
    request: HttpRequest,
    code: str = Path(..., min_length=1, max_length=30, pattern=r"^[^\x00/]+$", example="GX-001"),
):
    """A project by its code, with phases, milestones, this year's months and why it has
    its light. A project out of the user's reach answers 404, as on the web."""
    today = timezone.localdate()
    period = progress.reporting_period(today)
    projects = selectors.project_list(
        user=request.auth, as_of=today, period=period
    ).prefetch_related(
        _milestones(),
        Prefetch("phases", queryset=Phase.objects.order_by("number")),
        Prefetch(
            "monthly_investments",
            queryset=MonthlyInvestment.objects.filter(year=period.year).order_by("month"),
            to_attr="months",
        ),
    )
    project = permissions.get_for(
        request.auth, projects.select_related("leader_in_charge"), code=code
    )
    project.light_reasons = lights.light_reasons(project, as_of=today, period=period)
    return project


class ZoneTargetOut(Schema):
    project_count: int = Field(description="Number of key projects aimed for.")
    total_investment: Money = Field(description="Total investment of the key projects, 万元.")
    planned_investment: Money = Field(description="Investment planned for the year, 万元.")
    industrial_ensure: Money = Field(description="Industrial investment to ensure (确保), 万元.")
    industrial_strive: Money = Field(
        description="Industrial investment to strive for (力争), 万元."
    )


class ZoneSummaryOut(Schema):
    year: int
    as_of: date
    project_count: int
    total_investment: Money = Field(description="Total investment of the projects, 万元.")
    annual_plan: Money = Field(description="Investment planned for the year, 万元.")
    completed_ytd: Money = Field(description="Investment completed this year so far, 万元.")
    plan_percent_completed: Percent | None = Field(
        description="Completed as a percentage of the annual plan; null without a plan."
    )
    period: PeriodOut = Field(description="The reporting period the figures run through.")
    time_progress_percent: Percent | None = Field(
        description="序时进度: the part of the plans due by the period's month, as a percentage of the plans; null without a plan."
    )
    points_vs_time_progress: Percent | None = Field(
        description="Percentage points completed ahead (+) of or behind (−) 序时进度."
    )
    due_by_now: Money = Field(description="The part of the plans due by the period's month, 万元.")
    ahead_of_schedule: bool = Field(description="Completed at or above what is due by now.")
    industrial_completed_ytd: Money = Field(
        description="The key projects' industrial investment in the period, 万元."
    )
    zone_industrial_ytd: Money | None = Field(
        description="The whole zone's industrial investment in the period as its source (统计局) published it, 万元; null until entered, or for users who do not see every project."
    )
    key_projects_industrial_share: Percent | None = Field(
        description="The key projects' part of the zone's industrial investment, a percentage."
    )
    industrial_ensure_percent: Percent | None = Field(
        description="The zone's industrial investment against the 确保 line, a percentage; null until the zone's figure is entered."
    )
    industrial_strive_percent: Percent | None = Field(
        description="The zone's industrial investment against the 力争 line, a percentage; null until the zone's figure is entered."
    )
    target: ZoneTargetOut | None = Field(
        description="The zone's targets for the year; only for users who see every project."
    )


@router.get(
    "/summary",
    response={200: ZoneSummaryOut, **errors(401)},
    summary="The zone against its targets",
    operation_id="zone_summary",
)
def zone_summary(request: HttpRequest):
    """Totals over the projects the user may see, for this year: what the overview page
    shows at its top."""
    return selectors.zone_summary(user=request.auth, as_of=timezone.localdate())
