"""The words for the codes a snapshot stores, chosen in the language active when the
briefing is rendered."""

from django.utils.translation import gettext as _

from inspections.models import Issue
from projects.lights import Light
from projects.models import Project
from reports.models import Alert

try:  # The alert texts of the slip-detection module, once it is there.
    from reports.alerts import alert_message
except ImportError:  # pragma: no cover - depends on the module being present
    alert_message = None


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


# Keys of Alert.detail that name what the alert is about, and that count how bad it is.
_SUBJECT_KEYS = ("milestone", "milestone_name", "issue", "issue_title", "title", "name")
_DAY_KEYS = ("slip_days", "days_late", "days_overdue", "days")
_POINT_KEYS = ("points_behind", "points")


def alert_text(entry: dict) -> str:
    """What an alert of a snapshot says, from its kind and the facts in its detail."""
    if alert_message is not None:
        alert = Alert(
            project=Project(code=entry["project"]["code"], name=entry["project"]["name"]),
            kind=entry["kind"],
            subject_key=entry.get("subject", ""),
            severity=entry["severity"],
            detail=entry.get("detail") or {},
        )
        return str(alert_message(alert))
    return _fallback_text(entry["kind"], entry.get("detail") or {})


def _fallback_text(kind: str, detail: dict) -> str:
    text = alert_kind_label(kind)
    subject = next((detail[k] for k in _SUBJECT_KEYS if isinstance(detail.get(k), str)), "")
    if subject:
        text = _("%(kind)s: %(subject)s") % {"kind": text, "subject": subject}
    days = next((detail[k] for k in _DAY_KEYS if isinstance(detail.get(k), int)), None)
    points = next((detail[k] for k in _POINT_KEYS if detail.get(k) not in (None, "")), None)
    if days:
        text = _("%(text)s (%(days)s days)") % {"text": text, "days": days}
    elif points:
        text = _("%(text)s (%(points)s points)") % {"text": text, "points": points}
    return text
