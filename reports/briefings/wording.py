"""The words for the codes a snapshot stores, chosen in the language active when the
briefing is rendered."""

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
