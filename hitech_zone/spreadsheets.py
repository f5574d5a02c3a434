"""Writing spreadsheets: .xlsx with typed cells and CSV that Excel opens in Chinese.

Every export goes through here, so every one is held to the same rules:

- numbers stay numbers and dates stay dates (xlsx cell types; ISO text in CSV);
- text that Excel would run as a formula (it begins with = + - @, a tab or a carriage
  return) is neutralised with a leading apostrophe; numbers are never touched, so a
  negative amount is still a number;
- CSV is UTF-8 with a byte-order mark, which is what tells Excel it is not GBK;
- every download is recorded in the audit log (`download` needs the request for that).
"""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hitech_zone import audit

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The mark a neutralised cell carries; the import takes it off again (see projects.imports).
NEUTRALISING_PREFIX = "'"
HEADER_FONT = Font(bold=True)
SECOND_HEADER_FONT = Font(italic=True, color="555555")
MUTED_FILL = PatternFill("solid", fgColor="EEEEEE")


def neutralise(value: str) -> str:
    """Text that would start a formula in Excel, made inert: "=1+2" -> "'=1+2"."""
    return f"{NEUTRALISING_PREFIX}{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _local(moment: datetime) -> datetime:
    # Excel has no time zones: the time as read in the zone, without an offset.
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.replace(tzinfo=None, microsecond=0)


def xlsx_value(value: Any) -> Any:
    """A value as an xlsx cell: numbers and dates typed, everything else safe text."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, date):
        return value
    return neutralise(str(value))


def csv_value(value: Any) -> str:
    """A value as CSV text: ISO dates, plain numbers, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return _local(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


@dataclass(frozen=True)
class Sheet:
    """One table: its header rows (the first in bold), its rows, and presentation hints."""

    title: str
    header_rows: Sequence[Sequence[Any]]
    rows: Iterable[Sequence[Any]]
    # Column widths by 0-based index, and 0-based indexes of columns shown greyed out
    # (read-only columns of an import template).
    widths: Mapping[int, float] = field(default_factory=dict)
    muted_columns: frozenset[int] = frozenset()
    wrap_columns: frozenset[int] = frozenset()
    freeze_header: bool = True


def _styled(sheet, value: Any, *, font: Font | None = None, fill=None, wrap=False):
    cell = WriteOnlyCell(sheet, value=xlsx_value(value))
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def xlsx_bytes(*sheets: Sheet) -> bytes:
    workbook = Workbook(write_only=True)
    for table in sheets:
        sheet = workbook.create_sheet(table.title)
        for index, width in table.widths.items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        if table.freeze_header and table.header_rows:
            sheet.freeze_panes = f"A{len(table.header_rows) + 1}"
        for number, header in enumerate(table.header_rows):
            font = HEADER_FONT if number == 0 else SECOND_HEADER_FONT
            sheet.append(
                [
                    _styled(
                        sheet,
                        text,
                        font=font,
                        fill=MUTED_FILL if index in table.muted_columns else None,
                    )
                    for index, text in enumerate(header)
                ]
            )
        for row in table.rows:
            if table.wrap_columns:
                sheet.append(
                    [
                        _styled(sheet, value, wrap=True)
                        if index in table.wrap_columns
                        else xlsx_value(value)
                        for index, value in enumerate(row)
                    ]
                )
            else:
                sheet.append([xlsx_value(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(table: Sheet) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for header in table.header_rows:
        writer.writerow([csv_value(text) for text in header])
    for row in table.rows:
        writer.writerow([csv_value(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def attachment(content: bytes, *, filename: str, fmt: str) -> HttpResponse:
    """A download of ready-made bytes; `filename` (ASCII) without its extension."""
    content_type = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}[fmt]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class _Counted:
    """Rows passed through, counted as they are written."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def download(
    table: Sheet | Sequence[Sheet], *, request: HttpRequest, filename: str, fmt: str
) -> HttpResponse:
    """An export as a download: `fmt` "xlsx" (every sheet) or "csv" (the first sheet).

    Every export is recorded in the audit log: by whom, which one (the URL, with its
    filters), the file and how many rows it holds."""
    if fmt not in {"csv", "xlsx"}:
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    sheets = [table] if isinstance(table, Sheet) else list(table)
    if fmt == "csv":
        sheets = sheets[:1]
    counters = [_Counted(sheet.rows) for sheet in sheets]
    sheets = [replace(sheet, rows=counter) for sheet, counter in zip(sheets, counters, strict=True)]
    content = csv_bytes(sheets[0]) if fmt == "csv" else xlsx_bytes(*sheets)
    match = request.resolver_match
    audit.audit_record(
        request,
        audit.Action.EXPORT,
        detail={
            "export": match.view_name if match else "",
            "file": f"{filename}.{fmt}",
            "rows": sum(counter.count for counter in counters),
        },
    )
    return attachment(content, filename=filename, fmt=fmt)
