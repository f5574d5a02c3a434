"""Warning lights (预警), computed in one place and in SQL, so the dashboard, the register,
the project page, the jobs and the briefings always show the same light.

A project's light is its worst signal:
- investment: green at or above 序时进度 (less than `yellow` points behind counts as on
  plan), yellow `yellow`–`red` percentage points behind, red more than `red` behind;
- schedule: yellow when an open milestone's forecast passes its baseline; red when a
  baseline has passed with no actual date, or a forecast is more than `red days` late;
- a suspended project is blocked, so red.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hitech_zone.money import percent
from projects.models import Milestone, Project


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


RANKS = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


@dataclass(frozen=True)
class Thresholds:
    investment_yellow_points: int
    investment_red_points: int
    schedule_red_days: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            investment_yellow_points=settings.LIGHT_INVESTMENT_YELLOW_POINTS,
            investment_red_points=settings.LIGHT_INVESTMENT_RED_POINTS,
            schedule_red_days=settings.LIGHT_SCHEDULE_RED_DAYS,
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


def _rank_to_light(rank_field: str) -> Case:
    return Case(
        When(**{rank_field: 2}, then=Value(Light.RED.value)),
        When(**{rank_field: 1}, then=Value(Light.YELLOW.value)),
        default=Value(Light.GREEN.value),
        output_field=models.CharField(),
    )


def annotate_lights(
    queryset: QuerySet[Project], *, as_of: date, elapsed_share: Decimal
) -> QuerySet[Project]:
    """Add `light` (and the facts behind it) to projects already annotated with
    `annual_plan` and `completed_ytd` for the year of `as_of`."""
    limits = Thresholds.from_settings()
    open_milestones = Milestone.objects.filter(
        project=OuterRef("pk"), actual_date__isnull=True
    ).order_by("baseline_date", "sequence")
    overdue = open_milestones.filter(baseline_date__lt=as_of)
    forecast_late = open_milestones.filter(forecast_date__gt=F("baseline_date"))
    very_late = open_milestones.filter(
        forecast_date__gt=F("baseline_date") + timedelta(days=limits.schedule_red_days)
    )
    yellow_share = elapsed_share - Decimal(limits.investment_yellow_points) / 100
    red_share = elapsed_share - Decimal(limits.investment_red_points) / 100
    money = models.DecimalField(max_digits=16, decimal_places=4)
    extra: dict[str, models.Expression] = {}
    for signal in SIGNALS:
        extra.update(signal.annotations(as_of))
    return queryset.annotate(**extra).annotate(
        overdue_milestone=Subquery(overdue.values("name")[:1]),
        overdue_baseline=Subquery(overdue.values("baseline_date")[:1]),
        late_forecast_milestone=Subquery(forecast_late.values("name")[:1]),
        late_forecast_baseline=Subquery(forecast_late.values("baseline_date")[:1]),
        late_forecast_date=Subquery(forecast_late.values("forecast_date")[:1]),
        schedule_rank=Case(
            When(Exists(overdue) | Exists(very_late), then=Value(2)),
            When(Exists(forecast_late), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        investment_rank=Case(
            When(annual_plan__lte=0, then=Value(0)),
            When(
                completed_ytd__lt=F("annual_plan") * Value(red_share, output_field=money),
                then=Value(2),
            ),
            When(
                completed_ytd__lt=F("annual_plan") * Value(yellow_share, output_field=money),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
        blocked_rank=Case(
            When(status=Project.Status.SUSPENDED, then=Value(2)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        light_rank=Greatest(
            "schedule_rank",
            "investment_rank",
            "blocked_rank",
            *(signal.rank_field for signal in SIGNALS),
        ),
        light=_rank_to_light("light_rank"),
    )


@dataclass(frozen=True)
class Reason:
    light: Light
    text: str


def light_reasons(project: Project, *, as_of: date, elapsed_share: Decimal) -> list[Reason]:
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
        done = percent(project.completed_ytd, project.annual_plan) or Decimal(0)
        due = (elapsed_share * 100).quantize(Decimal("0.1"))
        reasons.append(
            Reason(
                Light.RED if project.investment_rank == 2 else Light.YELLOW,
                gettext(
                    "Investment is %(done)s%% of the year's plan against %(due)s%% due by now (序时进度)."
                )
                % {"done": done, "due": due},
            )
        )
    for signal in SIGNALS:
        reasons.extend(signal.reasons(project, as_of))
    reasons.sort(key=lambda reason: -RANKS[reason.light])
    return reasons or [
        Reason(Light.GREEN, gettext("On plan: no milestone late and investment on pace."))
    ]


def with_reasons(projects, *, as_of: date, elapsed_share: Decimal) -> list[Project]:
    """Evaluate annotated projects and attach `light_reasons` to each, for display."""
    evaluated = list(projects)
    for project in evaluated:
        project.light_reasons = light_reasons(project, as_of=as_of, elapsed_share=elapsed_share)
    return evaluated
