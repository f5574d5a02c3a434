"""The template workbooks officials download, fill in and upload: the project register
(with the year's plan and monthly plan), and monthly completed investment in either layout
(one row per project and month, or one column per month). Chinese headers with the English
name in a second header row, two example rows (skipped on import) and a notes sheet (说明)
explaining every column, the export's read-only ones included."""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet, xlsx_bytes
from projects.imports.columns import (
    EXAMPLE_PREFIX,
    MONEY_UNIT_NOTE,
    MONTHLY_COLUMNS,
    NOTES_SHEET,
    REGISTER_COLUMNS,
    Column,
    dated_headers,
)
from projects.models import Park, Sector

TEMPLATE_NAMES = ("register", "monthly", "monthly-wide")
REGISTER_SHEET = "重点项目"
MONTHLY_SHEET = "月度完成投资"


# The register template: the columns an import reads (the export adds the read-only ones).
REGISTER_TEMPLATE_COLUMNS = tuple(column for column in REGISTER_COLUMNS if not column.read_only)


def header_rows(
    columns: tuple[Column, ...],
    *,
    plan_year: int | None = None,
    through: tuple[int, int] | None = None,
) -> list[list[str]]:
    headers = [dated_headers(column, plan_year=plan_year, through=through) for column in columns]
    return [[zh for zh, _en in headers], [en for _zh, en in headers]]


def muted(columns: tuple[Column, ...]) -> frozenset[int]:
    return frozenset(index for index, column in enumerate(columns) if column.read_only)


def template_workbook(name: str, *, user, today: date) -> bytes:
    if name == "register":
        return _register(user=user)
    if name == "monthly":
        return _monthly_rows(today=today)
    if name == "monthly-wide":
        return _monthly_columns(today=today)
    raise ValueError(name)


def _register(*, user) -> bytes:
    park = Park.objects.order_by("sort_order", "name").first()
    sector = Sector.objects.order_by("sort_order", "name").first()
    person = str(user)
    examples = [
        {
            "code": f"{EXAMPLE_PREFIX}1",
            "name": "江苏正力新能电芯项目",
            "company": "江苏正力新能电池技术有限公司",
            "park": park.name if park else "人工智能产业园",
            "sector": sector.name if sector else "新能源",
            "level": "市级重点项目",
            "category": "工业",
            "status": "在建",
            "total_investment": Decimal("100000"),
            "planned_start": date(2026, 2, 24),
            "planned_completion": date(2027, 6, 30),
            "responsible_person": person,
            "location": "常熟高新区",
            "description": "电芯生产线",
            # A monthly plan: twelve months adding up to the year's plan.
            "annual_plan": Decimal("30000"),
            **{f"planned_month_{month}": Decimal("2500") for month in range(1, 13)},
        },
        {
            "code": f"{EXAMPLE_PREFIX}2",
            "name": "重塑能源科技项目",
            "company": "江苏重塑能源科技有限公司",
            "park": park.name if park else "氢能源汽车产业园",
            "sector": sector.name if sector else "氢能源汽车",
            "level": "市级重点项目",
            "category": "工业",
            "status": "试生产",
            # Units written in the cell, and months alone for dates.
            "total_investment": "20亿元",
            "planned_start": "2025年3月",
            "planned_completion": "2027-12",
            "responsible_person": person,
            "location": "",
            "description": "一期：年产2万套燃料电池动力系统",
            "annual_plan": "5000万",
        },
    ]
    columns = REGISTER_TEMPLATE_COLUMNS
    sheet = Sheet(
        REGISTER_SHEET,
        header_rows(columns),
        [[example.get(column.key) for column in columns] for example in examples],
        widths={1: 30, 2: 30, 3: 18, 4: 14, 8: 16, 11: 12, 13: 36, 14: 16},
        muted_columns=muted(columns),
    )
    return xlsx_bytes(sheet, _notes(REGISTER_COLUMNS, _register_notes()))


def _monthly_rows(*, today: date) -> bytes:
    examples = [
        [f"{EXAMPLE_PREFIX}1", "江苏正力新能电芯项目", today.year, 1, Decimal("800"), ""],
        [f"{EXAMPLE_PREFIX}1", "江苏正力新能电芯项目", today.year, 2, "1,200", "复工后赶工"],
    ]
    sheet = Sheet(
        MONTHLY_SHEET,
        header_rows(MONTHLY_COLUMNS),
        examples,
        widths={1: 30, 4: 18, 5: 30},
        muted_columns=muted(MONTHLY_COLUMNS),
    )
    return xlsx_bytes(sheet, _notes(MONTHLY_COLUMNS, _monthly_notes()))


def _monthly_columns(*, today: date) -> bytes:
    code, name = MONTHLY_COLUMNS[0], MONTHLY_COLUMNS[1]
    months = range(1, 13)
    headers = [
        [code.zh, name.zh, *(f"{today.year}年{month}月" for month in months)],
        [code.en, name.en, *(f"{today.year}-{month:02d}" for month in months)],
    ]
    examples = [[f"{EXAMPLE_PREFIX}1", "江苏正力新能电芯项目", Decimal("800"), Decimal("1200")]]
    sheet = Sheet(MONTHLY_SHEET, headers, examples, widths={1: 30}, muted_columns=frozenset({1}))
    notes = [
        _("One column per month, headed 2026年3月 or 2026-03; amounts in 10k yuan (万元)."),
        _("An empty month cell leaves that month's figure as it is."),
        *_monthly_notes(),
    ]
    return xlsx_bytes(sheet, _notes(MONTHLY_COLUMNS[:2], notes))


def _register_notes() -> list[str]:
    return [
        _(
            "Rows match existing projects on the project code: a known code updates the "
            "project, a new code creates one. Importing the same file again changes nothing."
        ),
        _("Grey columns are filled in by the export and ignored on import."),
        _(
            "Plans are for the year the plan columns' headers name (2027年计划投资, "
            "2027年1月计划); without a year, for the year being entered: this year, and last "
            "year in January. Next year's plans are accepted from December. An empty plan "
            "cell leaves what is stored."
        ),
        _(
            "A responsible person who is not a user yet is named in the preview, which "
            "offers to create them; the rest of the file is previewed as usual."
        ),
    ]


def _monthly_notes() -> list[str]:
    return [
        _("Investment completed in each month alone, not cumulative."),
        _(
            "The other monthly template, one column per month (or one row per project and "
            "month), is accepted as well."
        ),
    ]


def _notes(columns: tuple[Column, ...], notes: list[str]) -> Sheet:
    general = [
        _(
            "Fill in the first sheet below its two header rows (Chinese, then English); keep "
            "the headers. Title rows above them are allowed."
        ),
        _("Rows whose project code begins with 示例 are examples and are skipped."),
        str(MONEY_UNIT_NOTE),
        *notes,
        _(
            "Upload the file on the import page: every change is shown before anything is "
            "written, and nothing is written until you confirm."
        ),
    ]
    rows: list[list] = [
        [column.zh, column.en, _("yes") if column.required else "", str(column.meaning)]
        for column in columns
    ]
    rows.append([])
    rows.extend([text] for text in general)
    return Sheet(
        NOTES_SHEET,
        [[_("Column"), _("Column (English)"), _("Required"), _("Meaning")]],
        rows,
        widths={0: 22, 1: 30, 2: 8, 3: 80},
        wrap_columns=frozenset({3}),
    )
