"""What differs between two snapshots of the same briefing, in words, for the notice on a
re-issued version: "Completed this year: 41.2 → 41.6 亿元", "正力新能 light: Yellow → Red"."""

from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext as _

from hitech_zone.money import format_wan, format_yi
from hitech_zone.templatetags.money import wan, yi
from reports.briefings import wording


def _arrow(label: str, before: str, after: str) -> str:
    return _("%(label)s: %(before)s → %(after)s") % {
        "label": label,
        "before": before,
        "after": after,
    }


def _yi_change(label: str, before: str | None, after: str | None) -> str:
    return _arrow(label, format_yi(Decimal(before or 0)), yi(Decimal(after or 0)))


def _wan_change(label: str, before: str | None, after: str | None) -> str:
    return _arrow(label, format_wan(Decimal(before or 0)), wan(Decimal(after or 0)))


def _percent(value: str | None) -> str:
    return "—" if value is None else f"{value}%"


def snapshot_changes(previous: dict, current: dict) -> list[str]:
    """Human-readable differences from `previous` to `current`, most important first."""
    changes: list[str] = []
    changes += _summary_changes(previous.get("summary") or {}, current.get("summary") or {})
    changes += _light_count_changes(previous, current)
    changes += _project_changes(previous.get("projects") or [], current.get("projects") or [])
    changes += _figure_changes(previous.get("figures") or {}, current.get("figures") or {})
    for key, label, describe in LISTS:
        changes += _list_changes(label(), previous.get(key) or [], current.get(key) or [], describe)
    changes += _issue_rate_changes(
        previous.get("issues_by_category") or {}, current.get("issues_by_category") or {}
    )
    before_visits = (previous.get("visits") or {}).get("count")
    after_visits = (current.get("visits") or {}).get("count")
    if before_visits != after_visits:
        changes.append(_arrow(_("Site visits"), str(before_visits), str(after_visits)))
    return changes


def _summary_changes(before: dict, after: dict) -> list[str]:
    changes = []
    if before.get("project_count") != after.get("project_count"):
        changes.append(
            _arrow(
                _("Number of key projects"),
                str(before.get("project_count")),
                str(after.get("project_count")),
            )
        )
    amounts = [
        ("total_investment", _("Total investment")),
        ("annual_plan", _("Planned for the year")),
        ("completed_month", _("Total completed this month")),
        ("completed_ytd", _("Total completed this year")),
        ("industrial_ytd", _("Industrial investment this year")),
    ]
    for key, label in amounts:
        if before.get(key) != after.get(key):
            changes.append(_yi_change(label, before.get(key), after.get(key)))
    if before.get("plan_percent") != after.get("plan_percent"):
        changes.append(
            _arrow(
                _("Share of the year's plan"),
                _percent(before.get("plan_percent")),
                _percent(after.get("plan_percent")),
            )
        )
    return changes


def _light_count_changes(previous: dict, current: dict) -> list[str]:
    before = previous.get("light_counts") or {}
    after = current.get("light_counts") or {}
    return [
        _arrow(
            _("Projects with a %(light)s light") % {"light": wording.light_label(light)},
            str(before.get(light, 0)),
            str(after.get(light, 0)),
        )
        for light in ("red", "yellow", "green")
        if before.get(light, 0) != after.get(light, 0)
    ]


def _project_changes(before_rows: list[dict], after_rows: list[dict]) -> list[str]:
    before = {row["code"]: row for row in before_rows}
    after = {row["code"]: row for row in after_rows}
    changes = []
    for code in sorted(before.keys() | after.keys()):
        old, new = before.get(code), after.get(code)
        if old is None:
            changes.append(_("Project added: %(name)s") % {"name": new["name"]})
            continue
        if new is None:
            changes.append(_("Project removed: %(name)s") % {"name": old["name"]})
            continue
        name = new["name"]
        if old["status"] != new["status"]:
            changes.append(
                _arrow(
                    _("%(project)s status") % {"project": name},
                    wording.status_label(old["status"]),
                    wording.status_label(new["status"]),
                )
            )
        if old["light"] != new["light"]:
            changes.append(
                _arrow(
                    _("%(project)s light") % {"project": name},
                    wording.light_label(old["light"]),
                    wording.light_label(new["light"]),
                )
            )
        amounts = [
            ("total_investment", _("%(project)s total investment")),
            ("annual_plan", _("%(project)s plan for the year")),
            ("completed_month", _("%(project)s completed this month")),
            ("completed_ytd", _("%(project)s completed this year")),
        ]
        for key, label in amounts:
            if old.get(key) != new.get(key):
                changes.append(_wan_change(label % {"project": name}, old.get(key), new.get(key)))
    return changes


def _figure_changes(before: dict, after: dict) -> list[str]:
    labels = {
        "alerts_new": _("New warnings"),
        "alerts_resolved": _("Warnings cleared"),
        "milestones_reached": _("Milestones reached"),
        "milestones_missed": _("Milestones missed"),
        "issues_raised": _("Issues raised"),
        "issues_closed": _("Issues closed"),
        "issues_overdue": _("Overdue issues"),
        "issues_open": _("Open issues"),
    }
    return [
        _arrow(label, str(before.get(key, 0)), str(after.get(key, 0)))
        for key, label in labels.items()
        if before.get(key, 0) != after.get(key, 0)
    ]


def _issue_rate_changes(before: dict, after: dict) -> list[str]:
    if not before and not after:
        return []
    changes = []
    if before.get("raised") != after.get("raised"):
        changes.append(
            _arrow(
                _("Problems raised this year"), str(before.get("raised")), str(after.get("raised"))
            )
        )
    if before.get("closure_rate") != after.get("closure_rate"):
        changes.append(
            _arrow(
                _("Closure rate"),
                _percent(before.get("closure_rate")),
                _percent(after.get("closure_rate")),
            )
        )
    return changes


# ---------------------------------------------------------------- lists of events


def _project_name(entry: dict) -> str:
    return entry["project"]["name"]


def _describe_status(entry: dict) -> str:
    return _("%(project)s: %(before)s → %(after)s") % {
        "project": _project_name(entry),
        "before": wording.status_label(entry["from"]),
        "after": wording.status_label(entry["to"]),
    }


def _describe_milestone(entry: dict) -> str:
    return f"{_project_name(entry)} · {entry['milestone']}"


def _describe_issue(entry: dict) -> str:
    return f"{_project_name(entry)} · {entry['title']}"


def _describe_alert(entry: dict) -> str:
    return f"{_project_name(entry)} · {wording.alert_text(entry)}"


LISTS: list[tuple[str, Callable[[], str], Callable[[dict], str]]] = [
    ("escalated", lambda: _("Escalated to the leaders"), _describe_alert),
    ("status_changes", lambda: _("Status changes"), _describe_status),
    ("milestones_reached", lambda: _("Milestones reached"), _describe_milestone),
    ("milestones_missed", lambda: _("Milestones missed"), _describe_milestone),
    ("alerts_new", lambda: _("New warnings"), _describe_alert),
    ("alerts_resolved", lambda: _("Warnings cleared"), _describe_alert),
    ("issues_raised", lambda: _("Issues raised"), _describe_issue),
    ("issues_closed", lambda: _("Issues closed"), _describe_issue),
    ("issues_overdue", lambda: _("Overdue issues"), _describe_issue),
]


def _list_changes(
    label: str, before: list[dict], after: list[dict], describe: Callable[[dict], str]
) -> list[str]:
    old = [describe(entry) for entry in before]
    new = [describe(entry) for entry in after]
    added = [text for text in new if text not in old]
    removed = [text for text in old if text not in new]
    return [
        *(_("%(list)s, added: %(item)s") % {"list": label, "item": text} for text in added),
        *(_("%(list)s, removed: %(item)s") % {"list": label, "item": text} for text in removed),
    ]
