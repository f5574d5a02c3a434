"""Milestone projections: the pace ratio over reached milestones, from the last one reached."""

from datetime import date
from decimal import Decimal

import pytest

from projects.models import Milestone
from reports import forecasting
from reports.forecasting import MilestoneDates, pace, project_projections, projections_refresh
from reports.models import MilestoneProjection
from tests import factories
from tests.clock import clock_pinned_to
from tests.reports.slip_helpers import at

pytestmark = pytest.mark.django_db
# Fixed dates in 2026; the records the tests make are made after them.
pinned_clock = clock_pinned_to("2026-11-18T10:00")

AS_OF = date(2026, 7, 15)


def history(project, rows):
    """rows: (baseline, actual or None) in sequence order."""
    return [
        factories.MilestoneFactory(
            project=project, sequence=n, name=f"节点{n}", baseline_date=b, actual_date=a
        )
        for n, (b, a) in enumerate(rows, 1)
    ]


@pytest.fixture
def slow_project():
    """Started on plan on 1 March, then took longer than planned between milestones:
    31 planned days took 41, 61 took 81: 122 actual over 92 planned."""
    project = factories.ProjectFactory(planned_start=date(2026, 3, 1))
    milestones = history(
        project,
        [
            (date(2026, 4, 1), date(2026, 4, 11)),
            (date(2026, 6, 1), date(2026, 7, 1)),
            (date(2026, 9, 1), None),
            (date(2026, 12, 1), None),
        ],
    )
    return project, milestones


def test_ratio_basis_and_anchor(slow_project):
    _project, milestones = slow_project

    projections_refresh(now=at(AS_OF))

    rows = {p.milestone_id: p for p in MilestoneProjection.objects.all()}
    assert set(rows) == {milestones[2].pk, milestones[3].pk}  # open milestones only
    third = rows[milestones[2].pk]
    assert third.pace_ratio == Decimal("1.326")  # 122 / 92
    assert third.basis_count == 2
    assert third.anchor_date == date(2026, 7, 1)  # the last reached milestone's actual date
    # 1 July + 1.326 × 92 planned days (121.99 → 122) = 31 October.
    assert third.projected_date == date(2026, 10, 31)
    # 1 July + 1.326 × 183 planned days (242.66 → 243).
    assert rows[milestones[3].pk].projected_date == date(2027, 3, 1)
    assert third.computed_at == at(AS_OF)


def test_carries_the_delay_already_incurred_even_at_planned_pace():
    """Reached the first milestone 20 days late, then kept the planned pace (ratio 1): the
    20 days carry over to every open milestone, which a pace alone would not show."""
    project = factories.ProjectFactory(planned_start=None)
    milestones = history(
        project,
        [(date(2026, 4, 1), date(2026, 4, 21)), (date(2026, 6, 1), date(2026, 6, 21))],
    )
    open_one = factories.MilestoneFactory(
        project=project, sequence=3, baseline_date=date(2026, 10, 1)
    )

    projections_refresh(now=at(AS_OF))

    projection = MilestoneProjection.objects.get(milestone=open_one)
    assert (projection.pace_ratio, projection.basis_count) == (Decimal("1.000"), 1)
    assert projection.anchor_date == milestones[1].actual_date
    assert projection.projected_date == date(2026, 10, 21)  # 20 days after its baseline


def test_never_earlier_than_today_for_an_open_milestone():
    # Ahead of plan: 31 planned days took 21, so ratio 0.677; the milestone due 1 August
    # projects to 22 March + 0.677 × 122 days = 13 June, already behind us on 15 July.
    project = factories.ProjectFactory(planned_start=date(2026, 3, 1))
    history(project, [(date(2026, 4, 1), date(2026, 3, 22)), (date(2026, 8, 1), None)])

    projections_refresh(now=at(AS_OF))

    projection = MilestoneProjection.objects.get()
    assert projection.pace_ratio == Decimal("0.677")
    assert projection.projected_date == AS_OF


@pytest.mark.parametrize(
    ("planned_start", "rows"),
    [
        # Nothing reached yet.
        (date(2026, 3, 1), [(date(2026, 4, 1), None), (date(2026, 9, 1), None)]),
        # One reached milestone but no planned start: nothing to measure it against.
        (None, [(date(2026, 4, 1), date(2026, 4, 20)), (date(2026, 9, 1), None)]),
        # Planned start on the first baseline: no planned time before it.
        (date(2026, 4, 1), [(date(2026, 4, 1), date(2026, 4, 20)), (date(2026, 9, 1), None)]),
    ],
    ids=["nothing-reached", "no-start", "no-planned-time"],
)
def test_no_basis_no_projection(planned_start, rows):
    project = factories.ProjectFactory(planned_start=planned_start)
    history(project, rows)

    counts = projections_refresh(now=at(AS_OF))

    assert not MilestoneProjection.objects.exists()
    assert counts.created == 0


def test_without_a_planned_start_the_first_reached_milestone_is_the_starting_point():
    project = factories.ProjectFactory(planned_start=None)
    history(
        project,
        [
            (date(2026, 3, 1), date(2026, 3, 11)),
            (date(2026, 5, 1), date(2026, 5, 31)),  # 61 planned days took 81
            (date(2026, 9, 1), None),
        ],
    )

    projections_refresh(now=at(AS_OF))

    projection = MilestoneProjection.objects.get()
    assert (projection.pace_ratio, projection.basis_count) == (Decimal("1.328"), 1)
    # 31 May + 1.328 × 123 (163.3 → 163) = 10 November.
    assert projection.projected_date == date(2026, 11, 10)


def test_pace_is_pure_and_ignores_order():
    milestones = [
        MilestoneDates(3, 3, date(2026, 9, 1), None),
        MilestoneDates(2, 2, date(2026, 6, 1), date(2026, 7, 1)),
        MilestoneDates(1, 1, date(2026, 4, 1), date(2026, 4, 11)),
    ]
    found = pace(milestones, date(2026, 3, 1))
    assert (found.ratio, found.basis_count, found.anchor_actual) == (
        Decimal("1.326"),
        2,
        date(2026, 7, 1),
    )
    assert [p.milestone_id for p in project_projections(milestones, None, as_of=AS_OF)] == [3]


def test_refresh_writes_only_changes_and_drops_reached_milestones(
    slow_project, django_assert_num_queries
):
    _project, milestones = slow_project
    first = projections_refresh(now=at(AS_OF))
    assert (first.created, first.updated, first.deleted) == (2, 0, 0)
    before = list(MilestoneProjection.objects.order_by("pk").values_list())

    # Same data, a later moment: nothing to write (savepoint, two reads, release).
    with django_assert_num_queries(4):
        again = projections_refresh(now=at(date(2026, 7, 16)))
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 2)
    assert list(MilestoneProjection.objects.order_by("pk").values_list()) == before

    # The third milestone is reached: its projection goes, the fourth one moves.
    Milestone.objects.filter(pk=milestones[2].pk).update(actual_date=date(2026, 7, 20))
    later = projections_refresh(now=at(date(2026, 7, 21)))

    assert (later.created, later.updated, later.deleted) == (0, 1, 1)
    remaining = MilestoneProjection.objects.get()
    assert remaining.milestone_id == milestones[3].pk
    assert remaining.anchor_date == date(2026, 7, 20)
    assert remaining.basis_count == 3
    # (41 + 81 + 19) / (31 + 61 + 92) = 0.766; 20 July + 0.766 × 91 days (69.7 → 70).
    assert remaining.pace_ratio == Decimal("0.766")
    assert remaining.projected_date == date(2026, 9, 28)
    assert remaining.computed_at == at(date(2026, 7, 21))


def test_reads_all_milestones_in_one_query(django_assert_num_queries):
    for index in range(5):
        project = factories.ProjectFactory(planned_start=date(2026, 3, 1))
        history(project, [(date(2026, 4, 1), date(2026, 4, 1 + index)), (date(2026, 9, 1), None)])

    with django_assert_num_queries(1):
        projections = forecasting.projections_compute(as_of=AS_OF)

    assert len(projections) == 5
