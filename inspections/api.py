"""Issues in the JSON API: the issue list with its filters, scoped like the web list (a
project manager sees their projects' issues, a department its own)."""

from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from hitech_zone.api_types import MAX_ID, CleanStr, PageNumber, choice, errors
from inspections import selectors
from inspections.deadlines import RUNNING
from inspections.filters import IssueFilterSet
from inspections.models import Issue
from projects.api import ProjectRef

router = Router(tags=["issues"])


class CodedOut(Schema):
    code: str
    name: str


class DepartmentOut(Schema):
    id: int
    code: str
    name: str


class IssueOut(Schema):
    id: int
    project: ProjectRef
    title: str
    description: str
    category: CodedOut
    severity: choice(Issue.Severity)
    status: choice(Issue.Status) = Field(
        description="提出 raised → 交办 assigned → 办理 in_progress → 办结 resolved → 销号 closed."
    )
    status_label: str
    department: DepartmentOut | None = Field(description="The department it is assigned to.")
    deadline: date | None
    overdue: bool = Field(description="Waiting on its department past its deadline.")
    owner: str = Field(description="Who handles it in the department.")
    result: str
    raised_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    web_url: str = Field(description="The issue's page in the web application.")

    @staticmethod
    def resolve_status_label(issue: Issue) -> str:
        return str(issue.get_status_display())

    @staticmethod
    def resolve_overdue(issue: Issue) -> bool:
        return bool(
            issue.status in RUNNING and issue.deadline and issue.deadline < timezone.localdate()
        )

    @staticmethod
    def resolve_web_url(issue: Issue, context) -> str:
        return context["request"].build_absolute_uri(reverse("issue_detail", args=[issue.pk]))


class IssueFilters(Schema):
    """The issue list's filters, with the names its web address uses."""

    project: int | None = Field(None, ge=1, le=MAX_ID, description="Project id (`project.id`).")
    category: CleanStr | None = Field(
        None, max_length=40, description="Issue category code, e.g. material_supply."
    )
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="Department id (`department.id`)."
    )
    status: choice(Issue.Status) | None = None
    overdue: bool = Field(False, description="Only issues past their deadline.")


def _filtered(filters: IssueFilters, *, user, as_of: date):
    """The issue list's rows through its own filterset, in its order (overdue first, then
    by deadline, newest first). A value it refuses matches nothing."""
    issues = selectors.issue_list(user=user, as_of=as_of).select_related("category")
    data = filters.model_dump(exclude_none=True, exclude={"overdue"})
    if filters.overdue:
        data["overdue"] = "1"
    filterset = IssueFilterSet(data, queryset=issues, user=user)
    if not filterset.is_valid():
        return issues.none()
    return filterset.qs.order_by("overdue_rank", "deadline", "-raised_at", "-id")


@router.get(
    "/issues",
    response={200: list[IssueOut], **errors(401, 422)},
    summary="Issues",
    operation_id="issue_list",
)
@paginate(PageNumber)
def issue_list(request: HttpRequest, filters: Query[IssueFilters]):
    """Issues raised on the projects the user may see (for a department user, those
    assigned to their department), overdue first."""
    return _filtered(filters, user=request.auth, as_of=timezone.localdate())
