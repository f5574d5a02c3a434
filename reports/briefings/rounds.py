"""The monthly round (月报) in the monthly briefing: the round of the briefing's month, with
its 应报 / 已报, 填报率 and 审核率, and the projects that reported late or not at all.

The round is read through its own selectors (`inspections.rounds.selectors`) as the
system actor, as it stands when the briefing is made, like the lights: the figures the
briefing prints count only once accepted, and these lines say how far that has gone."""

from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from hitech_zone import permissions
from hitech_zone.templatetags.typography import cn_day
from inspections.models import ReportingRound
from inspections.rounds import selectors as round_selectors
from reports.briefings.common import project_ref, share
from reports.briefings.reads import Reads

# Names printed on each line of late reporters; the others are counted ("等N个").
LATE_NAMES = 5


def round_section(reads: Reads, calendar) -> dict | None:
    """The round (year, month) of a monthly briefing of that month, or None when it was
    not opened. One query, two more when it was, and one more for the managers of the
    late reporters, if any."""
    period = reads.window.period
    round_ = ReportingRound.objects.filter(year=period.start.year, month=period.start.month).first()
    if round_ is None:
        return None
    user = permissions.SYSTEM
    counts = round_selectors.round_counts(user=user, round_=round_)
    made_on = reads.window.as_of_day
    late = round_selectors.late_reporters(
        user=user, round_=round_, today=made_on, calendar=calendar
    )
    return {
        "year": round_.year,
        "month": round_.month,
        "deadline": round_.deadline.isoformat(),
        "past_deadline": made_on > round_.deadline,
        "total": counts.total,
        "reported": counts.reported,
        "accepted": counts.accepted,
        "reported_rate": share(counts.reported_rate),
        "checked_rate": share(counts.checked_rate),
        # Most working days late first (the selector's order).
        "late": [
            {
                "project": project_ref(row.report.project),
                "person": "、".join(str(manager) for manager in row.managers)
                or reads.people.get(row.report.project.responsible_person_id, ""),
                "workdays_late": row.workdays_late,
                "submitted": row.submitted_late,
            }
            for row in late
        ],
    }


def _names(rows: list[dict]) -> str:
    """The first LATE_NAMES late reporters, then how many in all: 项目A（张三，3个工作日）、
    项目B（李四，1个工作日）等7个."""
    names = [
        ngettext(
            "%(project)s (%(person)s, %(days)s working day)",
            "%(project)s (%(person)s, %(days)s working days)",
            row["workdays_late"],
        )
        % {
            "project": row["project"]["name"],
            "person": row["person"] or "—",
            "days": row["workdays_late"],
        }
        for row in rows[:LATE_NAMES]
    ]
    text = pgettext("list separator", ", ").join(names)
    if len(rows) > LATE_NAMES:
        text = _("%(names)s and others, %(total)s in all") % {"names": text, "total": len(rows)}
    return text


def round_lines(section: dict | None) -> list[str]:
    """The section's lines in the active language, e.g. "11月月报：应报24个，已报22个，
    填报率91.7%，审核率95.5%。", then the projects still not reported after the deadline and
    those that reported late. `deadline` is a date (as the renderer types it) or an ISO
    string."""
    if not section:
        return []
    line = _(
        "Monthly reports for month %(month)s: %(total)s due, %(reported)s reported, "
        "reporting rate %(reported_rate)s%%, checking rate %(checked_rate)s%%."
    ) % {
        "month": section["month"],
        "total": section["total"],
        "reported": section["reported"],
        "reported_rate": section["reported_rate"] or "—",
        "checked_rate": section["checked_rate"] or "—",
    }
    lines = [line]
    if not section["past_deadline"]:
        deadline = section["deadline"]
        if isinstance(deadline, str):
            deadline = date.fromisoformat(deadline)
        lines.append(_("Reports are due on %(day)s.") % {"day": cn_day(deadline)})
    missing = [row for row in section["late"] if not row["submitted"]]
    came_late = [row for row in section["late"] if row["submitted"]]
    if missing:
        lines.append(_("Not reported by the deadline: %(names)s.") % {"names": _names(missing)})
    if came_late:
        lines.append(_("Reported after the deadline: %(names)s.") % {"names": _names(came_late)})
    return lines
