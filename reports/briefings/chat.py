"""A published briefing in a few markdown lines for the work-chat groups (the group
robots, `inspections.robots`): the period, the year's investment against 序时进度, the
red and yellow lights, and the items put to the leaders (提请领导协调), read from the
briefing's frozen snapshot so that the message says what the PDF says."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from hitech_zone.money import format_yi
from reports.briefings import wording


def _percent(value) -> str:
    return "—" if value in (None, "") else f"{value}%"


def _yi(value) -> str:
    try:
        return format_yi(Decimal(value))
    except (InvalidOperation, TypeError):
        return "—"


def _points(value) -> str:
    """The gap to 序时进度 as a leader reads it: '落后 12.0' rather than '-12.0'."""
    try:
        gap = Decimal(value)
    except (InvalidOperation, TypeError):
        return "—"
    if gap < 0:
        return _("%(points)s points behind") % {"points": -gap}
    return _("%(points)s points ahead") % {"points": gap}


def chat_summary(snapshot: dict, *, heading: str) -> str:
    """The message; `heading` names the briefing ("周调度 2026年第48期")."""
    figures = snapshot.get("investment") or snapshot.get("summary") or {}
    pace = figures.get("time_progress_percent", figures.get("elapsed_percent"))
    lights = snapshot.get("light_counts") or {}
    decisions = snapshot.get("decisions") or {}
    items = decisions.get("items") or []
    lines = [
        f"**{snapshot.get('zone', settings.ZONE_NAME)} {heading}**",
        _(
            "Investment completed this year: %(done)s 亿元, %(plan)s of the annual plan, "
            "序时进度 %(pace)s (%(gap)s)."
        )
        % {
            "done": _yi(figures.get("completed_ytd")),
            "plan": _percent(figures.get("plan_percent")),
            "pace": _percent(pace),
            "gap": _points(figures.get("points_vs_pace")),
        },
        _("Red lights: %(red)d; yellow lights: %(yellow)d.")
        % {"red": lights.get("red", 0), "yellow": lights.get("yellow", 0)},
    ]
    if items:
        listed = [_("For the leaders to decide (%(count)d):") % {"count": len(items)}]
        for number, item in enumerate(items, start=1):
            listed.append(
                _("%(number)d. %(project)s: %(ask)s (%(unit)s, by %(day)s)")
                % {
                    "number": number,
                    "project": item["project"]["name"],
                    "ask": wording.decision_ask(item.get("ask")),
                    "unit": item.get("responsible_unit") or "—",
                    "day": item.get("needed_by") or "—",
                }
            )
        if decisions.get("unlisted"):
            listed.append(_("and %(count)d more.") % {"count": decisions["unlisted"]})
        lines.append("\n".join(listed))
    else:
        lines.append(_("Nothing is put to the leaders this time."))
    return "\n\n".join(lines)
