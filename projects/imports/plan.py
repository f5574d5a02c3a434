"""The dry run: what importing a sheet would do to the register, row by row.

A plan is built from the sheet as read and the database as it is now, in a fixed number of
queries. Each row is created, updated (with every field's old -> new), unchanged, or in
error. The plan is stored with the import as JSON and shown as the preview; when the user
confirms, the plan is built again and must be the same, or nothing is applied.

A register row may also carry the project's plan for a year and its monthly plan
(分月计划): the year its headers name, else `progress.entry_year(today)` (this year, last
year in January); next year's from December. An empty plan cell leaves what is stored;
the result must pass `AnnualPlan.clean()` (twelve months or none, adding up to the year's
plan). A new plan given only its twelve months is planned at their sum.

A responsible person who is not a user yet does not make the row an error: the row says
so once, the plan lists the people (`people`), and confirming creates them if the user
chooses to (see services.project_import_apply).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone.money import format_wan
from projects import progress
from projects.imports.columns import (
    CHECKED_KEY,
    MONTHLY_COLUMNS,
    PLAN_KEYS,
    REGISTER_COLUMNS,
    Type,
)
from projects.imports.reading import CellError, Row, SheetRead, normal
from projects.models import AnnualPlan, MonthlyInvestment, Park, Project, Sector

# Field names in the preview: the file's own column names.
COLUMN_LABELS = {column.key: column.zh for column in (*REGISTER_COLUMNS, *MONTHLY_COLUMNS)}
# The AnnualPlan fields the plan columns fill, by column key.
PLAN_FIELDS = {
    "annual_plan": "planned_investment",
    **{
        progress.planned_month_field(month): progress.planned_month_field(month)
        for month in progress.MONTHS
    },
}
# A name holding these is several people, not one to create.
SEVERAL_PEOPLE = re.compile(r"[、,，/;；&＆]")


def column_labels(plan_year: int | None) -> dict[str, str]:
    """COLUMN_LABELS, the plan columns naming the plan's year (2026年计划投资（万元）)."""
    labels = dict(COLUMN_LABELS)
    if plan_year:
        labels["annual_plan"] = f"{plan_year}年计划投资（万元）"
        for month in progress.MONTHS:
            labels[progress.planned_month_field(month)] = f"{plan_year}年{month}月计划（万元）"
    return labels


@dataclass(frozen=True)
class NewPerson:
    """A responsible person the sheet names who is not a user yet (the name as written,
    normalised); replaced by the user created for them when the import is applied."""

    name: str

    def __str__(self) -> str:
        return self.name


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class Change:
    field: str  # the column's key
    old: str
    new: str


@dataclass
class PlannedRow:
    row: int
    key: str  # the project code, with the month for investment figures
    title: str  # the project's name, for the reader
    action: str
    changes: list[Change] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    # What the user should know that does not stop the row (a person to create).
    notes: list[CellError] = field(default_factory=list)
    # The version of the record the plan was made against (0: no record yet).
    seen_version: int = 0
    # What to apply, as Python values; not stored.
    target: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    # The project's plan for the plan year, as AnnualPlan fields, when it changes.
    plan_values: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "key": self.key,
            "title": self.title,
            "action": self.action,
            "changes": [vars(change) for change in self.changes],
            "errors": [error.as_dict() for error in self.errors],
            "notes": [note.as_dict() for note in self.notes],
            "seen_version": self.seen_version,
        }


@dataclass
class Plan:
    kind: str
    layout: str
    rows: list[PlannedRow]
    errors: list[CellError]  # errors of the sheet as a whole
    examples_skipped: int = 0
    ignored: list[dict[str, str]] = field(default_factory=list)  # see SheetRead.ignored
    plan_year: int | None = None  # of the plan columns, when the sheet has any
    # People to create: {"name": ..., "rows": [row numbers]}.
    people: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_errors(self) -> list[CellError]:
        found = [*self.errors, *(error for row in self.rows for error in row.errors)]
        return sorted(found, key=lambda error: error.row)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "layout": self.layout,
            "rows": [row.as_dict() for row in self.rows],
            "errors": [error.as_dict() for error in self.all_errors],
            "examples_skipped": self.examples_skipped,
            "ignored": self.ignored,
            "plan_year": self.plan_year,
            "people": self.people,
        }


def build(sheet: SheetRead) -> Plan:
    plan = Plan(
        sheet.kind,
        sheet.layout,
        [],
        list(sheet.errors),
        sheet.examples_skipped,
        ignored=list(sheet.ignored),
    )
    if sheet.kind == "register":
        _RegisterPlanner(sheet, plan).run()
    else:
        _MonthlyPlanner(sheet, plan).run()
    return plan


def signature(plan_dict: dict[str, Any]) -> list:
    """What must not differ between the preview and the confirmation: every row's key,
    action, changes and the version of the record it was planned against."""
    return [
        (row["row"], row["key"], row["action"], row["changes"], row["seen_version"])
        for row in plan_dict["rows"]
    ]


# ---------------------------------------------------------------- display


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format_wan(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plan_year_open(year: int, today: date) -> bool:
    """Plans may be imported for any year up to this one, and for next year from December."""
    return year <= today.year or (year == today.year + 1 and today.month == 12)


def _choice_display(field_name: str, value: str) -> str:
    return str(dict(Project._meta.get_field(field_name).flatchoices).get(value, value))


class _Lookup:
    """Reference data by every name it goes by (code, name; user name, full name)."""

    def __init__(self, entries, keys) -> None:
        self.by_key: dict[str, list] = defaultdict(list)
        for entry in entries:
            for key in {self.key(key) for key in keys(entry) if key}:
                self.by_key[key].append(entry)

    @staticmethod
    def key(text: str) -> str:
        # Without spaces: sheets pad two-character names to line up (周　明).
        return "".join(normal(text).lower().split())

    def find(self, text: str) -> list:
        return self.by_key.get(self.key(text), [])


# ---------------------------------------------------------------- the register

# The project's own fields; the plan columns go to its AnnualPlan.
REGISTER_FIELDS = [
    column for column in REGISTER_COLUMNS if not column.read_only and column.key not in PLAN_KEYS
]
REQUIRED_FIELDS = [column for column in REGISTER_FIELDS if column.required]
CHOICE_DEFAULTS = {
    "level": Project.Level.CITY,
    "category": Project.Category.INDUSTRIAL,
    "status": Project.Status.PREPARATION,
}


class _RegisterPlanner:
    def __init__(self, sheet: SheetRead, plan: Plan) -> None:
        self.sheet = sheet
        self.plan = plan
        codes = {row.values["code"] for row in sheet.rows if row.values.get("code")}
        self.existing = {
            project.code: project
            for project in Project.objects.filter(code__in=codes).select_related(
                "park", "sector", "responsible_person"
            )
        }
        self.parks = _Lookup(Park.objects.all(), lambda park: (park.code, park.name))
        self.sectors = _Lookup(Sector.objects.all(), lambda sector: (sector.code, sector.name))
        users = get_user_model()
        self.people = _Lookup(
            users.objects.filter(is_active=True), lambda user: (user.username, user.full_name)
        )
        self.inactive_people = _Lookup(
            users.objects.filter(is_active=False), lambda user: (user.username, user.full_name)
        )
        self.full_name_limit = users._meta.get_field("full_name").max_length
        self.new_people: dict[str, NewPerson] = {}
        self.new_people_rows: dict[str, list[int]] = defaultdict(list)
        self.present = [column for column in REGISTER_FIELDS if column.key in sheet.columns]
        self._plan_columns(codes)
        self._completed_figures(codes)

    def _plan_columns(self, codes: set[str]) -> None:
        """The plan columns the sheet has, the year they are for, and the plans stored."""
        self.plan_keys = [key for key in PLAN_KEYS if key in self.sheet.columns]
        self.plans: dict[int, AnnualPlan] = {}
        if not self.plan_keys:
            return
        today = timezone.localdate()
        self.year = self.sheet.plan_year or progress.entry_year(today)
        self.plan.plan_year = self.year
        if not plan_year_open(self.year, today):
            self.plan.errors.append(
                CellError(
                    self.sheet.header_row,
                    self.sheet.where(self.plan_keys[0]),
                    _(
                        "Plans for %(year)s are not accepted yet: next year's plans can be "
                        "imported from December."
                    )
                    % {"year": self.year},
                )
            )
            self.plan_keys = []
            return
        self.plans = {
            plan.project_id: plan
            for plan in AnnualPlan.objects.filter(project__code__in=codes, year=self.year)
        }

    def _completed_figures(self, codes: set[str]) -> None:
        """Completed investment of the months the sheet's completed column covers."""
        self.completed: dict[int, Decimal] = {}
        if self.sheet.completed_through is None:
            return
        year, month = self.sheet.completed_through
        figures = (
            MonthlyInvestment.objects.filter(project__code__in=codes, year=year, month__lte=month)
            .order_by()
            .values("project_id")
            .annotate(total=Sum("completed_amount"))
        )
        self.completed = {figure["project_id"]: figure["total"] for figure in figures}

    def run(self) -> None:
        seen_codes: dict[str, int] = {}
        for row in self.sheet.rows:
            code = row.values.get("code")
            project = self.existing.get(code) if code else None
            planned = PlannedRow(
                row.number,
                code or "",
                row.values.get("name") or (project.name if project else ""),
                Action.ERROR,
                errors=list(row.errors),
                seen_version=project.version if project else 0,
                target=project,
            )
            if code and code in seen_codes:
                planned.errors.append(
                    self._error(
                        row,
                        "code",
                        _("Duplicate project code “%(code)s”: also on row %(row)s.")
                        % {"code": code, "row": seen_codes[code]},
                    )
                )
            elif code:
                seen_codes[code] = row.number
            values = self._resolve(row, planned, project)
            if project is None:
                self._check_required(row, planned, values)
            self._check_dates(row, planned, values, project)
            plan_changes = self._annual_plan(row, planned, project)
            self._check_completed(row, planned, project)
            if not planned.errors:
                planned.values = values
                planned.changes = [*self._changes(values, project), *plan_changes]
                if project is None:
                    planned.action = Action.CREATE
                else:
                    planned.action = Action.UPDATE if planned.changes else Action.UNCHANGED
            self.plan.rows.append(planned)
        self.plan.people = [
            {"name": person.name, "rows": self.new_people_rows[key]}
            for key, person in self.new_people.items()
        ]

    def _error(self, row: Row, key: str, reason: str) -> CellError:
        return CellError(row.number, self.sheet.where(key), reason)

    def _resolve(self, row: Row, planned: PlannedRow, project: Project | None) -> dict[str, Any]:
        """The values to give the project, as model values, for the columns present."""
        values: dict[str, Any] = {}
        for column in self.present:
            if column.key not in row.values:
                continue  # unreadable: an error is recorded already
            value = row.values[column.key]
            if column.type == Type.CHOICE:
                if value is None:
                    value = CHOICE_DEFAULTS[column.key] if project is None else None
                if value is None:
                    continue  # empty: unchanged
            elif column.type in {Type.PARK, Type.SECTOR, Type.PERSON}:
                value = self._reference(row, planned, column.key, column.type, value, project)
                if value is None:
                    continue
            elif column.type == Type.TEXT and value is None:
                value = ""
            values[column.key] = value
        return values

    def _reference(
        self,
        row: Row,
        planned: PlannedRow,
        key: str,
        kind: Type,
        text: str,
        project: Project | None,
    ) -> Any:
        if kind == Type.PARK:
            found = self.parks.find(text)
            unknown = _(
                "Unknown park or carrier “%(value)s”; parks are kept in the administration."
            )
        elif kind == Type.SECTOR:
            found = self.sectors.find(text)
            unknown = _("Unknown sector “%(value)s”; sectors are kept in the administration.")
        else:
            found = self.people.find(text)
            unknown = _("Unknown responsible person “%(value)s”: no active user by that name.")
            current = project.responsible_person if project else None
            if current is not None and current in found:
                return current  # the name is ambiguous, but it is the current one's
            if not found:
                return self._new_person(row, planned, key, text, unknown)
        if len(found) == 1:
            return found[0]
        if not found:
            planned.errors.append(self._error(row, key, unknown % {"value": text}))
        else:
            planned.errors.append(
                self._error(
                    row,
                    key,
                    _("“%(value)s” names several users; write the user name instead.")
                    % {"value": text},
                )
            )
        return None

    def _new_person(
        self, row: Row, planned: PlannedRow, key: str, text: str, unknown: str
    ) -> NewPerson | None:
        """A name no active user goes by: a person to create, named once in the row."""
        name = normal(text)
        if self.inactive_people.find(name):
            planned.errors.append(
                self._error(
                    row,
                    key,
                    _(
                        "“%(value)s” is a deactivated user: reactivate them in the "
                        "administration, or name someone else."
                    )
                    % {"value": name},
                )
            )
            return None
        if SEVERAL_PEOPLE.search(name) or len(name) > self.full_name_limit:
            planned.errors.append(self._error(row, key, unknown % {"value": text}))
            return None
        person = self.new_people.setdefault(_Lookup.key(name), NewPerson(name))
        self.new_people_rows[_Lookup.key(name)].append(row.number)
        planned.notes.append(
            self._error(
                row,
                key,
                _(
                    "The responsible person “%(value)s” is not a user yet: choose to create "
                    "them when you confirm, or correct the name."
                )
                % {"value": person.name},
            )
        )
        return person

    def _annual_plan(self, row: Row, planned: PlannedRow, project: Project | None) -> list[Change]:
        """The project's plan for the plan year as the row leaves it: each filled plan
        cell replaces the stored value, empty ones keep it. Checked by AnnualPlan.clean()."""
        given = {key: row.values[key] for key in self.plan_keys if row.values.get(key) is not None}
        if not given:
            return []
        current = self.plans.get(project.pk) if project else None
        target = AnnualPlan(year=self.year)
        for key, name in PLAN_FIELDS.items():
            value = given[key] if key in given else getattr(current, name, None)
            setattr(target, name, value)
        months = [getattr(target, progress.planned_month_field(m)) for m in progress.MONTHS]
        if target.planned_investment is None and None not in months:
            target.planned_investment = sum(months, Decimal(0))  # a new plan given by month
        try:
            target.clean()
        except ValidationError as error:
            where = "annual_plan" if "annual_plan" in given else next(iter(given))
            planned.errors.append(self._error(row, where, " ".join(error.messages)))
            return []
        if target.planned_investment is None:
            return []
        changes = []
        for key, name in PLAN_FIELDS.items():
            old, new = getattr(current, name, None), getattr(target, name)
            if old != new:
                changes.append(Change(key, _display(old), _display(new)))
        if changes:
            planned.plan_values = {
                "year": self.year,
                **{name: getattr(target, name) for name in PLAN_FIELDS.values()},
            }
        return changes

    def _check_completed(self, row: Row, planned: PlannedRow, project: Project | None) -> None:
        """Completed investment so far is imported month by month, not here: the column
        must agree with the monthly figures, or the row says it does not."""
        value = row.values.get(CHECKED_KEY)
        if value is None or self.sheet.completed_through is None:
            return
        register = self.completed.get(project.pk, Decimal(0)) if project else Decimal(0)
        if value != register:
            period = progress.ReportingPeriod(*self.sheet.completed_through)
            planned.errors.append(
                self._error(
                    row,
                    CHECKED_KEY,
                    _(
                        "The sheet says %(sheet)s but the monthly figures for %(period)s add up "
                        "to %(register)s (10k yuan). Completed investment is imported month by "
                        "month (the monthly import); this column is only compared."
                    )
                    % {
                        "sheet": _display(value),
                        "period": period.label,
                        "register": _display(register),
                    },
                )
            )

    def _check_required(self, row: Row, planned: PlannedRow, values: dict[str, Any]) -> None:
        """A new project needs every required column; one the sheet has but left empty
        or unreadable is reported by the reading already."""
        for column in REQUIRED_FIELDS:
            if column.key not in values and column.key not in self.sheet.columns:
                planned.errors.append(
                    CellError(
                        row.number,
                        column.zh,
                        _("A new project needs “%(column)s”, and the sheet has no such column.")
                        % {"column": column.zh},
                    )
                )

    def _check_dates(
        self, row: Row, planned: PlannedRow, values: dict[str, Any], project: Project | None
    ) -> None:
        start = values.get("planned_start", project.planned_start if project else None)
        completion = values.get(
            "planned_completion", project.planned_completion if project else None
        )
        if start and completion and completion < start:
            planned.errors.append(
                self._error(
                    row,
                    "planned_completion"
                    if "planned_completion" in self.sheet.columns
                    else "planned_start",
                    _(
                        "The planned completion (%(completion)s) is before the planned start (%(start)s)."
                    )
                    % {"completion": completion.isoformat(), "start": start.isoformat()},
                )
            )

    def _changes(self, values: dict[str, Any], project: Project | None) -> list[Change]:
        changes = []
        for column in self.present:
            if column.key not in values or column.key == "code":
                continue
            new = values[column.key]
            old = getattr(project, column.key) if project else None
            if project is not None and old == new:
                continue
            if column.type == Type.CHOICE:
                shown = [
                    _choice_display(column.key, value) if value else "" for value in (old, new)
                ]
            else:
                shown = [old, new]
            changes.append(Change(column.key, _display(shown[0]), _display(shown[1])))
        return changes


# ---------------------------------------------------------------- monthly investment


class _MonthlyPlanner:
    def __init__(self, sheet: SheetRead, plan: Plan) -> None:
        self.sheet = sheet
        self.plan = plan
        codes = {row.values["code"] for row in sheet.rows if row.values.get("code")}
        self.projects = {
            project.code: project for project in Project.objects.filter(code__in=codes)
        }
        self.figures = {
            (figure.project_id, figure.year, figure.month): figure
            for figure in MonthlyInvestment.objects.filter(project__code__in=codes)
        }
        self.has_note = "note" in sheet.columns
        today = timezone.localdate()
        self.this_month = (today.year, today.month)

    def run(self) -> None:
        seen: dict[tuple, int] = {}
        for row in self.sheet.rows:
            code = row.values.get("code")
            year, month = row.values.get("year"), row.values.get("month")
            project = self.projects.get(code) if code else None
            key = f"{code or '?'} {year}-{month:02d}" if year and month else (code or "")
            planned = PlannedRow(
                row.number,
                key,
                project.name if project else "",
                Action.ERROR,
                errors=list(row.errors),
            )
            where = (
                f"{row.source.letter} · {row.source.label}"
                if row.source
                else self.sheet.where("completed_amount")
            )
            if code and project is None:
                planned.errors.append(
                    CellError(
                        row.number,
                        self.sheet.where("code"),
                        _(
                            "Unknown project code “%(code)s”: import the project in the register first."
                        )
                        % {"code": code},
                    )
                )
            if year and month:
                if (year, month) > self.this_month:
                    planned.errors.append(
                        CellError(
                            row.number,
                            where if row.source else self.sheet.where("month"),
                            _(
                                "%(year)s-%(month)02d has not begun; it has no completed investment yet."
                            )
                            % {"year": year, "month": month},
                        )
                    )
                if code and (code, year, month) in seen:
                    planned.errors.append(
                        CellError(
                            row.number,
                            where,
                            _("Duplicate figure for %(key)s: also on row %(row)s.")
                            % {"key": key, "row": seen[(code, year, month)]},
                        )
                    )
                elif code:
                    seen[(code, year, month)] = row.number
            if not planned.errors and project is not None:
                self._plan_figure(planned, project, row.values)
            self.plan.rows.append(planned)

    def _plan_figure(self, planned: PlannedRow, project: Project, values: dict) -> None:
        year, month = values["year"], values["month"]
        figure = self.figures.get((project.pk, year, month))
        amount = values["completed_amount"]
        note = (values.get("note") or "") if self.has_note else (figure.note if figure else "")
        planned.target = project
        planned.values = {"year": year, "month": month, "completed_amount": amount, "note": note}
        planned.seen_version = figure.version if figure else 0
        old_amount, old_note = (figure.completed_amount, figure.note) if figure else (None, "")
        if figure is None or old_amount != amount:
            planned.changes.append(
                Change("completed_amount", _display(old_amount), _display(amount))
            )
        if note != old_note:
            planned.changes.append(Change("note", _display(old_note), _display(note)))
        if figure is None:
            planned.action = Action.CREATE
        else:
            planned.action = Action.UPDATE if planned.changes else Action.UNCHANGED
