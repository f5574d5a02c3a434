"""The words for the codes a snapshot stores, chosen in the language active when the
briefing is rendered."""

from django.utils.translation import gettext, gettext_lazy, ngettext

from inspections.models import Issue
from projects.lights import Light
from projects.models import Project
from reports.alerts import alert_message
from reports.models import Alert


def _label(choices, code: str | None) -> str:
    if code is None:
        return "—"
    return str(dict(choices.choices).get(code, code))


def status_label(code: str | None) -> str:
    return _label(Project.Status, code)


def light_label(code: str | None) -> str:
    return _label(Light, code)


def issue_status_label(code: str | None) -> str:
    return _label(Issue.Status, code)


def issue_severity_label(code: str | None) -> str:
    return _label(Issue.Severity, code)


def alert_kind_label(code: str | None) -> str:
    return _label(Alert.Kind, code)


def alert_text(entry: dict) -> str:
    """What an alert of a snapshot says: the alert module's own words, from its kind and
    the facts stored with it."""
    alert = Alert(
        project=Project(code=entry["project"]["code"], name=entry["project"]["name"]),
        kind=entry["kind"],
        subject_key=entry.get("subject", ""),
        severity=entry["severity"],
        detail=entry.get("detail") or {},
    )
    return str(alert_message(alert))


# What a decision item asks of the leader, by the code of its most pressing reason: the
# issue's category, the alert's kind, or the project's stop.
ASKS = {
    "suspended": gettext_lazy("Decide how work resumes"),
    Issue.Category.MATERIAL_SUPPLY: gettext_lazy("Coordinate material supply and its transport"),
    Issue.Category.HIRING: gettext_lazy(
        "Help hiring: recruitment fairs and contacts with colleges"
    ),
    Issue.Category.LOGISTICS: gettext_lazy("Coordinate logistics and transport"),
    Issue.Category.APPROVALS: gettext_lazy("Have the approving departments speed up the permits"),
    Issue.Category.FINANCING: gettext_lazy("Coordinate funding: banks, guarantees or zone funds"),
    Issue.Category.LAND: gettext_lazy("Settle the land: quota, acquisition and handover"),
    Issue.Category.UTILITIES: gettext_lazy("Coordinate water, power and gas connections"),
    Issue.Category.EPIDEMIC: gettext_lazy("Coordinate the site's epidemic-control measures"),
    Alert.Kind.MILESTONE_OVERDUE: gettext_lazy(
        "Have the company re-plan its milestones and catch up"
    ),
    Alert.Kind.FORECAST_LATE: gettext_lazy("Have the company re-plan its milestones and catch up"),
    Alert.Kind.PROJECTION_LATE: gettext_lazy(
        "Have the company re-plan its milestones and catch up"
    ),
    Alert.Kind.INVESTMENT_BEHIND: gettext_lazy("Have the company catch up with 序时进度"),
    Alert.Kind.ISSUE_OVERDUE: gettext_lazy("Press the department on its overdue issue"),
    Alert.Kind.STALE: gettext_lazy("Have the project report its progress"),
    Alert.Kind.SUSPENDED: gettext_lazy("Decide how work resumes"),
    Alert.Kind.NOT_IN_STATISTICS: gettext_lazy(
        "Have the statistics bureau and the company complete 入库"
    ),
}


def decision_ask(code: str | None) -> str:
    return str(ASKS.get(code, gettext_lazy("Decide how the zone helps")))


def decision_reason(reason: dict) -> str:
    """One reason of a decision item, in a line."""
    kind = reason["kind"]
    if kind == "suspended":
        return gettext("Work is suspended (停工).")
    if kind in ("critical", "overdue"):
        issue = reason["issue"]
        late = issue.get("workdays_overdue")
        if kind == "critical" and not late:
            return gettext("%(title)s (critical)") % {"title": issue["title"]}
        if kind == "critical":
            return ngettext(
                "%(title)s (critical, %(days)d working day overdue)",
                "%(title)s (critical, %(days)d working days overdue)",
                late,
            ) % {"title": issue["title"], "days": late}
        return ngettext(
            "%(title)s (%(days)d working day overdue)",
            "%(title)s (%(days)d working days overdue)",
            late,
        ) % {"title": issue["title"], "days": late}
    alert = reason["alert"]
    return ngettext(
        "%(text)s (red for %(days)d working day)",
        "%(text)s (red for %(days)d working days)",
        alert["workdays_open"],
    ) % {"text": alert_text(alert), "days": alert["workdays_open"]}


def behind_reason(row: dict) -> str:
    """The one-line reason of a project behind: what holds it back besides its investment
    gap, else the gap itself."""
    if row.get("alert"):
        return alert_text(row["alert"])
    points = row.get("points")
    if points is not None and points < 0:
        return gettext("Investment %(points)s points behind 序时进度.") % {"points": abs(points)}
    return ""
