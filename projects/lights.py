"""Warning lights (预警), computed in one place and in SQL, so the dashboard, the register,
the project page, the nightly alerts and the briefings always show the same light.

A project's light is its worst signal:
- investment, through the reporting period: green at or above 序时进度 (less than
  `yellow` points behind counts as on plan), yellow `yellow`–`red` percentage points of
  the year's plan behind, red more than `red` behind (projects.progress counts the period
  and 序时进度);
- schedule: red when a baseline has passed with no actual date; for milestones still
  within their baseline, yellow when the forecast passes the baseline, red when it passes
  it by more than `red days`;
- stale: yellow when an active project has not been updated for `stale days`;
- a suspended project is blocked, so red;
- 入库 (statistics): a started project (its 开工 milestone has an actual date) not yet
  entered in the statistics is yellow `statistics yellow months` after its start, red
  after `statistics red months`;
- signals registered by the apps that build on the register (overdue issues, projected
  slips), see `register_signal`.

A project with no signal at all whose investment is not assessed (no plan for the year,
or none of it due yet: 未到考核期) is neither green nor red but "not yet assessed".

Each rule is a queryset or an expression below (`milestones_overdue`,
`milestones_forecast_late`, `investment_rank`, `projects_stale`...). `annotate_lights`
uses them per project through OuterRef; the nightly alerts (`reports.signals`) use the
same ones over all projects at once, so an alert and a light can never disagree.
"""

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from hitech_zone.money import percent
from projects import progress
from projects.models import Milestone, MonthlyInvestment, ProgressNote, Project


class Light(models.TextChoices):
    UNASSESSED = "unassessed", _("Not yet assessed")
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


RANKS = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}
LIGHT_OF_RANK = {rank: light for light, rank in RANKS.items()}


def light_of(rank: int, investment_assessed: int | bool) -> Light:
    """The light of a project's `light_rank` and `investment_assessed` annotations."""
    if rank == 0 and not investment_assessed:
        return Light.UNASSESSED
    return LIGHT_OF_RANK[rank]


def light_filter(light: "Light") -> Q:
    """The projects (annotated by `annotate_lights`) that have `light`."""
    if light == Light.UNASSESSED:
        return Q(light_rank=0, investment_assessed=0)
    if light == Light.GREEN:
        return Q(light_rank=0, investment_assessed=1)
    return Q(light_rank=RANKS[light])


# Projects that are meant to move, so a long silence is a warning (not 储备 or 竣工).
ACTIVE_STATUSES = (
    Project.Status.PREPARATION,
    Project.Status.CONSTRUCTION,
    Project.Status.TRIAL,
    Project.Status.SUSPENDED,
)


@dataclass(frozen=True)
class Thresholds:
    investment_yellow_points: int
    investment_red_points: int
    schedule_red_days: int
    stale_project_days: int
    # Used by the issue signal (inspections.deadlines); here so one page can explain all.
    issue_red_workdays: int
    statistics_yellow_months: int
    statistics_red_months: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            investment_yellow_points=settings.LIGHT_INVESTMENT_YELLOW_POINTS,
            investment_red_points=settings.LIGHT_INVESTMENT_RED_POINTS,
            schedule_red_days=settings.LIGHT_SCHEDULE_RED_DAYS,
            stale_project_days=settings.ALERT_STALE_PROJECT_DAYS,
            issue_red_workdays=settings.ISSUE_RED_OVERDUE_WORKDAYS,
            statistics_yellow_months=settings.LIGHT_STATISTICS_YELLOW_MONTHS,
            statistics_red_months=settings.LIGHT_STATISTICS_RED_MONTHS,
        )


@dataclass(frozen=True)
class Signal:
    """A signal from another app (e.g. overdue issues), added to every project's light.
    `annotations(as_of)` must include `rank_field` (0 green, 1 yellow, 2 red);
    `reasons(project, as_of)` reads those annotations, without queries."""

    rank_field: str
    annotations: Callable[[date], dict[str, models.Expression]]
    reasons: Callable[[Project, date], list["Reason"]]


# Registered by apps that build on the register, so this module imports none of them.
SIGNALS: list[Signal] = []


def register_signal(signal: Signal) -> None:
    if all(existing.rank_field != signal.rank_field for existing in SIGNALS):
        SIGNALS.append(signal)


# ------------------------------------------------------------------ the rules


def milestones_overdue(as_of: date) -> QuerySet[Milestone]:
    """Red: open milestones whose baseline has passed (before `as_of`) with no actual date."""
    return Milestone.objects.filter(actual_date__isnull=True, baseline_date__lt=as_of)


def milestones_forecast_late(as_of: date) -> QuerySet[Milestone]:
    """Open milestones still within their baseline (a passed one is overdue, which says
    more) whose forecast passes the baseline, with `late_rank`: 2 (red) when by more than
    LIGHT_SCHEDULE_RED_DAYS, else 1 (yellow)."""
    red_days = timedelta(days=Thresholds.from_settings().schedule_red_days)
    return Milestone.objects.filter(
        actual_date__isnull=True, baseline_date__gte=as_of, forecast_date__gt=F("baseline_date")
    ).annotate(
        late_rank=Case(
            When(forecast_date__gt=F("baseline_date") + red_days, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def investment_rank() -> Case:
    """0, 1 or 2 for projects annotated by `projects.selectors.annotate_year_investment`
    (`annual_plan`, `completed_ytd`, `due_ytd`, `investment_assessed`, 万元): how many
    points of the year's plan the completed investment is behind what is due. 0 when the
    investment is not assessed."""
    limits = Thresholds.from_settings()
    money = models.DecimalField(max_digits=30, decimal_places=12)

    def behind_by(points: int) -> F:
        return F("due_ytd") - F("annual_plan") * Value(Decimal(points) / 100, output_field=money)

    return Case(
        When(investment_assessed=0, then=Value(0)),
        When(completed_ytd__lt=behind_by(limits.investment_red_points), then=Value(2)),
        When(completed_ytd__lt=behind_by(limits.investment_yellow_points), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def investment_percents(
    completed_ytd: Decimal, annual_plan: Decimal, due_ytd: Decimal
) -> tuple[Decimal, Decimal]:
    """(percent of the year's plan done, percent due by the period: 序时进度), one decimal."""
    done = percent(completed_ytd, annual_plan) or Decimal(0)
    due = progress.time_progress_percent(due_ytd, annual_plan) or Decimal(0)
    return done, due


def blocked_rank() -> Case:
    """2 for a suspended project (blocked), else 0."""
    return Case(
        When(status=Project.Status.SUSPENDED, then=Value(2)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _latest(queryset: QuerySet, field: str) -> Subquery:
    latest = (
        queryset.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(latest=Max(field))
        .values("latest")
    )
    return Subquery(latest, output_field=models.DateTimeField())


def annotate_last_update(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Add `last_update_at`: the latest of the project's own edit, its latest progress
    note and the latest change to its milestones or monthly investment (their history)."""
    return queryset.annotate(
        last_update_at=Greatest(
            "updated_at",
            # A NULL would make the whole Greatest NULL on SQLite.
            Coalesce(_latest(ProgressNote.objects, "created_at"), "updated_at"),
            Coalesce(_latest(Milestone.history.model.objects, "history_date"), "updated_at"),
            Coalesce(
                _latest(MonthlyInvestment.history.model.objects, "history_date"), "updated_at"
            ),
        )
    )


def stale_cutoff(as_of: date) -> datetime:
    """An active project is stale when its last update is before this moment: the start of
    the day ALERT_STALE_PROJECT_DAYS days before `as_of` (so that many whole days passed
    with no update)."""
    day = as_of - timedelta(days=Thresholds.from_settings().stale_project_days)
    return timezone.make_aware(datetime.combine(day, time.min))


def stale_condition(as_of: date) -> Q:
    """For projects annotated by `annotate_last_update`."""
    return Q(status__in=ACTIVE_STATUSES, last_update_at__lt=stale_cutoff(as_of))


def is_stale(project: Project, as_of: date) -> bool:
    """`stale_condition` for one project annotated by `annotate_last_update`, in Python:
    a reason needs it, and selecting it would compile the three subqueries again."""
    return project.status in ACTIVE_STATUSES and project.last_update_at < stale_cutoff(as_of)


def projects_stale(as_of: date) -> QuerySet[Project]:
    """Yellow: active projects nobody has updated for ALERT_STALE_PROJECT_DAYS days."""
    return annotate_last_update(Project.objects.all()).filter(stale_condition(as_of))


def milestone_light(milestone: Milestone, as_of: date) -> Light | None:
    """The schedule rules above for one open milestone, in Python (the timeline chart
    colours its rows with it): red when overdue or forecast more than
    LIGHT_SCHEDULE_RED_DAYS late, yellow when forecast late, None when on time or reached."""
    if milestone.actual_date is not None:
        return None
    if milestone.baseline_date < as_of:
        return Light.RED
    forecast = milestone.forecast_date
    if forecast is None or forecast <= milestone.baseline_date:
        return None
    red_days = Thresholds.from_settings().schedule_red_days
    return Light.RED if (forecast - milestone.baseline_date).days > red_days else Light.YELLOW


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is
    shorter: 31 March less one month is 28 or 29 February)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (0 when less than one)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if months > 0 and months_before(end, months) < start else max(months, 0)


def started_on() -> Subquery:
    """The actual date of the project's 开工 milestone (OuterRef), or NULL when it has not
    started: its first milestone whose name says 开工, as `projects.progress` counts starts."""
    start = (
        Milestone.objects.filter(project=OuterRef("pk"), name__contains=progress.START_WORD)
        .order_by("sequence", "baseline_date", "pk")
        .values("actual_date")[:1]
    )
    return Subquery(start, output_field=models.DateField())


def statistics_rank(as_of: date) -> Case:
    """入库: 2, 1 or 0 for projects annotated with `statistics_started_on` (`started_on`):
    started on or before the day LIGHT_STATISTICS_RED_MONTHS months before `as_of` and not
    in the statistics is red, LIGHT_STATISTICS_YELLOW_MONTHS months yellow."""
    limits = Thresholds.from_settings()
    return Case(
        When(in_statistics_on__isnull=False, then=Value(0)),
        When(
            statistics_started_on__lte=months_before(as_of, limits.statistics_red_months),
            then=Value(2),
        ),
        When(
            statistics_started_on__lte=months_before(as_of, limits.statistics_yellow_months),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def statistics_reason(started: date, months: int) -> str:
    """Why `statistics_rank` warns, for the light's reasons and the alert alike."""
    return ngettext(
        "Started on %(date)s and not in the statistics (入库) %(months)d month later.",
        "Started on %(date)s and not in the statistics (入库) %(months)d months later.",
        months,
    ) % {"date": started.isoformat(), "months": months}


def projects_not_in_statistics(as_of: date) -> QuerySet[Project]:
    """The projects `statistics_rank` warns about, with `statistics_started_on` and it."""
    return (
        Project.objects.filter(in_statistics_on__isnull=True)
        .annotate(statistics_started_on=started_on())
        .annotate(statistics_rank=statistics_rank(as_of))
        .filter(statistics_rank__gt=0)
    )


# ------------------------------------------------------------------ the light


def schedule_rank(as_of: date) -> Coalesce:
    """2, 1 or 0 per project (OuterRef): the worst of `milestones_overdue` (2) and
    `milestones_forecast_late` (their `late_rank`), in one subquery rather than one per
    rule (make bench: each repeated subquery costs compile time on every page)."""
    red_days = timedelta(days=Thresholds.from_settings().schedule_red_days)
    worst = (
        Milestone.objects.filter(project=OuterRef("pk"), actual_date__isnull=True)
        .filter(Q(baseline_date__lt=as_of) | Q(forecast_date__gt=F("baseline_date")))
        .order_by()
        .values("project")
        .annotate(
            worst=Max(
                Case(
                    When(baseline_date__lt=as_of, then=Value(2)),
                    When(forecast_date__gt=F("baseline_date") + red_days, then=Value(2)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )
        .values("worst")
    )
    return Coalesce(Subquery(worst, output_field=IntegerField()), Value(0))


def annotate_lights(
    queryset: QuerySet[Project], *, as_of: date, period: progress.ReportingPeriod
) -> QuerySet[Project]:
    """Add `light_rank` (0 green or not yet assessed, 1 yellow, 2 red; `Project.light`
    names it with `investment_assessed`) and the facts behind it as of `as_of` to
    projects already annotated by `projects.selectors.annotate_year_investment` for
    `period`. Filter and sort on `light_rank`: the light's name is not in SQL,
    where it would repeat the whole rank expression."""
    order = ("baseline_date", "sequence")
    overdue = milestones_overdue(as_of).filter(project=OuterRef("pk")).order_by(*order)
    forecast_late = milestones_forecast_late(as_of).filter(project=OuterRef("pk")).order_by(*order)
    facts: dict[str, models.Expression] = {}
    ranks: dict[str, models.Expression] = {}
    for signal in SIGNALS:
        for name, expression in signal.annotations(as_of).items():
            (ranks if name == signal.rank_field else facts)[name] = expression
    # Ranks no reason reads are aliases: selected, they would be compiled twice.
    return (
        annotate_last_update(queryset)
        .annotate(**facts, statistics_started_on=started_on())
        .alias(schedule_rank=schedule_rank(as_of), blocked_rank=blocked_rank(), **ranks)
        .annotate(
            overdue_milestone=Subquery(overdue.values("name")[:1]),
            overdue_baseline=Subquery(overdue.values("baseline_date")[:1]),
            late_forecast_milestone=Subquery(forecast_late.values("name")[:1]),
            late_forecast_baseline=Subquery(forecast_late.values("baseline_date")[:1]),
            late_forecast_date=Subquery(forecast_late.values("forecast_date")[:1]),
            investment_rank=investment_rank(),
            statistics_rank=statistics_rank(as_of),
        )
        .alias(
            stale_rank=Case(
                When(stale_condition(as_of), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            light_rank=Greatest(
                "schedule_rank",
                "investment_rank",
                "blocked_rank",
                "stale_rank",
                "statistics_rank",
                *(signal.rank_field for signal in SIGNALS),
            ),
        )
    )


@dataclass(frozen=True)
class Reason:
    light: Light
    text: str


def light_reasons(
    project: Project, *, as_of: date, period: progress.ReportingPeriod
) -> list[Reason]:
    """Why a project has its light, from the annotations `annotate_lights` added (no
    queries). Worst first; one green reason when all is well."""
    limits = Thresholds.from_settings()
    reasons: list[Reason] = []
    if project.status == Project.Status.SUSPENDED:
        reasons.append(Reason(Light.RED, gettext("Work is suspended.")))
    if project.overdue_milestone:
        reasons.append(
            Reason(
                Light.RED,
                gettext(
                    "Milestone “%(name)s” was due on %(baseline)s and is not reached (%(days)d days)."
                )
                % {
                    "name": project.overdue_milestone,
                    "baseline": project.overdue_baseline.isoformat(),
                    "days": (as_of - project.overdue_baseline).days,
                },
            )
        )
    if project.late_forecast_milestone:
        days = (project.late_forecast_date - project.late_forecast_baseline).days
        reasons.append(
            Reason(
                Light.RED if days > limits.schedule_red_days else Light.YELLOW,
                gettext(
                    "Milestone “%(name)s” is forecast for %(forecast)s, %(days)d days after its baseline."
                )
                % {
                    "name": project.late_forecast_milestone,
                    "forecast": project.late_forecast_date.isoformat(),
                    "days": days,
                },
            )
        )
    if project.investment_rank:
        done, due = investment_percents(project.completed_ytd, project.annual_plan, project.due_ytd)
        reasons.append(
            Reason(
                Light.RED if project.investment_rank == 2 else Light.YELLOW,
                gettext(
                    "Investment in %(period)s is %(done)s%% of the year's plan against %(due)s%% due (序时进度)."
                )
                % {"period": period.label, "done": done, "due": due},
            )
        )
    if is_stale(project, as_of):
        last = timezone.localdate(project.last_update_at)
        reasons.append(
            Reason(
                Light.YELLOW,
                gettext("Not updated for %(days)d days: the last update was on %(date)s.")
                % {"days": (as_of - last).days, "date": last.isoformat()},
            )
        )
    if project.statistics_rank:
        reasons.append(
            Reason(
                Light.RED if project.statistics_rank == 2 else Light.YELLOW,
                statistics_reason(
                    project.statistics_started_on,
                    whole_months_between(project.statistics_started_on, as_of),
                ),
            )
        )
    for signal in SIGNALS:
        reasons.extend(signal.reasons(project, as_of))
    reasons.sort(key=lambda reason: -RANKS[reason.light])
    if reasons:
        return reasons
    if not project.investment_assessed:
        return [
            Reason(
                Light.UNASSESSED,
                gettext(
                    "Not yet assessed (未到考核期): no investment plan for %(year)d, or none of it due in %(period)s, and no other warning."
                )
                % {"year": period.year, "period": period.label},
            )
        ]
    return [Reason(Light.GREEN, gettext("On plan: no milestone late and investment on pace."))]


def with_reasons(projects, *, as_of: date, period: progress.ReportingPeriod) -> list[Project]:
    """Evaluate annotated projects and attach `light_reasons` to each, for display."""
    evaluated = list(projects)
    for project in evaluated:
        project.light_reasons = light_reasons(project, as_of=as_of, period=period)
    return evaluated
