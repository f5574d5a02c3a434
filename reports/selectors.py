"""The dashboard's reads: each through its app's selectors, each a fixed number of queries."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from inspections import selectors as inspection_selectors
from inspections.models import Issue
from projects import lights
from projects import selectors as project_selectors
from projects.models import Milestone, Project

ATTENTION_LIMIT = 12
LIST_LIMIT = 10


@dataclass(frozen=True)
class Dashboard:
    summary: project_selectors.ZoneSummary
    light_counts: dict[str, int]
    status_counts: dict[str, int]
    attention: list[Project]
    slipping: list[Milestone]
    open_issues: list[Issue]
    open_issue_count: int
    overdue_issue_count: int
    parks: list[project_selectors.Breakdown]
    sectors: list[project_selectors.Breakdown]

    @property
    def lights(self) -> list[tuple[str, str, int]]:
        return [
            (light.value, light.label, self.light_counts.get(light.value, 0))
            for light in reversed(lights.Light)
        ]

    @property
    def breakdowns(self) -> list[tuple[str, list[project_selectors.Breakdown]]]:
        return [(_("By park or carrier"), self.parks), (_("By sector"), self.sectors)]

    @property
    def statuses(self) -> list[tuple[str, str, int]]:
        return [
            (status.value, status.label, self.status_counts.get(status.value, 0))
            for status in Project.Status
        ]


def dashboard(*, user, as_of: date) -> Dashboard:
    summary = project_selectors.zone_summary(user=user, as_of=as_of)
    projects = project_selectors.project_list(user=user, as_of=as_of)
    attention = lights.with_reasons(
        projects.filter(light_rank__gt=0).order_by("-light_rank", "-total_investment", "code")[
            :ATTENTION_LIMIT
        ],
        as_of=as_of,
        elapsed_share=summary.elapsed_share,
    )
    open_issues = inspection_selectors.issue_list_open(user=user, as_of=as_of)
    issue_counts = open_issues.order_by().aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=as_of))
    )
    return Dashboard(
        summary=summary,
        light_counts=project_selectors.count_by(projects, "light"),
        status_counts=project_selectors.count_by(projects, "status"),
        attention=attention,
        slipping=project_selectors.milestone_list_slipping(
            user=user, as_of=as_of, limit=LIST_LIMIT
        ),
        open_issues=list(open_issues[:LIST_LIMIT]),
        open_issue_count=issue_counts["open"],
        overdue_issue_count=issue_counts["overdue"],
        parks=project_selectors.breakdown(projects, by="park__name"),
        sectors=project_selectors.breakdown(projects, by="sector__name"),
    )
