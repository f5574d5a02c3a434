"""Where each demo project stands on the day the demo loads: milestones and money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hitech_zone.demo.data import (
    ARTICLE_VISIT_DAY,
    PACE_OF_ZONE,
    PROJECTS,
    D,
    MilestoneSpec,
    ProjectSpec,
    Status,
    day_of,
)

# ------------------------------------------------------------------ the schedule as of today

# Relative weights of the months' investment: the Spring Festival empties January and
# February's sites, and work only resumes from late February.
MONTH_WEIGHTS = (D("0.7"), D("0.4"), D("0.9")) + (D(1),) * 9
STAGES = (Status.PIPELINE, Status.PREPARATION, Status.CONSTRUCTION, Status.TRIAL, Status.COMPLETED)
STAGE_KEYWORDS = (
    ("试生产", Status.TRIAL),
    ("竣工", Status.COMPLETED),
    ("投产", Status.COMPLETED),
    ("交付", Status.COMPLETED),
    ("开工", Status.CONSTRUCTION),
    ("立项", Status.PREPARATION),
    ("摘牌", Status.PREPARATION),
    ("施工许可", Status.PREPARATION),
)


def milestone_stage(name: str) -> Status | None:
    """The status a project reaches with this milestone, if any."""
    return next((stage for keyword, stage in STAGE_KEYWORDS if keyword in name), None)


@dataclass(frozen=True)
class MilestoneDates:
    spec: MilestoneSpec
    baseline: date
    forecast: date | None
    actual: date | None


@dataclass(frozen=True)
class Schedule:
    """Where a project stands on `today`."""

    milestones: tuple[MilestoneDates, ...]
    status: Status
    started: date | None
    completed: date | None
    suspended: date | None


def project_schedule(spec: ProjectSpec, today: date) -> Schedule:
    year = today.year
    suspended = day_of(year, spec.suspended_from) if spec.suspended_from else None
    if suspended and suspended > today:
        suspended = None
    rows = []
    expected: date | None = None
    stuck = False
    for item in spec.milestones:
        baseline = day_of(year, item.baseline)
        # Work is done in order: a late milestone delays the ones after it.
        expected = max(baseline + timedelta(days=item.slip), expected or baseline)
        stuck = stuck or item.blocked or bool(suspended and expected >= suspended)
        if stuck:
            forecast = expected if item.blocked and expected > baseline else None
            rows.append(MilestoneDates(item, baseline, forecast, None))
        elif expected <= today:
            rows.append(MilestoneDates(item, baseline, None, expected))
        else:
            rows.append(
                MilestoneDates(item, baseline, expected if expected > baseline else None, None)
            )

    reached = [milestone_stage(row.spec.name) for row in rows if row.actual]
    status = max((s for s in reached if s), key=STAGES.index, default=Status.PIPELINE)
    if suspended:
        status = Status.SUSPENDED

    def first_actual(stage: Status) -> date | None:
        return next((r.actual for r in rows if milestone_stage(r.spec.name) == stage), None)

    return Schedule(
        tuple(rows),
        status,
        first_actual(Status.CONSTRUCTION),
        first_actual(Status.COMPLETED),
        suspended,
    )


def _spent_months(schedule: Schedule, year: int, before_month: int) -> list[int]:
    """The months before `before_month` in which the project did invest."""
    if schedule.started is None:
        return []
    months = []
    for month in range(1, before_month):
        if (schedule.started.year, schedule.started.month) > (year, month):
            continue
        if schedule.completed and (year, month) > (
            schedule.completed.year,
            schedule.completed.month,
        ):
            continue
        if schedule.suspended and (year, month) >= (
            schedule.suspended.year,
            schedule.suspended.month,
        ):
            continue
        months.append(month)
    return months


def _weight(months: list[int]) -> Decimal:
    return sum((MONTH_WEIGHTS[month - 1] for month in months), D(0))


def monthly_amounts(
    today: date, *, year: int | None = None, through_month: int | None = None
) -> dict[str, dict[int, Decimal]]:
    """Investment completed per project and month of `year` (by default today's), from
    January to `through_month` (by default last month).

    A project that has finished invested its whole plan. The others are measured, like the
    dashboard measures them, against 序时进度: each keeps its own pace, less the months it
    was not working; then they are scaled together so the zone as a whole stands at
    PACE_OF_ZONE of 序时进度 through that month."""
    year = today.year if year is None else year
    last = today.month - 1 if through_month is None else through_month
    elapsed = _weight(list(range(1, last + 1)))
    if not elapsed:
        return {}
    # The months filled in, January to the last one, spread evenly (projects.progress).
    share = D(last) / 12
    spent: dict[str, list[int]] = {}
    finished: dict[str, Decimal] = {}
    raw: dict[str, Decimal] = {}
    for spec in PROJECTS:
        schedule = project_schedule(spec, today)
        months = _spent_months(schedule, year, last + 1)
        if not months:
            continue
        spent[spec.code] = months
        if schedule.completed and schedule.completed.year == year:
            finished[spec.code] = spec.pace * D(spec.plan)
        else:
            raw[spec.code] = spec.pace * D(spec.plan) * share * _weight(months) / elapsed
    due = D(sum(spec.plan for spec in PROJECTS)) * share
    remaining = max(PACE_OF_ZONE * due - sum(finished.values(), D(0)), D(0))
    scale = remaining / sum(raw.values()) if raw else D(0)
    totals = finished | {code: value * scale for code, value in raw.items()}
    amounts: dict[str, dict[int, Decimal]] = {}
    for code, months in spent.items():
        total = _money(totals[code])
        weight = _weight(months)
        shares = {month: _money(total * MONTH_WEIGHTS[month - 1] / weight) for month in months}
        # The last month takes the rounding, so the months add up to the total.
        shares[months[-1]] = total - sum(shares[month] for month in months[:-1])
        amounts[code] = {month: amount for month, amount in shares.items() if amount > 0}
    return amounts


def _money(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def article_visit_day(today: date) -> date:
    """The article's visits happened in April; before then, a few days ago."""
    day = day_of(today.year, ARTICLE_VISIT_DAY)
    return day if day < today else today - timedelta(days=3)


def day_in_month(today: date, months_back: int, day: int, *, before_today: bool = True) -> date:
    """Day `day` of the month `months_back` months before today's, clamped to that month's
    length and, for this month, to the last day before today (today itself when
    `before_today` is False): on the 1st, "this month" has no earlier day, and the day
    before is last month's last."""
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    chosen = min(first + timedelta(days=day - 1), following - timedelta(days=1))
    latest = today - timedelta(days=1) if before_today else today
    return min(chosen, latest)
