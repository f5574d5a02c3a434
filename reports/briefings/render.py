"""A briefing's snapshot rendered: an HTML page (a preview in the browser, or the source of
the PDF) and an A4 PDF. The templates read only what is prepared here from the snapshot,
never the database, so a briefing renders the same whenever it is rendered."""

import base64
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone.money import format_wan, format_yi, rounding_shows
from hitech_zone.templatetags.money import yi
from hitech_zone.templatetags.typography import nowrap
from inspections import workdays
from projects import progress
from reports import charts
from reports.briefings import rounds, wording
from reports.briefings.common import SEVERITY_RANK
from reports.pdf import html_to_pdf
from reports.periods import MONTHLY, WEEKLY, Period

TEMPLATES = {
    WEEKLY: "reports/briefings/weekly.html",
    MONTHLY: "reports/briefings/monthly.html",
}

# Keys whose values the snapshot stores as strings, turned back into what they are.
MONEY_KEYS = frozenset(
    {
        "total_investment",
        "annual_plan",
        "completed_month",
        "completed_ytd",
        "due_by_period_end",
        "due_ytd",
        "industrial_ytd",
        "zone_industrial_ytd",
        "planned_investment",
        "industrial_ensure",
        "industrial_strive",
    }
)
PERCENT_KEYS = frozenset(
    {
        "industrial_share",
        "plan_percent",
        "elapsed_percent",
        "points_vs_pace",
        "closure_rate",
        "time_progress_percent",
        "percent",
        "points",
    }
)
DATE_KEYS = frozenset(
    {
        "start",
        "end",
        "baseline",
        "forecast",
        "actual",
        "first_seen",
        "resolved",
        "escalated",
        "raised",
        "closed",
        "deadline",
        "date",
        "at",
        "needed_by",
        "cutoff",
    }
)


@dataclass(frozen=True)
class Money:
    """An amount in 万元, printed as 亿元 in summaries and whole 万元 in tables."""

    value: Decimal

    @property
    def yi(self) -> str:
        """'152.5 亿元' (in English, 'CNY 15.25 billion'), kept on one line."""
        return nowrap(yi(self.value))

    @property
    def yi_number(self) -> str:
        return format_yi(self.value)

    @property
    def wan(self) -> str:
        return format_wan(self.value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def __str__(self) -> str:
        return self.yi


def _typed(value: Any, key: str = "") -> Any:
    """A copy of the snapshot with money, percentages and dates as objects again."""
    if isinstance(value, dict):
        # An alert's detail goes to the alert texts as it was stored.
        return {k: v if k == "detail" else _typed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if value is None or not isinstance(value, str):
        return value
    if key in MONEY_KEYS:
        return Money(Decimal(value))
    if key in PERCENT_KEYS:
        return Decimal(value)
    if key in DATE_KEYS:
        return date.fromisoformat(value)
    return value


def _alerts(entries: list[dict]) -> list[dict]:
    return [
        {
            **entry,
            "text": wording.alert_text(entry),
            "severity_label": wording.light_label(entry["severity"]),
        }
        for entry in entries
    ]


def _issues(entries: list[dict]) -> list[dict]:
    return [
        {
            **entry,
            "status_label": wording.issue_status_label(entry["status"]),
            "severity_label": wording.issue_severity_label(entry["severity"]),
        }
        for entry in entries
    ]


def _light_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [
        (light, wording.light_label(light), counts.get(light, 0))
        for light in ("red", "yellow", "green", "unassessed")
        # Snapshots made before 未到考核期 existed have no such count.
        if light in counts or light != "unassessed"
    ]


# The weekly briefing's lists, each printed up to BRIEFING_LIST_ROWS rows: (name in
# `unlisted`, section holding the list, key of the list in it). Warnings are cut by
# project rows, not by alerts.
WEEKLY_LISTS = (
    *(
        (key, None, key)
        for key in (
            "status_changes",
            "milestones_reached",
            "milestones_missed",
            "issues_raised",
            "issues_closed",
            "issues_overdue",
        )
    ),
    ("alerts_new", None, "warnings_new"),
    ("alerts_resolved", None, "warnings_cleared"),
    ("next_week", "next_week", "milestones"),
)


def _listed(data: dict) -> dict[str, int]:
    """Cut each weekly list to the rows printed (each list is sorted most pressing first);
    return how many rows of each are not printed. The snapshot keeps every row."""
    limit = settings.BRIEFING_LIST_ROWS
    unlisted = {}
    for name, section, key in WEEKLY_LISTS:
        holder = data[section] if section else data
        unlisted[name] = max(len(holder[key]) - limit, 0) if limit else 0
        if unlisted[name]:
            holder[key] = holder[key][:limit]
    return unlisted


def _warning_rows(entries: list[dict], states: dict, day_key: str) -> list[dict]:
    """One row per project, its alerts' texts together, in the snapshot's order (the
    most pressing project first). Snapshots made before the lights were stored show the
    worst alert's colour instead."""
    rows: dict[str, dict] = {}
    for entry in entries:
        code = entry["project"]["code"]
        row = rows.get(code)
        if row is None:
            state = states.get(code) or {}
            row = rows[code] = {
                "project": entry["project"],
                "light": state.get("light"),
                "status": state.get("status"),
                "alerts": [],
            }
        row["alerts"].append(entry)
    for row in rows.values():
        alerts = row["alerts"]
        worst = max(alerts, key=lambda a: SEVERITY_RANK.get(a["severity"], 0))
        row["light"] = row["light"] or worst["severity"]
        row["light_label"] = wording.light_label(row["light"])
        row["status_label"] = wording.status_label(row["status"]) if row["status"] else ""
        row["texts"] = [wording.alert_text(a) for a in alerts]
        row["count"] = len(alerts)
        row["red"] = sum(a["severity"] == "red" for a in alerts)
        row["day"] = min(a[day_key] for a in alerts if a.get(day_key))
    return list(rows.values())


def _investment_strip(investment: dict | None) -> dict | None:
    """The zone's investment through the reporting period when the briefing was made,
    named by that period (snapshots made before the strip have none)."""
    if not investment:
        return None
    period = progress.ReportingPeriod(investment["period"]["year"], investment["period"]["month"])
    points = investment["points_vs_pace"]
    return {
        **investment,
        "label": period.label,
        "year": period.year,
        "ahead": points is not None and points >= 0,
        "points_abs": abs(points) if points is not None else None,
    }


def _weekly_context(raw: dict, data: dict) -> dict:
    states = data.get("project_states") or {}
    data["warnings_new"] = _warning_rows(data["alerts_new"], states, "first_seen")
    data["warnings_cleared"] = _warning_rows(data["alerts_resolved"], states, "resolved")
    # Figures older snapshots lack, counted from their lists before these are cut.
    figures = {
        "alerts_new_projects": len(data["warnings_new"]),
        "milestones_next_week": len(data["next_week"]["milestones"]),
        **data["figures"],
    }
    data["unlisted"] = _listed(data)
    for entry in data["milestones_reached"]:
        entry["days_early"] = max(-entry["days_late"], 0)
    for key in ("issues_raised", "issues_closed", "issues_overdue"):
        data[key] = _issues(data[key])
    for entry in data["issues_overdue"]:
        light = (states.get(entry["project"]["code"]) or {}).get("light")
        entry["light"], entry["light_label"] = light, wording.light_label(light) if light else ""
    data["status_changes"] = [
        {
            **change,
            "from_label": wording.status_label(change["from"]),
            "to_label": wording.status_label(change["to"]),
        }
        for change in data["status_changes"]
    ]
    cut = min(
        date.fromisoformat(raw["period"]["end"]),
        timezone.localdate(datetime.fromisoformat(raw["as_of"])),
    )
    return {
        "investment": _investment_strip(data.get("investment")),
        "cut_day": cut,
        # Snapshots made before overdue issues were counted in working days say days.
        "overdue_in_workdays": all("workdays_overdue" in e for e in raw["issues_overdue"]),
        "figures": figures,
    }


def _stage_label(code: str) -> str:
    try:
        return str(progress.Stage(code).label)
    except ValueError:
        return code


def _decisions(decisions: dict | None) -> dict | None:
    """The decision items with their words (snapshots made before them have none)."""
    if decisions is None:
        return None
    items = [
        {
            **item,
            "problem": wording.decision_reason(item["reasons"][0]),
            # Two more reasons at most: the 问题清单 and the project brief hold the rest.
            "more": [wording.decision_reason(r) for r in item["reasons"][1:3]],
            "more_unlisted": max(len(item["reasons"]) - 3, 0),
            "ask_text": wording.decision_ask(item["ask"]),
            "light_label": wording.light_label(item["light"]),
        }
        for item in decisions["items"]
    ]
    return {**decisions, "items": items}


# The monthly's printed lists, each cut to its setting (0 prints all): (name in
# `unlisted`, path to the list, setting).
MONTHLY_LISTS = (
    ("behind", ("behind", "projects"), "BRIEFING_MONTHLY_BEHIND_ROWS"),
    ("issues_open", ("issue_list", "open"), "BRIEFING_MONTHLY_OPEN_ISSUE_ROWS"),
    ("issues_closed", ("issue_list", "closed"), "BRIEFING_MONTHLY_CLOSED_ISSUE_ROWS"),
    ("visits", ("visits", "items"), "BRIEFING_MONTHLY_VISIT_ROWS"),
    ("ranking_parks", ("rankings", "parks"), "BRIEFING_MONTHLY_RANKING_ROWS"),
    ("ranking_departments", ("rankings", "departments"), "BRIEFING_MONTHLY_RANKING_ROWS"),
)


def _monthly_listed(data: dict) -> dict[str, int]:
    """Cut each monthly list to what is printed, keeping a ranking's bottom entries (the
    black list) in view; return how many rows of each are not printed."""
    unlisted = {}
    for name, (section, key), setting in MONTHLY_LISTS:
        holder = data.get(section)
        limit = getattr(settings, setting)
        if not holder or key not in holder:
            unlisted[name] = 0
            continue
        rows = holder[key]
        unlisted[name] = max(len(rows) - limit, 0) if limit else 0
        if unlisted[name] and section == "rankings":
            head = limit - limit // 3
            holder[key] = rows[:head] + [None] + rows[len(rows) - (limit - head) :]
        elif unlisted[name]:
            holder[key] = rows[:limit]
    return unlisted


def register_attached(snapshot: dict) -> bool:
    """Whether the briefing comes with its register as an .xlsx instead of printing it."""
    return (
        snapshot.get("kind") == MONTHLY
        and len(snapshot.get("projects") or []) > settings.BRIEFING_REGISTER_PRINT_MAX
    )


def _monthly_context(raw: dict, data: dict) -> dict:
    summary = data["summary"]
    data["unlisted"] = _monthly_listed(data)
    behind = data.get("behind")
    for row in behind["projects"] if behind else []:
        row["light_label"] = wording.light_label(row["light"])
        row["reason"] = wording.behind_reason(row)
    issue_list = data.get("issue_list")
    if issue_list:
        issue_list["open"] = _issues(issue_list["open"])
        issue_list["closed"] = _issues(issue_list["closed"])
    for row in data["projects"]:
        row["status_label"] = wording.status_label(row["status"])
        row["light_label"] = wording.light_label(row["light"])
    stages = data["physical"].get("stages", [])
    for row in stages:
        row["stage_label"] = _stage_label(row["stage"])
    data["physical"]["stages_rounded_apart"] = any(
        rounding_shows([row[key].value for row in stages], summary[key].value)
        for key in ("annual_plan", "completed_ytd")
        if stages
    )
    data["status_rows"] = [
        (status, wording.status_label(status), count)
        for status, count in data["status_counts"].items()
    ]
    period_end = date.fromisoformat(raw["period"]["end"])
    due = summary["due_by_period_end"].value
    built = {
        "plan": charts.plan_chart(
            completed=summary["completed_ytd"].value,
            due=due,
            plan=summary["annual_plan"].value,
            due_label=_("due by %(day)s %(amount)s")
            % {"day": f"{period_end.month}/{period_end.day}", "amount": format_yi(due)},
        ),
        "lights": charts.lights_chart(_light_rows(raw["light_counts"])),
        "parks": charts.parks_chart(
            [(p["name"], p["annual_plan"].value, p["completed_ytd"].value) for p in data["parks"]]
        ),
    }
    target = summary["target"]
    # Against the zone's own figure only (older snapshots have none: no chart).
    if target and summary.get("zone_industrial_ytd"):
        built["industrial"] = charts.industrial_chart(
            completed=summary["zone_industrial_ytd"].value,
            ensure=target["industrial_ensure"].value,
            strive=target["industrial_strive"].value,
        )
    points = summary["points_vs_pace"]
    return {
        "print_register": not register_attached(raw),
        "charts": built,
        "points_abs": abs(points) if points is not None else None,
        "ahead": points is not None and points >= 0,
        # Snapshots made before the monthly round existed have none.
        "round_lines": rounds.round_lines(data.get("round")),
    }


def _css_string(text: str) -> str:
    """A CSS string literal, safe inside a <style> element."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    )
    return f'"{escaped}"'


def _page_counter() -> str:
    """'Page 3 of 12' in the active language, as CSS content with page counters."""
    text = _("Page %(page)s of %(pages)s") % {"page": "\0", "pages": "\1"}
    parts: list[str] = []
    piece = ""
    for char in text:
        if char in "\0\1":
            if piece:
                parts.append(_css_string(piece))
            parts.append("counter(page)" if char == "\0" else "counter(pages)")
            piece = ""
        else:
            piece += char
    if piece:
        parts.append(_css_string(piece))
    return " ".join(parts)


def _context(
    *,
    snapshot: dict,
    generated_at: datetime,
    version: int,
    changes: list[str],
    preview: bool,
    preview_document: bool = False,
) -> dict:
    kind = snapshot["kind"]
    period = Period(
        kind,
        date.fromisoformat(snapshot["period"]["start"]),
        date.fromisoformat(snapshot["period"]["end"]),
    )
    data = _typed(snapshot)
    data["escalated"] = _alerts(data["escalated"])
    _visit_images(data.get("visits"))
    data["decisions"] = _decisions(data.get("decisions"))
    data["light_rows"] = _light_rows(snapshot["light_counts"])
    extra = (_weekly_context if kind == WEEKLY else _monthly_context)(snapshot, data)
    title = (
        _("Key project weekly briefing") if kind == WEEKLY else _("Key project monthly briefing")
    )
    as_of = datetime.fromisoformat(snapshot["as_of"])
    period_label = period.label
    return {
        "s": data,
        "kind": kind,
        "zone": snapshot["zone"],
        "title": title,
        "period_label": period_label,
        "as_of": as_of,
        "generated_at": generated_at,
        "version": version,
        "changes": changes,
        "preview": preview,
        # A briefing of a period not yet over: 预览 across every page.
        "is_preview_document": preview_document,
        "calendar_note": _calendar_note(snapshot, period),
        "running": {
            "head_left": _css_string(f"{snapshot['zone']} · {title}"),
            "head_right": _css_string(period_label),
            "foot_left": _css_string(
                _("Data as of %(as_of)s · generated %(generated)s")
                % {
                    "as_of": _local(as_of),
                    "generated": _local(generated_at),
                }
            ),
            "foot_right": _page_counter(),
        },
        **extra,
    }


def _visit_images(visits: dict | None) -> None:
    """Each visit's stored thumbnails as data: URIs, which WeasyPrint and the browser's
    preview (its CSP allows data: images) both load without a URL to serve them. A file
    gone since prints no image; snapshots from before photos have none."""
    for visit in (visits or {}).get("items", []):
        visit["images"] = [
            {"src": src, "alt": photo.get("name", "")}
            for photo in visit.get("photos") or []
            if (src := _image_data_uri(photo.get("thumbnail") or ""))
        ]


def _image_data_uri(name: str) -> str | None:
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as stored:
            data = stored.read()
    except (OSError, SuspiciousOperation, ValueError):
        return None
    # Thumbnails are always JPEG (inspections.photos).
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _calendar_note(snapshot: dict, period: Period) -> str | None:
    """The footnote when the period falls in a year whose holiday schedule was unknown
    when the briefing was made (snapshots from before this note have no such years)."""
    years = snapshot.get("calendar_uncovered")
    if not years:
        return None
    return workdays.coverage_warning_text(max(period.start, date(years[0], 1, 1)), years)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def html_render(
    *,
    snapshot: dict,
    generated_at: datetime,
    version: int,
    changes: list[str],
    preview: bool,
    csp_nonce: str = "",
    preview_document: bool = False,
) -> str:
    """The briefing as an HTML document: with `preview`, a page for the browser; without,
    the source of the PDF. A page's <style> elements carry the request's `csp_nonce`."""
    context = _context(
        snapshot=snapshot,
        generated_at=generated_at,
        version=version,
        changes=changes,
        preview=preview,
        preview_document=preview_document,
    )
    context["CSP_NONCE"] = csp_nonce
    return render_to_string(TEMPLATES[snapshot["kind"]], context)


def pdf_render(
    *,
    snapshot: dict,
    generated_at: datetime,
    version: int,
    changes: list[str],
    preview_document: bool = False,
) -> bytes:
    """The briefing as an A4 PDF with the shipped Chinese font embedded."""
    html = html_render(
        snapshot=snapshot,
        generated_at=generated_at,
        version=version,
        changes=changes,
        preview=False,
        preview_document=preview_document,
    )
    return html_to_pdf(html)
