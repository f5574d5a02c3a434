"""提请领导协调: the few items a briefing puts before the leader, first.

A project enters at once when, at the data cut-off, it is stopped (停工), one of its open
issues is critical, or one of its issues waiting on a department is more than
BRIEFING_DECISION_OVERDUE_WORKDAYS working days overdue. Otherwise it enters when one of its
red alerts has reached the escalation rule's briefing step (reports.escalation).

One item per project, its reasons joined, the most pressing project first; at most
BRIEFING_DECISION_ITEMS items, the rest counted. Each item names what is asked of the
leader (from the most pressing reason), the 责任单位 (the department holding that issue,
else the project's park), the 责任人, the 分管领导 and the day by which the answer is needed:
BRIEFING_DECISION_RESPONSE_WORKDAYS working days after the cut-off, or a critical issue's
own deadline when that comes first.

The snapshot stores codes and facts; the words are chosen when it is rendered
(reports.briefings.wording.decision_ask).
"""

from datetime import date

from django.conf import settings
from django.utils import timezone

from inspections import deadlines, workdays
from inspections.models import Issue
from projects.models import Project
from reports.briefings.common import closed_by, issue_entry, project_ref
from reports.briefings.reads import Reads
from reports.models import Alert

# Most pressing first.
SUSPENDED, CRITICAL, OVERDUE, ESCALATED = "suspended", "critical", "overdue", "escalated"
REASON_ORDER = {SUSPENDED: 0, CRITICAL: 1, OVERDUE: 2, ESCALATED: 3}


def cutoff_day(reads: Reads) -> date:
    """The day the figures stop: the period's last day, or the day the briefing is made
    when the period has not ended."""
    return min(reads.window.period.end, reads.window.as_of_day)


def workdays_late(issue: Issue, *, cutoff: date, calendar: workdays.WorkdayCalendar) -> int | None:
    """Working days an issue waiting on its department is overdue at `cutoff`, as the issue
    pages count them on that day (inspections.deadlines); None when not overdue or not
    waiting on the department."""
    if issue.deadline is None or issue.status not in deadlines.RUNNING:
        return None
    return deadlines.workdays_overdue(issue.deadline, today=cutoff, calendar=calendar)


def open_at_cut(issue: Issue, reads: Reads) -> bool:
    return issue.raised_at <= reads.window.cut and not closed_by(issue, reads.window.cut)


def decision_items(
    reads: Reads, lights: dict[int, str], calendar: workdays.WorkdayCalendar
) -> dict:
    cutoff = cutoff_day(reads)
    threshold = settings.BRIEFING_DECISION_OVERDUE_WORKDAYS
    reasons: dict[int, list[dict]] = {}

    def add(project_id: int, reason: dict) -> None:
        reasons.setdefault(project_id, []).append(reason)

    for project in reads.projects.values():
        if project.status == Project.Status.SUSPENDED:
            add(project.id, {"kind": SUSPENDED})
    for issue in reads.issues:
        if issue.project_id not in reads.projects or not open_at_cut(issue, reads):
            continue
        late = workdays_late(issue, cutoff=cutoff, calendar=calendar)
        critical = issue.severity == Issue.Severity.CRITICAL
        if not critical and (late is None or late <= threshold):
            continue
        add(
            issue.project_id,
            {
                "kind": CRITICAL if critical else OVERDUE,
                "issue": {**issue_entry(reads, issue), "workdays_overdue": late},
            },
        )
    for alert in reads.alerts:
        if alert.project_id not in reads.projects or not alert.open_at(reads.window.as_of):
            continue
        if alert.severity != Alert.Severity.RED or alert.escalated_at is None:
            continue
        if alert.escalated_at > reads.window.as_of:
            continue
        add(
            alert.project_id,
            {
                "kind": ESCALATED,
                "alert": {
                    "kind": alert.kind,
                    "subject": alert.subject_key,
                    "severity": alert.severity,
                    "detail": alert.detail,
                    "project": project_ref(reads.projects[alert.project_id]),
                    "first_seen": timezone.localdate(alert.first_seen_at).isoformat(),
                    "workdays_open": calendar.workdays_between(
                        timezone.localdate(alert.first_seen_at), cutoff
                    ),
                },
            },
        )

    respond_by = calendar.add_workdays(cutoff, settings.BRIEFING_DECISION_RESPONSE_WORKDAYS)
    items = [
        _item(reads, project_id, sorted(found, key=_reason_key), lights, respond_by, calendar)
        for project_id, found in reasons.items()
    ]
    items.sort(key=_item_key)
    limit = settings.BRIEFING_DECISION_ITEMS
    return {
        "cutoff": cutoff.isoformat(),
        "overdue_workdays": threshold,
        "items": items[:limit] if limit else items,
        "unlisted": max(len(items) - limit, 0) if limit else 0,
    }


def _reason_key(reason: dict) -> tuple:
    issue = reason.get("issue") or {}
    alert = reason.get("alert") or {}
    return (
        REASON_ORDER[reason["kind"]],
        -(issue.get("workdays_overdue") or 0),
        -(alert.get("workdays_open") or 0),
        issue.get("id") or 0,
        alert.get("kind", ""),
        alert.get("subject", ""),
    )


def _item(
    reads: Reads,
    project_id: int,
    found: list[dict],
    lights: dict[int, str],
    respond_by: date,
    calendar: workdays.WorkdayCalendar,
) -> dict:
    project = reads.projects[project_id]
    first = found[0]
    issue = first.get("issue") or next((r["issue"] for r in found if "issue" in r), None)
    if first["kind"] == SUSPENDED:
        # A stopped project's ask follows the issue that stopped it, when one is open.
        ask = issue["category"] if issue else SUSPENDED
    elif "issue" in first:
        ask = first["issue"]["category"]
    else:
        ask = first["alert"]["kind"]
    needed_by = respond_by
    if first["kind"] == CRITICAL and first["issue"]["deadline"]:
        due = deadlines.due_day(date.fromisoformat(first["issue"]["deadline"]), calendar)
        if reads.window.as_of_day <= due < needed_by:
            needed_by = due
    unit = issue["department"] if issue and issue["department"] else ""
    return {
        "project": project_ref(project),
        "light": lights.get(project_id),
        "total_investment": str(project.total_investment),
        "reasons": found,
        "ask": ask,
        "responsible_unit": unit or reads.park_names.get(project.park_id, ""),
        "responsible": reads.people.get(project.responsible_person_id, ""),
        "leader": reads.people.get(project.leader_in_charge_id, ""),
        "needed_by": needed_by.isoformat(),
    }


def _item_key(item: dict) -> tuple:
    first = item["reasons"][0]
    return (
        REASON_ORDER[first["kind"]],
        -max((r.get("issue") or {}).get("workdays_overdue") or 0 for r in item["reasons"]),
        -len(item["reasons"]),
        item["project"]["code"],
    )
