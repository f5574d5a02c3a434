"""The dry run: what importing a sheet would do to the register, row by row.

A plan is built from the sheet as read and the database as it is now, in a fixed number of
queries. Each row is created, updated (with every field's old -> new), unchanged, or in
error. The plan is stored with the import as JSON and shown as the preview; when the user
confirms, the plan is built again and must be the same, or nothing is applied.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone.money import format_wan
from projects.imports.columns import MONTHLY_COLUMNS, REGISTER_COLUMNS, Type
from projects.imports.reading import CellError, Row, SheetRead, normal
from projects.models import MonthlyInvestment, Park, Project, Sector

# Field names in the preview: the file's own column names.
COLUMN_LABELS = {column.key: column.zh for column in (*REGISTER_COLUMNS, *MONTHLY_COLUMNS)}


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
    # The version of the record the plan was made against (0: no record yet).
    seen_version: int = 0
    # What to apply, as Python values; not stored.
    target: Any = None
    values: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "key": self.key,
            "title": self.title,
            "action": self.action,
            "changes": [vars(change) for change in self.changes],
            "errors": [error.as_dict() for error in self.errors],
            "seen_version": self.seen_version,
        }


@dataclass
class Plan:
    kind: str
    layout: str
    rows: list[PlannedRow]
    errors: list[CellError]  # errors of the sheet as a whole
    examples_skipped: int = 0

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
        }


def build(sheet: SheetRead) -> Plan:
    plan = Plan(sheet.kind, sheet.layout, [], list(sheet.errors), sheet.examples_skipped)
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


def _choice_display(field_name: str, value: str) -> str:
    return str(dict(Project._meta.get_field(field_name).flatchoices).get(value, value))


class _Lookup:
    """Reference data by every name it goes by (code, name; user name, full name)."""

    def __init__(self, entries, keys) -> None:
        self.by_key: dict[str, list] = defaultdict(list)
        for entry in entries:
            for key in {normal(key).lower() for key in keys(entry) if key}:
                self.by_key[key].append(entry)

    def find(self, text: str) -> list:
        return self.by_key.get(normal(text).lower(), [])


# ---------------------------------------------------------------- the register

REGISTER_FIELDS = [column for column in REGISTER_COLUMNS if not column.read_only]
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
        self.people = _Lookup(
            get_user_model().objects.filter(is_active=True),
            lambda user: (user.username, user.full_name),
        )
        self.present = [column for column in REGISTER_FIELDS if column.key in sheet.columns]

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
            if not planned.errors:
                planned.values = values
                planned.changes = self._changes(values, project)
                if project is None:
                    planned.action = Action.CREATE
                else:
                    planned.action = Action.UPDATE if planned.changes else Action.UNCHANGED
            self.plan.rows.append(planned)

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
