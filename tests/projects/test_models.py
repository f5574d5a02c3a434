"""The register's rules hold in the database itself, whoever writes."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.models import MonthlyInvestment, Project, ZoneTarget
from tests import factories

pytestmark = pytest.mark.django_db


def assert_rejected_by_database(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_negative_total_investment_is_rejected_by_the_database():
    project = factories.ProjectFactory()
    assert_rejected_by_database(
        lambda: Project.objects.filter(pk=project.pk).update(total_investment=Decimal("-1"))
    )


def test_negative_monthly_investment_is_rejected_by_the_database():
    project = factories.ProjectFactory()
    assert_rejected_by_database(
        lambda: MonthlyInvestment.objects.create(
            project=project, year=2026, month=3, completed_amount=Decimal("-0.01")
        )
    )


def test_negative_annual_plan_is_rejected_by_the_database():
    assert_rejected_by_database(
        lambda: factories.AnnualPlanFactory(planned_investment=Decimal("-5"))
    )


def test_month_outside_1_to_12_is_rejected_by_the_database():
    project = factories.ProjectFactory()
    assert_rejected_by_database(
        lambda: MonthlyInvestment.objects.create(
            project=project, year=2026, month=13, completed_amount=Decimal("1")
        )
    )


def test_completion_before_start_is_rejected_by_the_database():
    assert_rejected_by_database(
        lambda: factories.ProjectFactory(
            planned_start=date(2026, 6, 1), planned_completion=date(2026, 5, 31)
        )
    )


def test_phase_completion_before_start_is_rejected_by_the_database():
    project = factories.ProjectFactory()
    assert_rejected_by_database(
        lambda: project.phases.create(
            number=1,
            name="一期",
            planned_start=date(2026, 6, 1),
            planned_completion=date(2026, 1, 1),
        )
    )


def test_duplicate_project_code_is_rejected_by_the_database():
    factories.ProjectFactory(code="GX-001")
    assert_rejected_by_database(lambda: factories.ProjectFactory(code="GX-001"))


def test_one_figure_per_project_and_month():
    record = factories.MonthlyInvestmentFactory(month=4)
    assert_rejected_by_database(
        lambda: MonthlyInvestment.objects.create(
            project=record.project, year=record.year, month=4, completed_amount=Decimal("1")
        )
    )


def test_strive_line_below_ensure_line_is_rejected():
    assert_rejected_by_database(
        lambda: ZoneTarget.objects.create(
            year=2030,
            project_count=28,
            total_investment=Decimal("1525000"),
            planned_investment=Decimal("500000"),
            industrial_ensure=Decimal("700000"),
            industrial_strive=Decimal("550000"),
        )
    )


def test_money_keeps_exact_decimals():
    project = factories.ProjectFactory(total_investment=Decimal("12345.67"))
    project.refresh_from_db()
    assert project.total_investment == Decimal("12345.67")
    assert isinstance(project.total_investment, Decimal)


def test_milestone_baselines_must_follow_sequence():
    first = factories.MilestoneFactory(sequence=1, baseline_date=date(2026, 3, 1))
    second = factories.MilestoneFactory(
        project=first.project, sequence=2, baseline_date=date(2026, 6, 1)
    )
    second.baseline_date = date(2026, 2, 1)
    with pytest.raises(ValidationError) as excinfo:
        second.full_clean()
    assert "baseline_date" in excinfo.value.message_dict


def test_milestone_actual_date_cannot_be_in_the_future(today):
    milestone = factories.MilestoneFactory(baseline_date=today)
    milestone.actual_date = date(today.year + 1, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        milestone.full_clean()
    assert "actual_date" in excinfo.value.message_dict


def test_slip_days_counts_forecast_or_today_past_the_baseline():
    milestone = factories.MilestoneFactory(baseline_date=date(2026, 6, 30))
    assert milestone.slip_days(date(2026, 6, 1)) == 0
    assert milestone.slip_days(date(2026, 7, 10)) == 10
    milestone.forecast_date = date(2026, 8, 29)
    assert milestone.slip_days(date(2026, 7, 10)) == 60
    milestone.actual_date = date(2026, 7, 15)
    assert milestone.slip_days(date(2026, 11, 27)) == 15
