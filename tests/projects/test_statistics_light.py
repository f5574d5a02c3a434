"""入库: a started project not yet in the statistics warns yellow one month after its 开工
date and red after two (LIGHT_STATISTICS_YELLOW_MONTHS, LIGHT_STATISTICS_RED_MONTHS), on
the light of every surface and in the nightly alerts alike."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from projects import lights, progress
from projects.lights import Light
from projects.selectors import project_list
from reports import signals
from reports.models import Alert
from tests import factories

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def started(own_project):
    """Started on 15 September 2026, not in the statistics; its plan is on pace (12,000
    planned, 9,000 done by September of 9,000 due and 10,000 by October of 10,000), so only the 入库 rule can colour it."""
    own_project.in_statistics_on = None
    own_project.save()
    factories.MilestoneFactory(
        project=own_project,
        name="开工",
        baseline_date=date(2026, 9, 1),
        actual_date=date(2026, 9, 15),
    )
    factories.AnnualPlanFactory(project=own_project, year=2026, planned_investment=12000)
    factories.MonthlyInvestmentFactory(
        project=own_project, year=2026, month=9, completed_amount=Decimal(9000)
    )
    factories.MonthlyInvestmentFactory(
        project=own_project, year=2026, month=10, completed_amount=Decimal(1000)
    )
    return own_project


def _light(project, user, as_of):
    row = lights.with_reasons(
        project_list(user=user, as_of=as_of).filter(pk=project.pk),
        as_of=as_of,
        period=progress.reporting_period(as_of),
    )[0]
    return row.light, [reason.text for reason in row.light_reasons]


@pytest.mark.parametrize(
    ("as_of", "light", "reason"),
    [
        # One month after 15 September is 15 October: the day before, still green.
        (date(2026, 10, 14), Light.GREEN, None),
        (
            date(2026, 10, 15),
            Light.YELLOW,
            "Started on 2026-09-15 and not in the statistics (入库) 1 month later.",
        ),
        # Two months: 15 November.
        (
            date(2026, 11, 14),
            Light.YELLOW,
            "Started on 2026-09-15 and not in the statistics (入库) 1 month later.",
        ),
        (
            date(2026, 11, 15),
            Light.RED,
            "Started on 2026-09-15 and not in the statistics (入库) 2 months later.",
        ),
    ],
)
def test_the_light_of_a_started_project_out_of_the_statistics(
    started, official, as_of, light, reason
):
    with translation.override("en"):
        seen, reasons = _light(started, official, as_of)
    assert seen == light
    if reason:
        assert reasons[0] == reason


def test_in_the_statistics_it_is_green_again(started, official):
    started.in_statistics_on = date(2026, 11, 20)
    started.save()
    assert _light(started, official, date(2026, 11, 25))[0] == Light.GREEN


def test_a_project_not_started_has_no_such_warning(own_project, official):
    own_project.in_statistics_on = None
    own_project.save()
    factories.MilestoneFactory(project=own_project, name="开工", baseline_date=date(2027, 3, 1))
    assert not lights.projects_not_in_statistics(date(2026, 11, 25)).exists()


def test_the_nightly_alert_says_the_same(started):
    found = [
        f for f in signals.findings(date(2026, 11, 15)) if f.kind == Alert.Kind.NOT_IN_STATISTICS
    ]
    assert [(f.project_id, f.severity, f.detail) for f in found] == [
        (started.pk, "red", {"started": "2026-09-15", "months": 2})
    ]


def test_months_are_counted_on_the_calendar():
    assert lights.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert lights.months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert lights.months_before(date(2026, 1, 15), 2) == date(2025, 11, 15)
    assert lights.whole_months_between(date(2026, 9, 15), date(2026, 11, 14)) == 1
    assert lights.whole_months_between(date(2026, 9, 15), date(2026, 11, 15)) == 2
