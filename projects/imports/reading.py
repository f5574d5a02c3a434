"""Reading an uploaded workbook: strict about the file, lenient about its contents.

The file as a whole is checked by what it is, never by its name: a real .xlsx (a zip
holding `[Content_Types].xml` and `xl/workbook.xml`), within the size limits, its members
not expanding past the uncompressed limit (a zip bomb), its rows within the row limit. A
file that fails is refused with a reason and nothing of it is kept.

The sheet inside is read the way people fill sheets in: title rows (merged or not) above
the header, which is found by its labels in the first rows; an English second header row;
trailing empty rows; numbers stored as text; full-width digits and commas; Excel date
serials and dates written as text; 万元 or 亿元 stated in a header. Each value that cannot
be read becomes an error naming its row, its column and the reason.

Nothing in the file is passed over without a word: every header the import does not use
is listed (`SheetRead.ignored`) and named in the preview. In the register, the plan
columns may name their year (2027年计划投资, 2027年1月计划); completed investment so far
is read only where the header says which months it covers (2026年1–10月完成投资, as the
export writes it), to be compared with the monthly figures. A completed-investment column
that does not say which months (本年完成投资) is refused: the import cannot tell what it
means.

XML is parsed by openpyxl in read-only mode through defusedxml (`openpyxl.DEFUSEDXML`),
so entity expansion and external entities are refused.
"""

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

import openpyxl
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from hitech_zone.text import clean_text
from projects.imports.cells import (
    EMPTY_MARKERS,
    CellProblem,
    choice_key,
    choice_table,
    date_value,
    is_empty,
    label_key,
    money_value,
    month_header,
    month_value,
    normal,
    text_value,
    year_value,
)
from projects.imports.columns import (
    CHECKED_KEY,
    EXAMPLE_PREFIX,
    MONTH_END_DATES,
    MONTHLY_COLUMNS,
    NOTES_SHEET,
    PLAN_KEYS,
    REGISTER_COLUMNS,
    Column,
    Type,
)
from projects.models import MonthlyInvestment, Project

logger = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format
REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
HEADER_SEARCH_ROWS = 10
# Columns read per row: a sheet claiming 16,384 columns is not padded to them.
MAX_COLUMNS = 80
# Rows read in all, empty ones included, before the file is taken as too long.
EMPTY_ROW_ALLOWANCE = 10
# A year in a register header (2027年计划投资, Plan 2027), on the header's key.
YEAR_IN_LABEL = re.compile(r"(\d{4})(?:年度|年)?")
# Completed investment of months 1..N of a year, as the export heads it: 2026年1–10月完成投资
# (2026年1月完成投资 for January alone), Completed 2026 months 1–10. 2026年3月完成投资 is
# not one: it may be March alone.
COMPLETED_THROUGH = (
    re.compile(r"^(\d{4})年(?:1[-–—~～至](\d{1,2})|1)月(?:累计)?完成(?:投资)?$"),
    re.compile(r"^completed(\d{4})(?:months1[-–—~](\d{1,2})|month1)$"),
)


class Refused(Exception):
    """The file as a whole is not accepted. The message says why, for the user."""


@dataclass(frozen=True)
class Cell:
    """Where a value sits: its column letter and its header as the file writes it."""

    letter: str
    label: str


@dataclass(frozen=True)
class CellError:
    row: int
    column: str  # "D · 园区/载体", or "" for an error of the whole sheet
    reason: str

    def as_dict(self) -> dict[str, Any]:
        # A reason may quote a cell as written: without its invisible characters.
        return {
            "row": self.row,
            "column": clean_text(self.column),
            "reason": clean_text(self.reason),
        }


@dataclass
class Row:
    number: int  # the row number Excel shows
    values: dict[str, Any]  # column key -> value read, for the columns the file has
    errors: list[CellError] = field(default_factory=list)
    # In the one-column-per-month layout: the month column this entry comes from.
    source: Cell | None = None


@dataclass
class SheetRead:
    kind: str
    layout: str  # "register", "rows" (one row per month) or "columns" (one column per month)
    sheet_name: str
    columns: dict[str, Cell]  # column key -> where it is, for the columns the file has
    rows: list[Row]
    errors: list[CellError]  # errors of the sheet as a whole
    examples_skipped: int = 0
    header_row: int = 1  # the row number of the (first) header row
    # Headers whose column is not imported, and why: {"column": "A · 序号", "reason": ...}.
    ignored: list[dict[str, str]] = field(default_factory=list)
    # The year the plan columns' headers name, if they do.
    plan_year: int | None = None
    # (year, N) of a completed-investment column covering months 1..N of the year.
    completed_through: tuple[int, int] | None = None

    def where(self, key: str) -> str:
        cell = self.columns.get(key)
        return f"{cell.letter} · {cell.label}" if cell else ""


# ---------------------------------------------------------------- the file


def check_size(size: int) -> None:
    if size > settings.IMPORT_MAX_BYTES:
        raise Refused(
            _("The file is %(size)s MB; the largest accepted is %(limit)s MB.")
            % {"size": _megabytes(size), "limit": _megabytes(settings.IMPORT_MAX_BYTES)}
        )


def check_container(content: bytes) -> None:
    """Refuse what is not a workbook, or is one too large: by content, not by name."""
    check_size(len(content))
    if content.startswith(OLE_MAGIC):
        raise Refused(
            _("This is an old-format Excel file (.xls). Save it as .xlsx and upload it again.")
        )
    if not content.startswith(ZIP_MAGIC):
        raise Refused(
            _(
                "This is not an Excel workbook (.xlsx), whatever its name says. Upload an .xlsx file."
            )
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise Refused(_("The file is damaged: it cannot be opened as an .xlsx workbook.")) from None
    names = {member.filename for member in members}
    if not all(name in names for name in REQUIRED_MEMBERS):
        raise Refused(
            _(
                "This is a zip file but not an Excel workbook (.xlsx): it has no workbook inside. "
                "Upload an .xlsx file."
            )
        )
    expanded = sum(member.file_size for member in members)
    if expanded > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise Refused(
            _(
                "The workbook expands to %(size)s MB when opened; the largest accepted is "
                "%(limit)s MB. Remove images or unused sheets, or split the file."
            )
            % {
                "size": _megabytes(expanded),
                "limit": _megabytes(settings.IMPORT_MAX_UNCOMPRESSED_BYTES),
            }
        )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def open_workbook(content: bytes):
    if not openpyxl.DEFUSEDXML:
        raise ImproperlyConfigured(
            "openpyxl is not using defusedxml (is OPENPYXL_DEFUSEDXML set to something other "
            "than True?); uploaded workbooks are not parsed without it."
        )
    return openpyxl.load_workbook(
        io.BytesIO(content), read_only=True, data_only=True, keep_links=False
    )


def read(content: bytes, kind: str) -> SheetRead:
    """Check the file, then read its sheet for `kind` ("register" or "monthly")."""
    check_container(content)
    try:
        workbook = open_workbook(content)
        try:
            return _read_workbook(workbook, kind)
        finally:
            workbook.close()
    except (Refused, ImproperlyConfigured):
        raise
    except Exception as error:  # a hostile or damaged file may fail anywhere in openpyxl
        if _caused_by(error, DefusedXmlException):
            raise Refused(
                _("The workbook contains XML entity declarations, which are not accepted.")
            ) from None
        logger.warning("Unreadable workbook refused", exc_info=True)
        raise Refused(_("The file is damaged: it cannot be read as an .xlsx workbook.")) from None


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether `error` or one it was raised from is a `kind` (openpyxl re-raises the
    parser's errors as its own)."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


# ---------------------------------------------------------------- headers


def _label_index(columns: tuple[Column, ...]) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in columns:
        for label in (column.zh, column.en, *column.aliases):
            index.setdefault(label_key(label)[0], column)
    return index


@dataclass
class _Header:
    position: int  # index of the header row among the rows read
    columns: dict[int, Column]  # 0-based column index -> column
    months: dict[int, tuple[int, int]]  # 0-based column index -> (year, month)
    factors: dict[int, Decimal]  # money unit stated in a header
    labels: dict[int, str]
    # 0-based column index -> the year its header names (plan and completed columns).
    years: dict[int, int] = field(default_factory=dict)
    # (year, N) the completed-investment column covers, None if it does not say.
    through: tuple[int, int] | None = None
    # 0-based column index -> why the column is not used (the other headers).
    unused: dict[int, str] = field(default_factory=dict)


def _dated_column(key: str, index: dict[str, Column]) -> tuple[Column, int] | None:
    """A plan or completed-investment header naming its year: 2027年计划投资,
    2027年1月计划, Plan 2027 (the column, and the year)."""
    match = YEAR_IN_LABEL.search(key)
    if match is None:
        return None
    column = index.get(key[: match.start()] + key[match.end() :])
    if column is None or column.key not in {*PLAN_KEYS, CHECKED_KEY}:
        return None
    return column, int(match[1])


def _completed_through(key: str) -> tuple[int, int] | None:
    for pattern in COMPLETED_THROUGH:
        if match := pattern.match(key):
            return int(match[1]), int(match[2] or 1)
    return None


def _match_header(values: tuple, index: dict[str, Column], kind: str) -> _Header | None:
    header = _Header(0, {}, {}, {}, {})
    completed = next((c for c in index.values() if c.key == CHECKED_KEY), None)
    for position, value in enumerate(values):
        if value is None or str(value).strip() == "":
            continue
        header.labels[position] = " ".join(clean_text(str(value)).split())
        key, factor = label_key(value)
        column, year = index.get(key), None
        if column is None and kind == "register":
            if (dated := _dated_column(key, index)) is not None:
                column, year = dated
            elif "完成投资" in key or _completed_through(key):
                column = completed
        if column is not None and column not in header.columns.values():
            header.columns[position] = column
            if year is not None:
                header.years[position] = year
            if column.key == CHECKED_KEY:
                header.through = _completed_through(key)
        elif kind == "monthly" and (period := month_header(value)) is not None:
            header.months[position] = period
        else:
            header.unused[position] = (
                _("another column for the same field comes before it")
                if column is not None
                else _("not a column this import reads")
            )
            continue
        if factor is not None:
            header.factors[position] = factor
    keys = {column.key for column in header.columns.values()}
    if "code" not in keys:
        return None
    if kind == "register" and len(keys) >= 3:
        return header
    if kind == "monthly" and ("completed_amount" in keys or header.months):
        return header
    return None


def _is_second_header(values: tuple, index: dict[str, Column], kind: str) -> bool:
    """The English (or any second) header row under the first: labels, written as text.
    A first data row with two dates in it (2026-04, a date cell) is data, not a header; a
    month names a column only in the monthly sheet."""
    known = 0
    for value in values:
        if not isinstance(value, str):
            continue
        if label_key(value)[0] in index or (kind == "monthly" and month_header(value)):
            known += 1
    return known >= 2


def _stated_unit(rows: list[tuple]) -> Decimal | None:
    """单位：亿元 written in a title row above the header."""
    for values in rows:
        for value in values:
            if isinstance(value, str) and "单位" in value:
                factor = label_key(value)[1]
                if factor is not None:
                    return factor
    return None


# ---------------------------------------------------------------- the sheet


def _read_workbook(workbook, kind: str) -> SheetRead:
    columns = REGISTER_COLUMNS if kind == "register" else MONTHLY_COLUMNS
    index = _label_index(columns)
    for sheet in workbook.worksheets:
        if sheet.title.strip() == NOTES_SHEET:
            continue
        # The size a sheet states for itself may be wrong either way: read it all, from A1.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS, values_only=True)
        # One more row than searched, in case the header is the last of them and the English
        # header row follows it.
        head = list(islice(rows, HEADER_SEARCH_ROWS + 1))
        for position, values in enumerate(head[:HEADER_SEARCH_ROWS]):
            header = _match_header(values, index, kind)
            if header is not None:
                header.position = position
                return _read_sheet(sheet.title, kind, header, head, rows, index)
    expected = "、".join(column.zh for column in columns if column.required)
    raise Refused(
        _(
            "No header row found: the first %(count)s rows of the sheet should hold the "
            "column names (%(columns)s). Start from the template."
        )
        % {"count": HEADER_SEARCH_ROWS, "columns": expected}
    )


def _read_sheet(
    title: str, kind: str, header: _Header, head: list[tuple], rest: Iterator, index
) -> SheetRead:
    default_factor = _stated_unit(head[: header.position]) or Decimal(1)
    data_start = header.position + 1
    if data_start < len(head) and _is_second_header(head[data_start], index, kind):
        data_start += 1
    located = {
        column.key: Cell(get_column_letter(position + 1), header.labels[position])
        for position, column in header.columns.items()
    }
    layout = "register" if kind == "register" else ("columns" if header.months else "rows")
    result = SheetRead(
        kind=kind,
        layout=layout,
        sheet_name=title,
        columns=located,
        rows=[],
        errors=[],
        header_row=header.position + 1,
    )
    _check_header(result, header)
    if layout == "rows":
        for key in ("year", "month", "completed_amount"):
            if key not in located and not (key == "year" and "month" in located):
                column = next(column for column in MONTHLY_COLUMNS if column.key == key)
                result.errors.append(
                    CellError(
                        header.position + 1,
                        "",
                        _("The column “%(column)s” is missing.") % {"column": column.zh},
                    )
                )
    reader = _RowReader(result, header, default_factor)
    limit = settings.IMPORT_MAX_ROWS
    seen = filled = 0
    # The rows already read while looking for the header, then the rest of the sheet.
    numbered = _chain_numbered(
        enumerate(head[data_start:], start=data_start + 1), rest, len(head) + 1
    )
    for number, values in numbered:
        seen += 1
        if seen > limit * EMPTY_ROW_ALLOWANCE:
            raise _too_many_rows(limit)
        if all(is_empty(value) for value in values):
            continue
        filled += 1
        if filled > limit:
            raise _too_many_rows(limit)
        reader.read(number, values)
    return result


def _check_header(result: SheetRead, header: _Header) -> None:
    """The year the plan columns name (one), the months the completed-investment column
    covers (it must say), and every column not imported, for the preview."""
    row = header.position + 1

    def where(position: int) -> str:
        return f"{get_column_letter(position + 1)} · {header.labels[position]}"

    ignored = dict(header.unused)
    years: dict[int, int] = {}
    plan_year_errors = len(result.errors)
    for position, year in header.years.items():
        if header.columns[position].key == CHECKED_KEY:
            continue
        try:
            years[position] = year_value(year)
        except CellProblem as problem:
            result.errors.append(CellError(row, where(position), str(problem)))
    if len(set(years.values())) > 1:
        result.errors.append(
            CellError(
                row,
                "",
                _(
                    "The plan columns name different years (%(years)s); one sheet holds the "
                    "plans of one year."
                )
                % {"years": "、".join(str(year) for year in sorted(set(years.values())))},
            )
        )
    elif years:
        result.plan_year = next(iter(years.values()))
    if len(result.errors) > plan_year_errors:
        # The sheet's error says it: the plan columns are not read row by row as well.
        for key in PLAN_KEYS:
            result.columns.pop(key, None)
    for position, column in header.columns.items():
        if column.key == CHECKED_KEY:
            through = header.through
            if through is None or not (2000 <= through[0] <= 2100 and 1 <= through[1] <= 12):
                result.errors.append(
                    CellError(
                        row,
                        where(position),
                        _(
                            "The column “%(column)s” does not say which months of which year it "
                            "covers, so it cannot be imported. Completed investment is imported "
                            "month by month (the monthly import): delete this column, or head "
                            "it as the export does, e.g. 2026年1–10月完成投资."
                        )
                        % {"column": header.labels[position]},
                    )
                )
            else:
                result.completed_through = through
                ignored[position] = _("compared with the monthly figures, not imported")
        elif column.read_only:
            ignored[position] = _("for reading only, not imported")
    result.ignored = [
        {"column": where(position), "reason": str(reason)}
        for position, reason in sorted(ignored.items())
    ]


def _chain_numbered(first, rest: Iterator, next_number: int):
    yield from first
    yield from enumerate(rest, start=next_number)


def _too_many_rows(limit: int) -> Refused:
    return Refused(
        _("The sheet has more than %(limit)s rows; split it into several files.")
        % {"limit": f"{limit:,}"}
    )


class _RowReader:
    def __init__(self, result: SheetRead, header: _Header, default_factor: Decimal):
        self.result = result
        self.header = header
        self.default_factor = default_factor
        self.choices = {
            column.key: choice_table(column.key)
            for column in header.columns.values()
            if column.type == Type.CHOICE
        }
        self.text_limits = {
            field.name: field.max_length
            for model in (Project, MonthlyInvestment)
            for field in model._meta.concrete_fields
            if getattr(field, "max_length", None)
        }

    def where(self, position: int) -> str:
        return f"{get_column_letter(position + 1)} · {self.header.labels[position]}"

    def read(self, number: int, values: tuple) -> None:
        header = self.header
        row = Row(number, {})
        failed: set[str] = set()
        code_position = next(p for p, c in header.columns.items() if c.key == "code")
        code = normal(text_value(_at(values, code_position)))
        if code.startswith(EXAMPLE_PREFIX):
            self.result.examples_skipped += 1
            return
        for position, column in header.columns.items():
            if column.read_only and not (
                column.key == CHECKED_KEY and self.result.completed_through
            ):
                continue
            try:
                value = self.convert(column, _at(values, position), position)
            except CellProblem as problem:
                row.errors.append(CellError(number, self.where(position), str(problem)))
                failed.add(column.key)
                continue
            if value is None and column.required:
                row.errors.append(
                    CellError(number, self.where(position), _("A value is required here."))
                )
                failed.add(column.key)
                continue
            row.values[column.key] = value
        if self.result.layout == "rows":
            self._year_from_month(row, failed)
        if self.result.layout != "columns":
            self.result.rows.append(row)
            return
        entries = []
        for position, (year, month) in header.months.items():
            raw = _at(values, position)
            if is_empty(raw) or normal(raw) in EMPTY_MARKERS:
                continue
            try:
                amount = money_value(raw, header.factors.get(position, self.default_factor))
            except CellProblem as problem:
                row.errors.append(CellError(number, self.where(position), str(problem)))
                continue
            entries.append(
                Row(
                    number,
                    {**row.values, "year": year, "month": month, "completed_amount": amount},
                    source=Cell(get_column_letter(position + 1), header.labels[position]),
                )
            )
        if row.errors:
            self.result.rows.append(row)  # its errors; nothing of the row applies
        else:
            self.result.rows.extend(entries)

    def _year_from_month(self, row: Row, failed: set[str]) -> None:
        """The month column may carry the year (2026-03); the year column then may be left
        out or empty."""
        period = row.values.pop("month", None)
        if period is None:
            return
        year, month = period
        row.values["month"] = month
        if row.values.get("year") is None and year is not None:
            row.values["year"] = year
        if row.values.get("year") is None and "year" not in failed:
            row.errors.append(
                CellError(
                    row.number,
                    self.result.where("year") or self.result.where("month"),
                    _("The year is missing."),
                )
            )

    def convert(self, column: Column, raw: Any, position: int) -> Any:
        if column.type in {Type.TEXT, Type.CODE}:
            text = text_value(raw)
            if column.type == Type.CODE:
                text = normal(text)
            limit = self.text_limits.get(column.key)
            if limit and len(text) > limit:
                raise CellProblem(_("Too long: at most %(limit)s characters.") % {"limit": limit})
            return text or None
        if is_empty(raw) or normal(raw) in EMPTY_MARKERS:
            return None
        if column.type == Type.MONEY:
            return money_value(raw, self.header.factors.get(position, self.default_factor))
        if column.type == Type.DATE:
            return date_value(raw, month_end=column.key in MONTH_END_DATES)
        if column.type == Type.YEAR:
            return year_value(raw)
        if column.type == Type.MONTH:
            return month_value(raw)
        if column.type == Type.CHOICE:
            value = self.choices[column.key].get(choice_key(raw))
            if value is None:
                allowed = "、".join(
                    str(label) for _value, label in Project._meta.get_field(column.key).choices
                )
                raise CellProblem(
                    _("Unknown value “%(value)s”; use one of: %(allowed)s.")
                    % {"value": raw, "allowed": allowed}
                )
            return value
        # Parks, sectors and people are looked up against the database by the plan.
        return normal(raw)


def _at(values: tuple, position: int) -> Any:
    return values[position] if position < len(values) else None
