"""The signals behind alerts: one set-based query per kind over all projects, built on the
same rules as the warning light (`projects.lights`, `inspections.deadlines`), so a
project's worst open alert is always its light.

A milestone gives at most one schedule alert, the strongest that holds:
1. `milestone_overdue` (red): its baseline has passed with no actual date;
2. `forecast_late` (yellow, red past LIGHT_SCHEDULE_RED_DAYS): still within its baseline,
   but the official forecast passes it;
3. `projection_late` (yellow): still within its baseline, the official forecast does not
   say late (none, or on time), but our projection (`reports.forecasting`) passes it.
So the forecast people entered always wins over ours, and a milestone never raises two
alerts saying the same thing.

Each kind reads its rows in one query, then makes a finding of each row in Python, project
by project: a row that raises skips its project (`reports.isolation`), and the others are
still found.

(Not Django signals: "signal" is the warning-light word; see `projects.lights.Signal`.)
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from inspections import deadlines
from projects import lights, progress
from projects import selectors as project_selectors
from projects.models import Milestone, Project
from reports.isolation import SkippedProjects
from reports.models import Alert

Kind = Alert.Kind
Severity = Alert.Severity

SEVERITY_BY_RANK = {1: Severity.YELLOW, 2: Severity.RED}


@dataclass(frozen=True)
class Finding:
    """One signal on one project; (project_id, kind, subject_key, severity) identifies it."""

    project_id: int
    kind: str
    severity: str
    subject_key: str = ""
    # Facts for the message, JSON-ready (str, int): stored on the alert as `detail`.
    detail: dict = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.project_id, self.kind, self.subject_key, self.severity)


# ------------------------------------------------------------------ projection (live light too)


def milestones_projected_late(as_of: date) -> QuerySet[Milestone]:
    """Yellow: open milestones still within their baseline whose official forecast does not
    say late, but whose stored projection passes the baseline by more than the tolerance
    (a projection is an estimate: a few days either way is noise)."""
    return Milestone.objects.filter(
        Q(forecast_date__isnull=True) | Q(forecast_date__lte=F("baseline_date")),
        actual_date__isnull=True,
        baseline_date__gte=as_of,
        projection__projected_date__gt=F("baseline_date")
        + timedelta(days=settings.ALERT_PROJECTION_TOLERANCE_DAYS),
    )


def _projection_annotations(as_of: date) -> dict[str, models.Expression]:
    late = (
        milestones_projected_late(as_of)
        .filter(project=OuterRef("pk"))
        .order_by("baseline_date", "sequence")
    )
    return {
        "projected_late_milestone": Subquery(late.values("name")[:1]),
        "projected_late_baseline": Subquery(late.values("baseline_date")[:1]),
        "projected_late_date": Subquery(late.values("projection__projected_date")[:1]),
        "projection_rank": Case(
            When(Exists(late), then=Value(1)), default=Value(0), output_field=models.IntegerField()
        ),
    }


def _projection_reasons(project: Project, as_of: date) -> list[lights.Reason]:
    if not project.projected_late_milestone:
        return []
    return [
        lights.Reason(
            lights.Light.YELLOW,
            gettext(
                "Milestone “%(name)s” is projected for %(projected)s, %(days)d days after its "
                "baseline, at the pace of the milestones reached so far."
            )
            % {
                "name": project.projected_late_milestone,
                "projected": project.projected_late_date.isoformat(),
                "days": (project.projected_late_date - project.projected_late_baseline).days,
            },
        )
    ]


# Registered in ReportsConfig.ready(): projected slips feed each project's light.
PROJECTION_SIGNAL = lights.Signal(
    rank_field="projection_rank",
    annotations=_projection_annotations,
    reasons=_projection_reasons,
)


# ------------------------------------------------------------------ one query per kind


def _milestone_key(pk: int) -> str:
    return f"milestone:{pk}"


def _each_row(
    rows: Iterable[tuple], finding: Callable[..., Finding], skipped: SkippedProjects | None
) -> list[Finding]:
    """`finding(*row)` for each row (the project's id first), but for the projects in
    `skipped` and those whose row raises (added to it)."""
    skipped = SkippedProjects() if skipped is None else skipped
    found = []
    for row in rows:
        if row[0] in skipped:
            continue
        with skipped.guard(row[0], "alerts"):
            found.append(finding(*row))
    return found


def milestone_overdue(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = lights.milestones_overdue(as_of).values_list("project_id", "pk", "name", "baseline_date")

    def finding(project_id, pk, name, baseline) -> Finding:
        return Finding(
            project_id,
            Kind.MILESTONE_OVERDUE,
            Severity.RED,
            _milestone_key(pk),
            {"milestone": name, "baseline": baseline.isoformat(), "days": (as_of - baseline).days},
        )

    return _each_row(rows, finding, skipped)


def forecast_late(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = lights.milestones_forecast_late(as_of).values_list(
        "project_id", "pk", "name", "baseline_date", "forecast_date", "late_rank"
    )

    def finding(project_id, pk, name, baseline, forecast, rank) -> Finding:
        return Finding(
            project_id,
            Kind.FORECAST_LATE,
            SEVERITY_BY_RANK[rank],
            _milestone_key(pk),
            {
                "milestone": name,
                "baseline": baseline.isoformat(),
                "forecast": forecast.isoformat(),
                "days": (forecast - baseline).days,
            },
        )

    return _each_row(rows, finding, skipped)


def projection_late(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = milestones_projected_late(as_of).values_list(
        "project_id",
        "pk",
        "name",
        "baseline_date",
        "projection__projected_date",
        "projection__pace_ratio",
        "projection__basis_count",
        "projection__anchor_date",
    )

    def finding(project_id, pk, name, baseline, projected, ratio, basis, anchor) -> Finding:
        return Finding(
            project_id,
            Kind.PROJECTION_LATE,
            Severity.YELLOW,
            _milestone_key(pk),
            {
                "milestone": name,
                "baseline": baseline.isoformat(),
                "projected": projected.isoformat(),
                "days": (projected - baseline).days,
                "pace_ratio": str(ratio),
                "basis_count": basis,
                "anchor": anchor.isoformat(),
            },
        )

    return _each_row(rows, finding, skipped)


def investment_behind(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    period = progress.reporting_period(as_of)
    rows = (
        project_selectors.annotate_year_investment(Project.objects.all(), period=period)
        .annotate(investment_rank=lights.investment_rank())
        .filter(investment_rank__gt=0)
        .values_list("pk", "investment_rank", "completed_ytd", "annual_plan", "due_ytd")
    )

    def finding(project_id, rank, completed, plan, due_amount) -> Finding:
        done, due = lights.investment_percents(completed, plan, due_amount)
        return Finding(
            project_id,
            Kind.INVESTMENT_BEHIND,
            SEVERITY_BY_RANK[rank],
            detail={
                "done_percent": str(done),
                "due_percent": str(due),
                "points": str(due - done),
                "year": period.year,
                "period_month": period.month,
            },
        )

    return _each_row(rows, finding, skipped)


def issue_overdue(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    """One alert per overdue issue, subject "issue:<id>"; two queries (the calendar), one
    more for a deadline in a year before those loaded."""
    calendar = deadlines.calendar_for(as_of)
    rows = list(
        deadlines.issues_overdue(as_of, calendar).values_list(
            "project_id", "pk", "title", "deadline", "overdue_rank"
        )
    )
    if not rows:
        return []
    calendar.load(min(row[3] for row in rows), as_of)

    def finding(project_id, pk, title, deadline, rank) -> Finding:
        return Finding(
            project_id,
            Kind.ISSUE_OVERDUE,
            SEVERITY_BY_RANK[rank],
            f"issue:{pk}",
            {
                "issue": title,
                "deadline": deadline.isoformat(),
                "workdays": deadlines.workdays_overdue(deadline, today=as_of, calendar=calendar),
            },
        )

    return _each_row(rows, finding, skipped)


def stale(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = lights.projects_stale(as_of).values_list("pk", "last_update_at")

    def finding(project_id, last_update_at) -> Finding:
        last = timezone.localdate(last_update_at)
        return Finding(
            project_id,
            Kind.STALE,
            Severity.YELLOW,
            detail={"last_update": last.isoformat(), "days": (as_of - last).days},
        )

    return _each_row(rows, finding, skipped)


def suspended(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = (
        Project.objects.annotate(blocked_rank=lights.blocked_rank())
        .filter(blocked_rank__gt=0)
        .values_list("pk", "blocked_rank")
    )

    def finding(project_id, rank) -> Finding:
        return Finding(project_id, Kind.SUSPENDED, SEVERITY_BY_RANK[rank])

    return _each_row(rows, finding, skipped)


def not_in_statistics(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    rows = lights.projects_not_in_statistics(as_of).values_list(
        "pk", "statistics_started_on", "statistics_rank"
    )

    def finding(project_id, started, rank) -> Finding:
        return Finding(
            project_id,
            Kind.NOT_IN_STATISTICS,
            SEVERITY_BY_RANK[rank],
            detail={
                "started": started.isoformat(),
                "months": lights.whole_months_between(started, as_of),
            },
        )

    return _each_row(rows, finding, skipped)


SIGNALS = (
    milestone_overdue,
    forecast_late,
    projection_late,
    investment_behind,
    issue_overdue,
    stale,
    suspended,
    not_in_statistics,
)


def findings(as_of: date, skipped: SkippedProjects | None = None) -> list[Finding]:
    """Every signal on every project as of `as_of`, but on the projects in `skipped` and
    those where a signal raises (added to it; a finding made before on such a project may
    remain, and is for the caller to leave out). A fixed number of queries (about ten)."""
    skipped = SkippedProjects() if skipped is None else skipped
    return [finding for signal in SIGNALS for finding in signal(as_of, skipped)]
