"""The reporting period and 序时进度 (time progress), as published 重点项目 reports count
them. Every page, export, API answer, light, alert and briefing asks this module.

- **Reporting period.** Figures are measured through a reporting month N: the latest
  month whose reporting deadline has passed. A month's figures are due on day
  REPORTING_DEADLINE_DAY of the following month (default the 5th), moved to the next
  working day when that is a day off, so on 2 December the period is 1–10月, and from
  the day after the deadline (8 December 2026, the 5th being a Saturday) it is 1–11月. January is reported together with
  February (REPORTING_JANUARY_WITH_FEBRUARY, as the statistics bureau publishes 1–2月),
  so until the 1–2月 figures are due the period is last year's whole year, 1–12月.
- **序时进度.** The share of a project's plan for the year that is due by month N. By
  default the plan is spread evenly over the months the project is active that year: from
  January for a continuing project, from its planned start month for a new start. A
  project with a monthly plan (分月计划) is due the sum of its planned months 1..N.
- **Not yet assessed (未到考核期).** A project with no plan for the year, or with nothing
  of it due yet (a new start whose month has not come), has no investment signal.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hitech_zone import holidays
from hitech_zone.money import percent

MONTHS = range(1, 13)
# Enough places that a share such as 10/12 times the largest plan is exact to the fen.
SHARE_FIELD = models.DecimalField(max_digits=30, decimal_places=12)
MONEY_FIELD = models.DecimalField(max_digits=30, decimal_places=12)
SHARE_PLACES = Decimal(1).scaleb(-12)


def planned_month_field(month: int) -> str:
    """The AnnualPlan field holding the monthly plan (分月计划) for `month`."""
    return f"planned_month_{month}"


@dataclass(frozen=True, order=True)
class ReportingPeriod:
    """Months 1..`month` of `year`: what the figures on show are measured through."""

    year: int
    month: int

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """The period's last day."""
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return following - timedelta(days=1)

    @property
    def label(self) -> str:
        """How reports name the period: 2026年1–10月 (2026年1月 for January alone)."""
        if self.month == 1:
            return gettext("%(year)d, month 1") % {"year": self.year}
        return gettext("%(year)d, months 1–%(month)d") % {"year": self.year, "month": self.month}

    @property
    def months_label(self) -> str:
        """The period without its year, as in 1–10月累计完成投资."""
        if self.month == 1:
            return gettext("month 1")
        return gettext("months 1–%(month)d") % {"month": self.month}

    @property
    def is_whole_year(self) -> bool:
        return self.month == 12

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


def deadline(year: int, month: int) -> date:
    """The day the figures of `month` are due: day REPORTING_DEADLINE_DAY of the
    following month, or the next working day when that is a day off (5 December 2026 is a
    Saturday: November's figures are due on Monday 7 December). The monthly round's
    deadline is this day too. It follows the published calendar, not the admin's
    overrides, so that telling the period costs no query."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return holidays.on_or_after_published_workday(
        following.replace(day=settings.REPORTING_DEADLINE_DAY)
    )


def reporting_period(as_of: date) -> ReportingPeriod:
    """The period on show on `as_of`: through the latest month whose deadline has passed
    (the deadline day itself still belongs to the month before)."""
    year, month = as_of.year, as_of.month - 1
    while True:
        if month == 0:
            year, month = year - 1, 12
        combined = settings.REPORTING_JANUARY_WITH_FEBRUARY and month == 1
        if not combined and deadline(year, month) < as_of:
            return ReportingPeriod(year, month)
        month -= 1


def entry_year(as_of: date) -> int:
    """The year whose monthly figures are being entered on `as_of`: that of the last month
    that has ended, so December's figures are entered and corrected in January."""
    return as_of.year if as_of.month > 1 else as_of.year - 1


def through(year: int, month: int) -> ReportingPeriod:
    """The period 1..`month` of `year`, e.g. for a monthly briefing of that month."""
    if month not in MONTHS:
        raise ValueError(f"no month {month}")
    return ReportingPeriod(year, month)


def period_for_year(year: str | int | None, as_of: date) -> ReportingPeriod:
    """The period on show when a user asks for `year` (a page's ?year=): an earlier year
    whole (1–12月), the current reporting year as of `as_of`; anything else, the current."""
    current = reporting_period(as_of)
    try:
        year = int(year)
    except (TypeError, ValueError):
        return current
    if 2000 <= year < current.year:
        return ReportingPeriod(year, 12)
    return current


def first_active_month(year: int, planned_start: date | None) -> int | None:
    """The month a project's plan for `year` starts to fall due: January for a continuing
    project (started before the year, or with no planned start), the planned start month
    for a new start, None when it starts after the year."""
    if planned_start is None or planned_start.year < year:
        return 1
    if planned_start.year == year:
        return planned_start.month
    return None


def even_share(period: ReportingPeriod, planned_start: date | None) -> Decimal:
    """The share of the plan due by the period's month when it is spread evenly over the
    project's active months: from `first_active_month` to December. Exact to 12 places."""
    first = first_active_month(period.year, planned_start)
    if first is None or period.month < first:
        return Decimal(0)
    active = 13 - first
    return (Decimal(period.month - first + 1) / Decimal(active)).quantize(SHARE_PLACES)


def due_amount(
    period: ReportingPeriod,
    *,
    annual_plan: Decimal,
    planned_start: date | None,
    monthly_plan: list[Decimal | None] | None = None,
) -> Decimal:
    """万元 of the year's plan due by the period's month (序时进度 as an amount): the
    monthly plan's months 1..N when there is one, else the even spread."""
    if monthly_plan and monthly_plan[0] is not None:
        return sum((amount or Decimal(0) for amount in monthly_plan[: period.month]), Decimal(0))
    return (annual_plan or Decimal(0)) * even_share(period, planned_start)


def time_progress_percent(due: Decimal, annual_plan: Decimal) -> Decimal | None:
    """序时进度 as a percentage of the plan, one decimal; None without a plan."""
    return percent(due, annual_plan)


def is_assessed(due: Decimal, annual_plan: Decimal) -> bool:
    """Whether investment counts towards the light: a plan, and some of it due."""
    return bool(annual_plan) and annual_plan > 0 and due > 0


# ------------------------------------------------------------------ the same in SQL


def due_expression(
    period: ReportingPeriod,
    *,
    annual_plan: str = "annual_plan",
    planned_start: str = "planned_start",
    plan_relation: str = "plan_of_year",
) -> Case:
    """`due_amount` for projects annotated with `annual_plan` and joined to their plan for
    the year as `plan_relation`. The even shares are `even_share`'s own answers, one per
    possible start month, so SQL and Python cannot count differently."""
    first = f"{plan_relation}__{planned_month_field(1)}"
    monthly = sum(
        (
            F(f"{plan_relation}__{planned_month_field(month)}")
            for month in range(2, period.month + 1)
        ),
        F(f"{plan_relation}__{planned_month_field(1)}"),
    )
    year_start = date(period.year, 1, 1)
    spreads = [
        When(
            Q(**{f"{planned_start}__isnull": True}) | Q(**{f"{planned_start}__lt": year_start}),
            then=Value(even_share(period, None), output_field=SHARE_FIELD),
        )
    ]
    for month in MONTHS:
        next_month = date(period.year + month // 12, month % 12 + 1, 1)
        spreads.append(
            When(
                Q(**{f"{planned_start}__lt": next_month}),
                then=Value(
                    even_share(period, date(period.year, month, 1)), output_field=SHARE_FIELD
                ),
            )
        )
    share = Case(*spreads, default=Value(Decimal(0), output_field=SHARE_FIELD))
    return Case(
        When(Q(**{f"{first}__isnull": False}), then=monthly),
        default=F(annual_plan) * share,
        output_field=MONEY_FIELD,
    )


# ------------------------------------------------------------------ starts and stages

# A project's 开工 milestone is its first whose name says 开工 (开工, 一期开工...); its
# 竣工投产 milestone the last whose name says it is finished. Names, not a type field:
# they are what officials and imported sheets already write.
START_WORD = "开工"
COMPLETION_WORDS = ("竣工", "投产", "投运", "交付")


def is_start_milestone(name: str) -> bool:
    return START_WORD in name


def is_completion_milestone(name: str) -> bool:
    return any(word in name for word in COMPLETION_WORDS) and "试生产" not in name


class Stage(models.TextChoices):
    """The stage reports break investment down by, at the period's end."""

    NEW = "new", _("New start (新开工)")
    CONTINUING = "continuing", _("Continuing (续建)")
    COMPLETING = "completing", _("Completing (竣工投产)")
    PREPARATORY = "preparatory", _("Preparatory (前期)")


@dataclass(frozen=True)
class KeyDates:
    planned_start: date | None
    actual_start: date | None
    planned_completion: date | None
    actual_completion: date | None


def key_dates(
    milestones, *, planned_start: date | None, planned_completion: date | None
) -> KeyDates:
    """A project's start and completion, planned and actual, from its milestones (objects
    or rows with `name`, `sequence`, `baseline_date`, `actual_date`): the 开工 and 竣工投产
    milestones' dates, else the project's planned dates with no actual one."""
    ordered = sorted(milestones, key=lambda milestone: milestone.sequence)
    start = next((m for m in ordered if is_start_milestone(m.name)), None)
    completion = next((m for m in reversed(ordered) if is_completion_milestone(m.name)), None)
    return KeyDates(
        planned_start=start.baseline_date if start else planned_start,
        actual_start=start.actual_date if start else None,
        planned_completion=completion.baseline_date if completion else planned_completion,
        actual_completion=completion.actual_date if completion else None,
    )


def _by(day: date | None, end: date) -> bool:
    return day is not None and day <= end


def stage(dates: KeyDates, period: ReportingPeriod) -> Stage:
    """前期 until the 开工 milestone has an actual date by the period's end; then 竣工投产
    when it completes in the period's year (planned or done), 新开工 when it started in
    that year, else 续建."""
    end = period.end
    if not _by(dates.actual_start, end):
        return Stage.PREPARATORY
    completion = dates.actual_completion if _by(dates.actual_completion, end) else None
    completion = completion or dates.planned_completion
    if completion is not None and completion.year == period.year:
        return Stage.COMPLETING
    if dates.actual_start.year == period.year:
        return Stage.NEW
    return Stage.CONTINUING


@dataclass(frozen=True)
class Rate:
    """计划 X / 已 Y / 率: projects planned to start (or complete) in the period's year by
    its last month, and how many of them had by then."""

    planned: int
    done: int

    @property
    def percent(self) -> Decimal | None:
        return percent(Decimal(self.done), Decimal(self.planned)) if self.planned else None


def start_and_completion_rates(
    all_dates: list[KeyDates], period: ReportingPeriod
) -> tuple[Rate, Rate]:
    """(开工, 竣工投产) for the period, as published reports count them."""
    first, end = period.start, period.end

    def rate(planned_of, actual_of) -> Rate:
        due = [d for d in all_dates if (p := planned_of(d)) is not None and first <= p <= end]
        return Rate(planned=len(due), done=sum(_by(actual_of(d), end) for d in due))

    return (
        rate(lambda d: d.planned_start, lambda d: d.actual_start),
        rate(lambda d: d.planned_completion, lambda d: d.actual_completion),
    )
