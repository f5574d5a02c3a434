"""Writes to the register. Every change passes full_clean(), is saved with the user who
made it (so the history says who, when, old -> new, whatever the entry point) and bumps
the record's version: a change based on a stale copy is refused with what the other
person changed, never applied over it."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from projects import history
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, ProgressNote, Project


class ConflictError(Exception):
    """Someone else saved the record after the version this change started from."""

    def __init__(self, current: models.Model, changes: list[history.Entry]):
        super().__init__(f"{type(current).__name__} {current.pk} changed meanwhile")
        self.current = current
        self.changes = changes


def _locked(instance: models.Model, expected_version: int | None) -> models.Model:
    """The row as stored now, locked for this transaction; refused if it moved on."""
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(current, history.changes_since(current, expected_version))
    return current


# Rows per INSERT when many projects are created at once.
BULK_BATCH_SIZE = 500


def _check_planned(instance: models.Model) -> None:
    """Values from an import plan, which resolved every reference and code before the
    preview: only the field checks run here. The database still refuses a duplicate code,
    a missing reference or a broken constraint, and the import rolls back. The skipped
    checks cost six queries a row (make bench: 5,000 rows)."""
    references = [f.name for f in instance._meta.fields if f.is_relation]
    instance.full_clean(exclude=references, validate_unique=False, validate_constraints=False)


def _save(
    instance: models.Model,
    *,
    by,
    update_fields: list[str] | None = None,
    reason: str = "",
    planned: bool = False,
):
    if planned:
        _check_planned(instance)
    else:
        instance.full_clean()
    instance._history_user = by
    if reason:
        instance._change_reason = reason
    if instance.pk and hasattr(instance, "version"):
        instance.version += 1
        if update_fields is not None:
            update_fields = [*update_fields, "version"]
    instance.save(update_fields=update_fields)
    return instance


@transaction.atomic
def project_create(*, by, reason: str = "", planned: bool = False, **fields: Any) -> Project:
    """A new project in the register (e.g. from an imported sheet: `planned`, see
    `_save`); its history starts with who created it."""
    return _save(Project(**fields), by=by, reason=reason, planned=planned)


def project_new_planned(**fields: Any) -> Project:
    """An unsaved project from an import plan's values, field-checked (`_check_planned`);
    raises ValidationError. `projects_create_planned` saves many of them at once."""
    project = Project(**fields)
    _check_planned(project)
    return project


@transaction.atomic
def projects_create_planned(projects: list[Project], *, by, reason: str = "") -> list[Project]:
    """Save new projects from `project_new_planned` in a few statements, each with the
    history record a single creation writes (who, when, why): a 5,000-row import saved
    row by row spent most of its time in per-row statements (make bench)."""
    created = Project.objects.bulk_create(projects, batch_size=BULK_BATCH_SIZE)
    if any(project.pk is None for project in created):
        # SQLite before 3.35 returns no ids from a bulk insert; codes are unique.
        ids = dict(
            Project.objects.filter(code__in=[p.code for p in created]).values_list("code", "pk")
        )
        for project in created:
            project.pk = ids[project.code]
    # A new project has no managers, so there is no many-to-many history to write.
    Project.history.bulk_history_create(
        created, batch_size=BULK_BATCH_SIZE, default_user=by, default_change_reason=reason
    )
    return created


@transaction.atomic
def project_update(
    *,
    project: Project,
    by,
    expected_version: int | None = None,
    reason: str = "",
    **changes: Any,
) -> Project:
    current = _locked(project, expected_version)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, changes[name])
    return _save(current, by=by, update_fields=[*changed, "updated_at"], reason=reason)


def project_set_status(
    *, project: Project, status: str, by, expected_version: int | None
) -> Project:
    return project_update(project=project, by=by, expected_version=expected_version, status=status)


@transaction.atomic
def milestone_update_dates(
    *,
    milestone: Milestone,
    by,
    forecast_date: date | None,
    actual_date: date | None,
    expected_version: int | None = None,
) -> Milestone:
    current = _locked(milestone, expected_version)
    if (current.forecast_date, current.actual_date) == (forecast_date, actual_date):
        return current
    current.forecast_date = forecast_date
    current.actual_date = actual_date
    return _save(current, by=by, update_fields=["forecast_date", "actual_date"])


@transaction.atomic
def milestone_rebaseline(
    *, milestone: Milestone, by, baseline_date: date, reason: str, expected_version: int | None
) -> Milestone:
    """The only way a baseline moves: explicitly, with a reason kept in the history."""
    current = _locked(milestone, expected_version)
    if current.baseline_date == baseline_date:
        return current
    current.baseline_date = baseline_date
    return _save(current, by=by, update_fields=["baseline_date"], reason=reason)


@transaction.atomic
def monthly_investment_set(
    *,
    project: Project,
    year: int,
    month: int,
    completed_amount: Decimal,
    by,
    note: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> MonthlyInvestment:
    """Enter or correct one month's figure. `expected_version` is the version the user
    saw: 0 when they saw no figure for that month, None when not checked (imports)."""
    record = (
        MonthlyInvestment.objects.select_for_update()
        .filter(project=project, year=year, month=month)
        .first()
    )
    if record is None:
        record = MonthlyInvestment(project=project, year=year, month=month)
    else:
        record = _locked(record, expected_version)
        if record.completed_amount == completed_amount and record.note == note:
            return record
    record.completed_amount = completed_amount
    record.note = note
    return _save(record, by=by, reason=reason)


def progress_note_add(*, project: Project, body: str, by) -> ProgressNote:
    note = ProgressNote(project=project, body=body.strip(), author=by)
    note.full_clean()
    note.save()
    return note


def _plan_fields(plan: AnnualPlan, values: dict[str, Any]) -> list[str]:
    """Set the plan's fields (planned_investment, planned_month_N) from `values`; which
    changed."""
    changed = [name for name, value in values.items() if getattr(plan, name) != value]
    for name in changed:
        setattr(plan, name, values[name])
    return changed


@transaction.atomic
def annual_plan_set(
    *, project: Project, year: int, by, reason: str = "", **values: Any
) -> AnnualPlan:
    """Enter or change a project's plan for `year`: `planned_investment` and, for a monthly
    plan (分月计划), `planned_month_1`..`planned_month_12`; fields not given are kept. The
    result passes AnnualPlan.clean() (twelve months or none, adding up to the plan)."""
    plan = AnnualPlan.objects.select_for_update().filter(project=project, year=year).first()
    if plan is None:
        plan = AnnualPlan(project=project, year=year)
    if not _plan_fields(plan, values) and plan.pk:
        return plan
    return _save(plan, by=by, reason=reason)


@transaction.atomic
def annual_plans_create_planned(
    plans: list[AnnualPlan], *, by, reason: str = ""
) -> list[AnnualPlan]:
    """Plans of projects just created (so none has one yet), saved together with their
    history records, as `projects_create_planned` saves the projects."""
    for plan in plans:
        plan.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    created = AnnualPlan.objects.bulk_create(plans, batch_size=BULK_BATCH_SIZE)
    if any(plan.pk is None for plan in created):
        # SQLite before 3.35 returns no ids from a bulk insert; (project, year) is unique.
        ids = {
            (project_id, year): pk
            for project_id, year, pk in AnnualPlan.objects.filter(
                project__in=[plan.project_id for plan in created]
            ).values_list("project_id", "year", "pk")
        }
        for plan in created:
            plan.pk = ids[(plan.project_id, plan.year)]
    AnnualPlan.history.bulk_history_create(
        created, batch_size=BULK_BATCH_SIZE, default_user=by, default_change_reason=reason
    )
    return created
