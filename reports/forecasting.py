"""Where each open milestone is likely to land, projected from how the project's earlier
milestones went against their baselines.

The method (pace ratio from the last reached milestone):

    ratio     = Σ actual durations / Σ planned durations, over the reached milestones in
                sequence order; a milestone's planned duration is its baseline minus the
                previous reached milestone's baseline, its actual duration its actual date
                minus the previous one's actual date (the first reached milestone runs from
                the project's planned start, or only serves as the starting point when
                there is none); intervals with no planned time (≤ 0 days) are left out;
    anchor    = the last reached milestone (in sequence order);
    projected = anchor's actual date + ratio × (open milestone's baseline − anchor's
                baseline), never earlier than today for a milestone still open.

Why this rather than a flat mean slip (baseline + the average slip so far):

- it carries over the delay already incurred: the projection starts from where the
  project actually is (the anchor's actual date), not from where it was planned to be;
  a project 40 days behind at its last milestone is projected at least 40 days behind;
- it carries over the pace: a project that takes 1.25 times the planned time between
  nodes keeps losing time in proportion to what is left, so the slip grows with the
  distance to the milestone; a flat mean adds the same days to a node next month and
  to one in two years, and hides a slip that is growing (the mean of 0, 10 and 30 days
  late is 13, though the project is now 30 behind and losing more);
- a project that catches up (ratio < 1) is projected to recover part of its delay,
  which a mean of past slips never shows.

Its limits, shown on the project page with each projection: it needs one reached
milestone with planned time before it (otherwise no projection is made), it trusts few
data points as much as many (the page says how many), and the pace of early work
(approvals, land) may differ from later work (construction, commissioning).

`projections_refresh` reads all milestones in one query, computes in Python and writes
with bulk statements, so the nightly job costs the same few queries for any number of
projects. A project whose computation raises is skipped (`reports.isolation`): its
stored projections stay as they were.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from hitech_zone import bulk, dates
from projects.models import Milestone
from reports.isolation import SkippedProjects
from reports.models import MilestoneProjection

RATIO_PLACES = Decimal("0.001")
# The last day the product accepts for a date (forms, import, API): a projection past it
# says no more than "not in any plan's horizon", and a pace of hundreds times a node in
# 2099 would otherwise run past the end of Python's calendar and stop the nightly job.
LATEST_DAY = dates.LATEST
# What MilestoneProjection.pace_ratio can hold (max_digits=6, decimal_places=3).
RATIO_MAX = Decimal("999.999")


@dataclass(frozen=True)
class MilestoneDates:
    pk: int
    sequence: int
    baseline_date: date
    actual_date: date | None


@dataclass(frozen=True)
class Projection:
    milestone_id: int
    projected_date: date
    pace_ratio: Decimal
    basis_count: int
    anchor_date: date


@dataclass(frozen=True)
class Pace:
    ratio: Decimal
    basis_count: int
    anchor_baseline: date
    anchor_actual: date


def pace(milestones: list[MilestoneDates], planned_start: date | None) -> Pace | None:
    """The pace ratio and anchor from a project's milestones (any order); None when no
    reached milestone has planned time before it."""
    reached = sorted((m for m in milestones if m.actual_date), key=lambda m: m.sequence)
    if not reached:
        return None
    previous: tuple[date, date] | None = (planned_start, planned_start) if planned_start else None
    planned_days = actual_days = basis = 0
    for milestone in reached:
        if previous is not None:
            planned = (milestone.baseline_date - previous[0]).days
            if planned > 0:
                planned_days += planned
                actual_days += (milestone.actual_date - previous[1]).days
                basis += 1
        previous = (milestone.baseline_date, milestone.actual_date)
    if not basis:
        return None
    ratio = Decimal(max(actual_days, 0)) / Decimal(planned_days)
    anchor = reached[-1]
    return Pace(
        ratio=min(ratio.quantize(RATIO_PLACES, ROUND_HALF_UP), RATIO_MAX),
        basis_count=basis,
        anchor_baseline=anchor.baseline_date,
        anchor_actual=anchor.actual_date,
    )


def project_projections(
    milestones: list[MilestoneDates], planned_start: date | None, *, as_of: date
) -> list[Projection]:
    """Projections for a project's open milestones (none when there is no basis)."""
    found = pace(milestones, planned_start)
    if found is None:
        return []
    projections = []
    for milestone in milestones:
        if milestone.actual_date:
            continue
        remaining = (milestone.baseline_date - found.anchor_baseline).days
        days = int((found.ratio * remaining).to_integral_value(ROUND_HALF_UP))
        # Never before today (the node is still open) nor past LATEST_DAY.
        days = max(days, (as_of - found.anchor_actual).days)
        days = min(days, (LATEST_DAY - found.anchor_actual).days)
        projections.append(
            Projection(
                milestone_id=milestone.pk,
                projected_date=found.anchor_actual + timedelta(days=days),
                pace_ratio=found.ratio,
                basis_count=found.basis_count,
                anchor_date=found.anchor_actual,
            )
        )
    return projections


@dataclass(frozen=True)
class ProjectionCounts:
    created: int
    updated: int
    deleted: int
    unchanged: int


def projections_compute(*, as_of: date, skipped: SkippedProjects | None = None) -> list[Projection]:
    """Projections for every open milestone with a basis, but those of the projects in
    `skipped` and of those whose computation raises (added to it). One query."""
    skipped = SkippedProjects() if skipped is None else skipped
    rows = Milestone.objects.order_by("project_id", "sequence").values_list(
        "pk", "project_id", "sequence", "baseline_date", "actual_date", "project__planned_start"
    )
    by_project: dict[int, list[MilestoneDates]] = defaultdict(list)
    starts: dict[int, date | None] = {}
    for pk, project_id, sequence, baseline, actual, planned_start in rows:
        by_project[project_id].append(MilestoneDates(pk, sequence, baseline, actual))
        starts[project_id] = planned_start
    projections = []
    for project_id, milestones in by_project.items():
        if project_id in skipped:
            continue
        with skipped.guard(project_id, "projections"):
            projections.extend(project_projections(milestones, starts[project_id], as_of=as_of))
    return projections


def projections_refresh(
    *, now: datetime, skipped: SkippedProjects | None = None
) -> ProjectionCounts:
    """Store the projections as of `now` (its date in Asia/Shanghai): one row per open
    milestone with a basis, written only when it changed; rows for milestones reached
    since, or with no basis any more, are deleted. The rows of the projects in `skipped`
    (or skipped now: see `projections_compute`) are left as they were. Five queries at
    most, one more when a project is skipped (on SQLite, bulk writes split into batches
    of ~160 rows)."""
    as_of = timezone.localdate(now)
    fields = ("projected_date", "pace_ratio", "basis_count", "anchor_date")
    skipped = SkippedProjects() if skipped is None else skipped
    with transaction.atomic():
        wanted = {p.milestone_id: p for p in projections_compute(as_of=as_of, skipped=skipped)}
        # Not deleted for want of a projection: the project's was not computed tonight.
        kept = set()
        if skipped.project_ids:
            kept = set(
                Milestone.objects.filter(project_id__in=skipped.project_ids).values_list(
                    "pk", flat=True
                )
            )
        stored = {
            row[0]: row[1:]
            for row in MilestoneProjection.objects.values_list("milestone_id", *fields, "pk")
        }
        writes = []
        created = unchanged = 0
        for milestone_id, projection in wanted.items():
            values = tuple(getattr(projection, field) for field in fields)
            current = stored.get(milestone_id)
            if current is not None and current[:-1] == values:
                unchanged += 1
                continue
            created += current is None
            writes.append(
                {
                    "milestone_id": milestone_id,
                    **dict(zip(fields, values, strict=True)),
                    "computed_at": now,
                }
            )
        if writes:
            # One upsert: new rows and changed ones alike.
            bulk.insert_rows(
                MilestoneProjection,
                writes,
                unique_fields=["milestone"],
                update_fields=[*fields, "computed_at"],
            )
        gone = [
            row[-1]
            for milestone_id, row in stored.items()
            if milestone_id not in wanted and milestone_id not in kept
        ]
        if gone:
            MilestoneProjection.objects.filter(pk__in=gone).delete()
    return ProjectionCounts(
        created=created, updated=len(writes) - created, deleted=len(gone), unchanged=unchanged
    )
