"""The columns of the import templates, and of the exports that must import again.

Header labels are the file format, not the interface: the first header row is Chinese and
the second English whatever the language of the page, and the import recognises either,
and the usual variants in the city's own sheets, whatever the language of the page. What
each column means is explained in the template's notes sheet in the reader's language.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from projects.models import Project


class Type(StrEnum):
    CODE = "code"  # the project code rows match on
    TEXT = "text"
    MONEY = "money"  # 万元, or 亿元 when the header says so
    DATE = "date"
    CHOICE = "choice"  # a model field's choices, by label (either language) or value
    PARK = "park"
    SECTOR = "sector"
    PERSON = "person"
    YEAR = "year"
    MONTH = "month"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    type: Type
    meaning: Promise
    required: bool = False
    # Exported for information; ignored on import (grey in the template).
    read_only: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, str]:
        return self.zh, self.en


MONEY_UNIT_NOTE = _(
    "Amounts in 10k yuan (万元); a header stating 亿元 is converted (×10,000). A unit "
    "written in the cell wins over the header's: 3000万 is 3,000 万元, 0.3亿 is 3,000 万元 "
    "and 5000000元 is 500 万元."
)
MONTH_PLAN_MEANING = _(
    "The monthly plan (分月计划) for that month of the plan's year: all twelve months or "
    "none, adding up to the year's plan (enter 0 for a month with nothing planned). Empty "
    "leaves the month as it is."
)

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "项目编号",
        "Project code",
        Type.CODE,
        _(
            "Unique code of the project. Rows match existing projects on it; a new code creates a project."
        ),
        required=True,
        aliases=("编号", "项目编码", "项目代码"),
    ),
    Column(
        "name",
        "项目名称",
        "Project name",
        Type.TEXT,
        _("Name of the project."),
        required=True,
    ),
    Column(
        "company",
        "建设单位",
        "Company",
        Type.TEXT,
        _("Company or body that builds the project."),
        required=True,
        aliases=("项目单位", "实施主体", "企业名称", "业主单位"),
    ),
    Column(
        "park",
        "园区/载体",
        "Park or carrier",
        Type.PARK,
        _("Park, island or carrier, by its name or code as kept in the administration."),
        required=True,
        aliases=("园区", "载体", "所在园区", "所在载体", "园区或载体"),
    ),
    Column(
        "sector",
        "产业领域",
        "Sector",
        Type.SECTOR,
        _("Sector, by its name or code as kept in the administration."),
        required=True,
        aliases=("产业", "行业", "所属产业", "产业类别"),
    ),
    Column(
        "level",
        "项目级别",
        "Level",
        Type.CHOICE,
        _(
            "省级重点项目, 市级重点项目 or 区级重点项目. Empty: city level for a new project, unchanged otherwise."
        ),
        aliases=("级别",),
    ),
    Column(
        "category",
        "项目类别",
        "Category",
        Type.CHOICE,
        _("工业, 服务业 or 基础设施. Empty: industrial for a new project, unchanged otherwise."),
        aliases=("类别", "项目类型"),
    ),
    Column(
        "status",
        "项目状态",
        "Status",
        Type.CHOICE,
        _(
            "储备, 前期, 在建, 试生产, 竣工/投产 or 停工. Empty: preparation for a new project, unchanged otherwise."
        ),
        aliases=("状态", "建设状态", "进展状态"),
    ),
    Column(
        "total_investment",
        "总投资（万元）",
        "Total investment (10k yuan)",
        Type.MONEY,
        MONEY_UNIT_NOTE,
        required=True,
        aliases=("总投资", "计划总投资", "项目总投资"),
    ),
    Column(
        "planned_start",
        "计划开工",
        "Planned start",
        Type.DATE,
        _(
            "Date, e.g. 2026-03-01, 2026/3/1 or 2026年3月1日; a month alone (2026年3月, "
            "2026-03, 2026.3) means its first day. Empty clears it."
        ),
        aliases=("计划开工日期", "计划开工时间", "开工时间", "开工日期"),
    ),
    Column(
        "planned_completion",
        "计划竣工",
        "Planned completion",
        Type.DATE,
        _(
            "Date, not before the planned start; a month alone (2027年6月, 2027-06, 2027.6) "
            "means its last day. Empty clears it."
        ),
        aliases=("计划竣工日期", "计划竣工时间", "竣工时间", "竣工日期"),
    ),
    Column(
        "responsible_person",
        "责任人",
        "Responsible person",
        Type.PERSON,
        _(
            "A user of this system, by user name or full name. A name that is not a user yet "
            "is shown in the preview, which offers to create the person."
        ),
        required=True,
        aliases=("项目责任人",),
    ),
    Column(
        "location",
        "建设地点",
        "Location",
        Type.TEXT,
        _("Where the project is built. Empty clears it."),
        aliases=("地点", "项目地点"),
    ),
    Column(
        "description",
        "建设内容",
        "Construction content",
        Type.TEXT,
        _("What is built. Empty clears it."),
        aliases=("主要建设内容", "建设规模及内容", "建设内容及规模"),
    ),
    Column(
        "light",
        "预警",
        "Light",
        Type.TEXT,
        _("Warning light when exported. Ignored on import."),
        read_only=True,
    ),
    Column(
        "annual_plan",
        "本年计划投资（万元）",
        "Plan this year (10k yuan)",
        Type.MONEY,
        _(
            "Investment planned for the year the header names (2027年计划投资), or without "
            "a year for the year being entered: this year, and last year in January. Next "
            "year's plans are accepted from December. Empty leaves the plan as it is."
        ),
        aliases=(
            "年度计划投资",
            "本年计划投资",
            "本年度计划投资",
            "年计划投资",
            "计划投资",
            # 计划完成投资: the investment planned to be completed, i.e. the year's plan.
            "计划完成投资",
            "本年计划完成投资",
            "年度计划完成投资",
            "Plan",
        ),
    ),
    *(
        Column(
            f"planned_month_{month}",
            f"{month}月计划（万元）",
            f"Plan month {month} (10k yuan)",
            Type.MONEY,
            MONTH_PLAN_MEANING,
            aliases=(f"{month}月计划投资", f"{month}月份计划", f"{month}月份计划投资"),
        )
        for month in range(1, 13)
    ),
    Column(
        "completed_ytd",
        "本年完成投资（万元）",
        "Completed this year (10k yuan)",
        Type.MONEY,
        _(
            "Written by the export with the months it covers (2026年1–10月完成投资) and "
            "compared with the monthly figures on import; not imported. A column that does "
            "not say which months of which year it covers is refused: completed investment "
            "is imported month by month (the monthly import)."
        ),
        read_only=True,
        aliases=("本年已完成投资", "年度完成投资", "完成投资", "累计完成投资"),
    ),
)
# The plan columns: the year's plan and its monthly plan (AnnualPlan), not the project's.
PLAN_KEYS = ("annual_plan", *(f"planned_month_{month}" for month in range(1, 13)))
# Read to be checked against the register, never written.
CHECKED_KEY = "completed_ytd"
# Dates whose month alone means the month's last day, not its first.
MONTH_END_DATES = frozenset({"planned_completion"})

# Monthly investment, one row per project and month.
MONTHLY_COLUMNS: tuple[Column, ...] = (
    REGISTER_COLUMNS[0],
    Column(
        "name",
        "项目名称",
        "Project name",
        Type.TEXT,
        _("For reading only. Ignored on import."),
        read_only=True,
    ),
    Column(
        "year",
        "年份",
        "Year",
        Type.YEAR,
        _("Year, e.g. 2026."),
        aliases=("年度",),
    ),
    Column(
        "month",
        "月份",
        "Month",
        Type.MONTH,
        _("Month, 1 to 12 (or a year and month such as 2026-03, then the year may be left out)."),
        required=True,
        aliases=("月",),
    ),
    Column(
        "completed_amount",
        "当月完成投资（万元）",
        "Completed this month (10k yuan)",
        Type.MONEY,
        format_lazy(
            "{} {}", _("Investment completed in that month alone, not cumulative."), MONEY_UNIT_NOTE
        ),
        required=True,
        aliases=("完成投资", "月度完成投资", "本月完成投资", "当月完成"),
    ),
    Column(
        "note",
        "备注",
        "Note",
        Type.TEXT,
        _("Optional remark on the month's figure. Without this column, notes are kept."),
        aliases=("说明",),
    ),
)

# Choices not spelled as the labels are, as the city's sheets write them.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "level": {
        "省级": Project.Level.PROVINCIAL,
        "省重点": Project.Level.PROVINCIAL,
        "市级": Project.Level.CITY,
        "市重点": Project.Level.CITY,
        "区级": Project.Level.ZONE,
        "园区级": Project.Level.ZONE,
    },
    "category": {
        "工业项目": Project.Category.INDUSTRIAL,
        "产业": Project.Category.INDUSTRIAL,
        "产业项目": Project.Category.INDUSTRIAL,
        "服务业项目": Project.Category.SERVICE,
        "现代服务业": Project.Category.SERVICE,
        "基础设施项目": Project.Category.INFRASTRUCTURE,
        "基础设施类": Project.Category.INFRASTRUCTURE,
    },
    "status": {
        "竣工": Project.Status.COMPLETED,
        "投产": Project.Status.COMPLETED,
        "已竣工": Project.Status.COMPLETED,
        "已投产": Project.Status.COMPLETED,
        "续建": Project.Status.CONSTRUCTION,
        "新开工": Project.Status.CONSTRUCTION,
        "停建": Project.Status.SUSPENDED,
        "暂停": Project.Status.SUSPENDED,
    },
}

# Rows whose code begins with this are the template's examples, skipped on import.
EXAMPLE_PREFIX = "示例"
NOTES_SHEET = "说明"


def dated_headers(
    column: Column, *, plan_year: int | None = None, through: tuple[int, int] | None = None
) -> tuple[str, str]:
    """The column's Chinese and English headers, naming the plan's year (2026年计划投资,
    2026年3月计划) and the months completed investment covers (2026年1–10月完成投资), as the
    export writes them and the import reads them back."""
    if plan_year and column.key in PLAN_KEYS:
        if column.key == "annual_plan":
            return f"{plan_year}年计划投资（万元）", f"Plan {plan_year} (10k yuan)"
        month = int(column.key.removeprefix("planned_month_"))
        return f"{plan_year}年{month}月计划（万元）", f"Plan {plan_year} month {month} (10k yuan)"
    if through and column.key == CHECKED_KEY:
        year, month = through
        zh, en = ("1月", "month 1") if month == 1 else (f"1–{month}月", f"months 1–{month}")
        return f"{year}年{zh}完成投资（万元）", f"Completed {year} {en} (10k yuan)"
    return column.zh, column.en
