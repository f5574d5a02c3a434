"""The monthly briefing's whole register as an .xlsx, for a register too long to print
(more than BRIEFING_REGISTER_PRINT_MAX projects): one row per project and, when the
snapshot has its 问题清单, a second sheet of the open and closed issues.

Built from the stored snapshot alone, like the PDF, through the app's one spreadsheet
writer (hitech_zone.spreadsheets), and with fixed timestamps inside the file, so the
same briefing gives the same bytes whenever it is built."""

import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone.spreadsheets import Sheet, xlsx_bytes
from projects.models import Project
from reports.briefings import wording
from reports.briefings.render import DATE_KEYS, MONEY_KEYS


def _money_header(label: str) -> str:
    return _("%(label)s (万元)") % {"label": label}


def _percent_header(label: str) -> str:
    return _("%(label)s (%%)") % {"label": label}


def _number(value: str | None) -> Decimal | None:
    # Amounts (万元) and percentages are stored as strings: numbers again, to sum and sort.
    return None if value is None else Decimal(value)


def _category_label(code: str | None) -> str:
    if code is None:
        return ""
    return str(dict(Project.Category.choices).get(code, code))


def _memo(label):
    """`label` remembered per code for one sheet: a city's register repeats a handful of
    codes over thousands of rows."""
    memo: dict = {}

    def cached(code):
        if code not in memo:
            memo[code] = label(code)
        return memo[code]

    return cached


def register_sheet(rows: list[dict]) -> Sheet:
    category, status, light = (
        _memo(_category_label),
        _memo(wording.status_label),
        _memo(wording.light_label),
    )
    return Sheet(
        _("Key projects"),
        [
            [
                _("Project code"),
                _("Project name"),
                _("Company"),
                _("Park"),
                _("Category"),
                _("Status"),
                _money_header(_("Total investment")),
                _money_header(_("Annual plan")),
                _money_header(_("Completed this month")),
                _money_header(_("Completed this year")),
                _money_header(_("Due (序时进度)")),
                _percent_header(_("Share of the plan completed")),
                _percent_header(_("序时进度")),
                _("Light"),
                _("Milestones"),
                _("Milestones reached"),
                _("Responsible person"),
                _("Leader in charge"),
            ]
        ],
        [
            [
                row["code"],
                row["name"],
                row.get("company", ""),
                row.get("park", ""),
                category(row.get("category")),
                status(row["status"]),
                _number(row["total_investment"]),
                _number(row["annual_plan"]),
                _number(row["completed_month"]),
                _number(row["completed_ytd"]),
                _number(row["due_ytd"]),
                _number(row["plan_percent"]),
                _number(row["time_progress_percent"]),
                light(row["light"]),
                row.get("milestones"),
                row.get("milestones_reached"),
                row.get("responsible", ""),
                row.get("leader", ""),
            ]
            for row in rows
        ],
        widths={0: 14, 1: 36, 2: 32, 3: 18, 6: 16, 7: 16, 8: 16, 9: 16, 10: 16},
    )


def _issue_headers() -> dict[str, str]:
    # Keys the 问题清单 is known to carry; any other key is headed by its own name.
    return {
        "id": _("Issue no."),
        "project.code": _("Project code"),
        "project.name": _("Project name"),
        "title": _("Issue"),
        "category_name": _("Issue category"),
        "severity": _("Severity"),
        "status": _("Status"),
        "light": _("Light"),
        "department": _("Department"),
        "deadline": _("Deadline"),
        "raised": _("Raised"),
        "closed": _("Closed on"),
        "closed_by": _("Closed by"),
        "workdays_overdue": _("Working days overdue"),
        "workdays_late": _("Working days late"),
        "on_time": _("On time"),
    }


LABELS = {
    "status": wording.issue_status_label,
    "severity": wording.issue_severity_label,
    "light": wording.light_label,
}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _flatten(entry: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    # The category's name says what its code says.
    if "category_name" in flat:
        flat.pop("category", None)
    return flat


def _cell(key: str, value: Any, labels: dict) -> Any:
    leaf = key.rsplit(".", 1)[-1]
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if leaf in labels and isinstance(value, str):
        return labels[leaf](value)
    if isinstance(value, str) and leaf in MONEY_KEYS:
        return Decimal(value)
    if isinstance(value, str) and leaf in DATE_KEYS and ISO_DAY.match(value):
        return date.fromisoformat(value)
    return value


def issue_sheet(issue_list: dict) -> Sheet:
    labels = {key: _memo(label) for key, label in LABELS.items()}
    entries = [(_("Open"), _flatten(e)) for e in issue_list.get("open") or []] + [
        (_("Closed"), _flatten(e)) for e in issue_list.get("closed") or []
    ]
    keys: list[str] = []
    for _state, flat in entries:
        keys += [key for key in flat if key not in keys]
    headers = _issue_headers()
    return Sheet(
        _("Issue list"),
        [[_("Open or closed"), *(headers.get(key, key) for key in keys)]],
        [[state, *(_cell(key, flat.get(key), labels) for key in keys)] for state, flat in entries],
        widths={
            index + 1: 36 for index, key in enumerate(keys) if key in {"title", "project.name"}
        },
    )


def _fixed_stamps(content: bytes, moment: datetime) -> bytes:
    """The workbook with the briefing's moment as its creation time, in its properties
    and on every zip member, instead of the moment it was written."""
    local = timezone.localtime(moment)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    member_time = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, 0)
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + stamp + m.group(3),
                    data,
                )
            member = zipfile.ZipInfo(info.filename, date_time=member_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, data)
    return out.getvalue()


def register_xlsx(snapshot: dict) -> bytes:
    """The register (and the 问题清单, when the snapshot has one) as .xlsx bytes, in the
    active language."""
    sheets = [register_sheet(snapshot.get("projects") or [])]
    if snapshot.get("issue_list"):
        sheets.append(issue_sheet(snapshot["issue_list"]))
    return _fixed_stamps(xlsx_bytes(*sheets), datetime.fromisoformat(snapshot["as_of"]))
