"""Writes to the register. Every change passes full_clean() and is saved with the user who
made it, so the history (who, when, old -> new) is complete whatever the entry point."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Project


def _save(instance, *, by, update_fields: list[str] | None = None):
    instance.full_clean()
    instance._history_user = by
    instance.save(update_fields=update_fields)
    return instance


@transaction.atomic
def project_update(*, project: Project, by, **changes: Any) -> Project:
    changed = [field for field, value in changes.items() if getattr(project, field) != value]
    if not changed:
        return project
    for field in changed:
        setattr(project, field, changes[field])
    return _save(project, by=by, update_fields=[*changed, "updated_at"])


@transaction.atomic
def milestone_update_dates(
    *, milestone: Milestone, by, forecast_date: date | None, actual_date: date | None
) -> Milestone:
    milestone.forecast_date = forecast_date
    milestone.actual_date = actual_date
    return _save(milestone, by=by, update_fields=["forecast_date", "actual_date"])


@transaction.atomic
def monthly_investment_set(
    *, project: Project, year: int, month: int, completed_amount: Decimal, by, note: str = ""
) -> MonthlyInvestment:
    record = MonthlyInvestment.objects.filter(project=project, year=year, month=month).first()
    if record is None:
        record = MonthlyInvestment(project=project, year=year, month=month)
    elif record.completed_amount == completed_amount and record.note == note:
        return record
    record.completed_amount = completed_amount
    record.note = note
    return _save(record, by=by)


@transaction.atomic
def annual_plan_set(*, project: Project, year: int, planned_investment: Decimal, by) -> AnnualPlan:
    plan = AnnualPlan.objects.filter(project=project, year=year).first() or AnnualPlan(
        project=project, year=year
    )
    if plan.pk and plan.planned_investment == planned_investment:
        return plan
    plan.planned_investment = planned_investment
    return _save(plan, by=by)
