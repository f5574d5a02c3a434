"""The change history of a project and the records under it, read from
django-simple-history's tables: who changed what, when, from what to what.

Diffs are computed in memory between consecutive records of the same object, and foreign
keys are named through one look-up per referenced model, so a project's history costs a
fixed number of queries however long it is."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hitech_zone.money import format_wan
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Phase, Project

# Bookkeeping fields that are never shown as changes.
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "id", "project", "managers"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    at: datetime
    user: str
    subject: str
    action: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    version: int | None = None


ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


def _display(
    model: type[models.Model], name: str, value: Any, names: dict[tuple[type, Any], str]
) -> str:
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value}")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, Decimal):
        return format_wan(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _foreign_key_names(
    groups: Iterable[tuple[type[models.Model], list]],
) -> dict[tuple[type, Any], str]:
    """Names of every object a record refers to: one query per referenced model."""
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for model, records in groups:
        relations = [
            f for f in model._meta.concrete_fields if f.is_relation and f.name not in HIDDEN_FIELDS
        ]
        for record in records:
            for relation in relations:
                value = getattr(record, relation.attname)
                if value is not None:
                    wanted[relation.related_model].add(value)
    return {
        (related, obj.pk): str(obj)
        for related, ids in wanted.items()
        for obj in related._default_manager.filter(pk__in=ids)
    }


def entries(
    model: type[models.Model],
    records: list,
    *,
    subject: Callable[[Any], str],
    names: dict[tuple[type, Any], str],
) -> list[Entry]:
    """History entries for records of one model, any number of objects."""
    by_object: dict[Any, list] = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    result = []
    for object_records in by_object.values():
        object_records.sort(key=lambda record: (record.history_date, record.history_id))
        previous = None
        for record in object_records:
            changes = []
            if previous is not None and record.history_type == "~":
                delta = record.diff_against(
                    previous, excluded_fields=HIDDEN_FIELDS & _field_names(model)
                )
                changes = [
                    Change(
                        field=str(model._meta.get_field(change.field).verbose_name),
                        old=_display(model, change.field, change.old, names),
                        new=_display(model, change.field, change.new, names),
                    )
                    for change in delta.changes
                ]
            previous = record
            if record.history_type == "~" and not changes:
                continue
            result.append(
                Entry(
                    at=record.history_date,
                    user=str(record.history_user) if record.history_user else gettext("system"),
                    subject=subject(record),
                    action=str(ACTIONS[record.history_type]),
                    changes=changes,
                    reason=record.history_change_reason or "",
                    version=getattr(record, "version", None),
                )
            )
    return result


def _field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields()}


def project_history(project: Project, *, limit: int = 200) -> list[Entry]:
    """Every recorded change to the project and its phases, milestones, plans and monthly
    figures, newest first."""
    sources: list[tuple[type[models.Model], list, Callable[[Any], str]]] = [
        (
            Project,
            list(Project.history.filter(id=project.pk).select_related("history_user")),
            lambda r: gettext("Project"),
        ),
        (
            Milestone,
            list(Milestone.history.filter(project_id=project.pk).select_related("history_user")),
            lambda r: gettext("Milestone “%(name)s”") % {"name": r.name},
        ),
        (
            MonthlyInvestment,
            list(
                MonthlyInvestment.history.filter(project_id=project.pk).select_related(
                    "history_user"
                )
            ),
            lambda r: (
                gettext("Investment %(year)s-%(month)02d") % {"year": r.year, "month": r.month}
            ),
        ),
        (
            AnnualPlan,
            list(AnnualPlan.history.filter(project_id=project.pk).select_related("history_user")),
            lambda r: gettext("Plan for %(year)s") % {"year": r.year},
        ),
        (
            Phase,
            list(Phase.history.filter(project_id=project.pk).select_related("history_user")),
            lambda r: r.name,
        ),
    ]
    names = _foreign_key_names((model, records) for model, records, _subject in sources)
    result = [
        entry
        for model, records, subject in sources
        for entry in entries(model, records, subject=subject, names=names)
    ]
    result.sort(key=lambda entry: entry.at, reverse=True)
    return result[:limit]


def changes_since(instance: models.Model, version: int) -> list[Entry]:
    """What others changed on `instance` after the version a user started from."""
    records = list(
        instance.history.select_related("history_user").order_by("history_date", "history_id")
    )
    model = type(instance)
    names = _foreign_key_names([(model, records)])
    newer = [
        entry
        for entry in entries(model, records, subject=lambda r: str(instance), names=names)
        if entry.version is not None and entry.version > version
    ]
    return sorted(newer, key=lambda entry: entry.at)
