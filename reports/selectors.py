"""The dashboard's reads: each through its app's selectors, each a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone import outbox, permissions
from hitech_zone.models import Heartbeat
from hitech_zone.money import rounding_shows
from inspections import selectors as inspection_selectors
from inspections.models import Issue
from projects import lights, progress
from projects import selectors as project_selectors
from projects.models import Milestone, Project
from reports import detection
from reports.alerts import alert_message
from reports.models import (
    Alert,
    Briefing,
    BriefingSubscription,
    MilestoneProjection,
    SlipDetectionRun,
)

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
    starts: project_selectors.Starts
    years: list[int]

    @property
    def lights(self) -> list[tuple[str, str, int]]:
        return [
            (light.value, light.label, self.light_counts.get(light.value, 0))
            for light in reversed(lights.Light)
        ]

    @property
    def breakdowns(self) -> list[tuple[str, list[project_selectors.Breakdown], bool]]:
        """(title, rows, whether their rounded 亿元 fail to add up to the printed totals)."""
        return [
            (
                title,
                rows,
                self.rounding_shows(rows, ("total_investment", "annual_plan", "completed_ytd")),
            )
            for title, rows in (
                (_("By park or carrier"), self.parks),
                (_("By sector"), self.sectors),
            )
        ]

    @property
    def stages_rounding_shows(self) -> bool:
        return self.rounding_shows(self.starts.stages, ("annual_plan", "completed_ytd"))

    def rounding_shows(self, rows, fields) -> bool:
        return any(
            rounding_shows([getattr(row, field) for row in rows], getattr(self.summary, field))
            for field in fields
        )

    @property
    def statuses(self) -> list[tuple[str, str, int]]:
        return [
            (status.value, status.label, self.status_counts.get(status.value, 0))
            for status in Project.Status
        ]


def dashboard(*, user, as_of: date, period: progress.ReportingPeriod | None = None) -> Dashboard:
    """The dashboard for `period` (by default the reporting period on `as_of`); milestones
    and issues as of `as_of`."""
    period = period or progress.reporting_period(as_of)
    summary = project_selectors.zone_summary(user=user, as_of=as_of, period=period)
    projects = project_selectors.project_list(user=user, as_of=as_of, period=period)
    # Every project's light costs the same to work out for a count as for a sort, so it is
    # worked out once: the counts and the attention list both come from these rows, and
    # only the few projects shown are read again with their reasons. The rank alone: SQL
    # would repeat the whole rank expression inside the light's (make bench). The same rows
    # give the counts by status and the totals by park and by sector.
    ranked = list(
        projects.order_by().values_list(
            "pk",
            "light_rank",
            "investment_assessed",
            "total_investment",
            "code",
            "status",
            "park__name",
            "sector__name",
            "annual_plan",
            "completed_ytd",
            "planned_start",
            "planned_completion",
            named=True,
        )
    )
    worst = sorted(
        (row for row in ranked if row.light_rank > 0),
        key=lambda row: (-row.light_rank, -row.total_investment, row.code),
    )[:ATTENTION_LIMIT]
    attention = lights.with_reasons(
        projects.filter(pk__in=[row.pk for row in worst]).order_by(
            "-light_rank", "-total_investment", "code"
        ),
        as_of=as_of,
        period=period,
    )
    open_issues = inspection_selectors.issue_list_open(user=user, as_of=as_of)
    # The list's own overdue rank: a deadline on a day off is due the next working day.
    issue_counts = open_issues.order_by().aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(overdue_rank=0))
    )
    return Dashboard(
        summary=summary,
        light_counts=dict(
            Counter(
                lights.light_of(row.light_rank, row.investment_assessed).value for row in ranked
            )
        ),
        status_counts=dict(Counter(row.status for row in ranked)),
        attention=attention,
        slipping=project_selectors.milestone_list_slipping(
            user=user, as_of=as_of, limit=LIST_LIMIT
        ),
        open_issues=list(open_issues[:LIST_LIMIT]),
        open_issue_count=issue_counts["open"],
        overdue_issue_count=issue_counts["overdue"],
        parks=project_selectors.breakdown(
            (row.park__name, row.total_investment, row.annual_plan, row.completed_ytd)
            for row in ranked
        ),
        sectors=project_selectors.breakdown(
            (row.sector__name, row.total_investment, row.annual_plan, row.completed_ytd)
            for row in ranked
        ),
        starts=project_selectors.starts_and_stages(user=user, period=period, rows=ranked),
        years=project_selectors.plan_years(upto=progress.reporting_period(as_of).year),
    )


# ---------------------------------------------------------------- briefings and alerts


def briefing_list_all(*, with_previews: bool = False) -> QuerySet[Briefing]:
    """Every briefing without its data snapshot: newest period first, then by type and
    newest version. Previews (periods not yet over) only when asked for: they are no
    version of their period."""
    briefings = Briefing.objects.all() if with_previews else Briefing.objects.versions()
    return (
        briefings.select_related("requested_by")
        .defer("snapshot")
        .order_by("-period_start", "kind", "-version", "-pk")
    )


def briefing_list(*, limit: int = 200, now=None) -> list[Briefing]:
    """The briefings page's rows, previews among them, each marked by
    `briefing_mark_stuck`."""
    now = now or timezone.now()
    return [
        briefing_mark_stuck(briefing, now=now)
        for briefing in briefing_list_all(with_previews=True)[:limit]
    ]


def briefing_mark_stuck(briefing: Briefing, *, now: datetime | None = None) -> Briefing:
    """The briefing with `stuck_for` (a timedelta, or None when it is not stuck) and
    `stuck_minutes`; `stalled_for` and `stalled_minutes` for a render past its expected
    time but within its lease; `retryable` when either holds, for the pages."""
    briefing.stuck_for = briefing_stuck_for(briefing=briefing, now=now)
    briefing.stuck_minutes = (
        int(briefing.stuck_for.total_seconds() // 60) if briefing.stuck_for else None
    )
    briefing.stalled_for = (
        None if briefing.stuck_for else briefing_stalled_for(briefing=briefing, now=now)
    )
    briefing.stalled_minutes = (
        int(briefing.stalled_for.total_seconds() // 60) if briefing.stalled_for else None
    )
    briefing.retryable = bool(briefing.stuck_for or briefing.stalled_for)
    return briefing


def briefing_stalled_for(*, briefing: Briefing, now: datetime | None = None) -> timedelta | None:
    """How long a briefing has been rendering, once that is past its expected time
    (BRIEFING_RENDER_STALLED_SECONDS, the rule of `Briefing.objects.stalled`, which stops
    at the lease where `briefing_stuck_for` takes over); None otherwise."""
    if briefing.status != Briefing.Status.RENDERING or briefing.started_at is None:
        return None
    running = (now or timezone.now()) - briefing.started_at
    if running > timedelta(seconds=settings.BRIEFING_RENDER_LEASE_SECONDS):
        return None
    return (
        running if running > timedelta(seconds=settings.BRIEFING_RENDER_STALLED_SECONDS) else None
    )


def briefing_stuck_for(*, briefing: Briefing, now: datetime | None = None) -> timedelta | None:
    """How long a briefing has been queued or rendering, once that is past its lease
    (BRIEFING_RENDER_LEASE_SECONDS, the rule of `Briefing.objects.stuck`); None while it
    is not stuck."""
    now = now or timezone.now()
    since = {
        Briefing.Status.QUEUED: briefing.queued_at,
        Briefing.Status.RENDERING: briefing.started_at,
    }.get(briefing.status)
    if since is None:
        return None
    waited = now - since
    return waited if waited > timedelta(seconds=settings.BRIEFING_RENDER_LEASE_SECONDS) else None


def briefing_stuck_count(*, now: datetime | None = None) -> int:
    return Briefing.objects.stuck(now=now or timezone.now()).count()


def briefing_versions(*, briefing: Briefing) -> list[Briefing]:
    return list(
        Briefing.objects.versions()
        .filter(kind=briefing.kind, period=briefing.period)
        .defer("snapshot")
        .order_by("-version")
    )


def briefing_waits_for_broker(*, briefing: Briefing) -> bool:
    """Whether the briefing's render still waits in the outbox for the broker to answer,
    so no worker can have taken it yet. One query, only while it is queued."""
    from reports.tasks import briefing_generate_task

    return briefing.status == Briefing.Status.QUEUED and outbox.outbox_waiting(
        briefing_generate_task, briefing_id=briefing.pk
    )


def slip_detect_waits_for_broker() -> bool:
    """Whether a slip detection asked for still waits in the outbox for the broker."""
    from reports.tasks import slip_detect_task

    return outbox.outbox_waiting(slip_detect_task)


def subscribed_kinds(*, user) -> set[str]:
    return set(BriefingSubscription.objects.filter(user=user).values_list("kind", flat=True))


def alert_list_open_all(*, user) -> QuerySet[Alert]:
    """Open alerts on the projects `user` may see: red first, then the oldest. Each one's
    message is `reports.alerts.alert_message(alert)`."""
    return _worst_first(
        permissions.scope(user, Alert.objects.filter(resolved_at__isnull=True))
    ).select_related("project")


def alert_list_open(*, user, limit: int = 500) -> list[Alert]:
    """Open alerts on the projects `user` may see, red first, then the oldest, with their
    escalations and messages."""
    return _with_messages(alert_list_open_all(user=user).prefetch_related("escalations")[:limit])


def slip_detect_last_run() -> Heartbeat | None:
    return Heartbeat.objects.filter(name=detection.HEARTBEAT_NAME).first()


@dataclass(frozen=True)
class SkippedNotice:
    finished_at: datetime
    codes: list[str]


def slip_detect_last_skipped(*, user) -> SkippedNotice | None:
    """The projects the last slip detection skipped (`reports.isolation`), those `user` may
    see, by code; None when it skipped none of them. One query, two on a night with skips."""
    run = SlipDetectionRun.objects.order_by("-finished_at", "-pk").first()
    if run is None or not run.skipped:
        return None
    skipped = Project.objects.filter(pk__in=[skip["project_id"] for skip in run.skipped])
    codes = list(permissions.scope(user, skipped).order_by("code").values_list("code", flat=True))
    return SkippedNotice(finished_at=run.finished_at, codes=codes) if codes else None


def milestone_projections_for_project(*, project_id: int) -> list[MilestoneProjection]:
    """The project's milestone projections in milestone order, each with `days_vs_baseline`
    (projected date minus baseline). One query."""
    projections = list(
        MilestoneProjection.objects.filter(milestone__project_id=project_id)
        .select_related("milestone")
        .order_by("milestone__sequence")
    )
    for projection in projections:
        projection.days_vs_baseline = (
            projection.projected_date - projection.milestone.baseline_date
        ).days
    return projections


def _worst_first(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return alerts.order_by(
        Case(When(severity=Alert.Severity.RED, then=0), default=1), "first_seen_at", "pk"
    )


def _with_messages(alerts) -> list[Alert]:
    """Evaluate the alerts, each with its `message` in the active language."""
    alerts = list(alerts)
    for alert in alerts:
        alert.message = alert_message(alert)
    return alerts


def alert_list_open_for_project(*, project_id: int) -> list[Alert]:
    """The project's open alerts, red first then the oldest. One query."""
    return _with_messages(
        _worst_first(Alert.objects.filter(project_id=project_id, resolved_at__isnull=True))
    )
