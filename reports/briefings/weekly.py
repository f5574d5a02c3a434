"""The weekly briefing's (周调度) sections: what changed in the week."""

from datetime import timedelta

from django.utils import timezone

from inspections import deadlines
from reports.briefings.common import (
    alert_entry,
    alert_key,
    by_project,
    closed_by,
    iso_day,
    iso_moment,
    issue_entry,
    milestone_entry,
    milestone_key,
    project_ref,
)
from reports.briefings.reads import Reads
from reports.models import Alert


def weekly_sections(reads: Reads) -> dict:
    window = reads.window
    period = window.period
    in_period = [a for a in reads.alerts if a.project_id in reads.projects]
    alerts_new = sorted(
        (alert_entry(reads, a) for a in in_period if window.start <= a.first_seen_at <= window.cut),
        key=alert_key,
    )
    alerts_resolved = sorted(
        (
            alert_entry(reads, a)
            for a in in_period
            if a.resolved_at and window.start <= a.resolved_at <= window.cut
        ),
        key=alert_key,
    )
    milestones = _weekly_milestones(reads)
    upcoming = milestones.pop("next_week_milestones")
    issues = _weekly_issues(reads)
    open_count = issues.pop("issues_open_count")
    return {
        "status_changes": _status_changes(reads),
        **milestones,
        **issues,
        "alerts_new": alerts_new,
        "alerts_resolved": alerts_resolved,
        "next_week": {
            "start": (period.end + timedelta(days=1)).isoformat(),
            "end": (period.end + timedelta(days=7)).isoformat(),
            "milestones": upcoming,
        },
        "figures": {
            "alerts_new": len(alerts_new),
            "alerts_new_red": sum(a["severity"] == Alert.Severity.RED for a in alerts_new),
            "alerts_resolved": len(alerts_resolved),
            "milestones_reached": len(milestones["milestones_reached"]),
            "milestones_missed": len(milestones["milestones_missed"]),
            "issues_raised": len(issues["issues_raised"]),
            "issues_closed": len(issues["issues_closed"]),
            "issues_overdue": len(issues["issues_overdue"]),
            "issues_open": open_count,
        },
    }


def _status_changes(reads: Reads) -> list[dict]:
    window = reads.window
    changes = []
    previous: dict[int, str] = {}
    for project_id, saved_at, status, history_type in reads.status_rows:
        before = previous.get(project_id)
        if history_type == "-":
            previous.pop(project_id, None)
            continue
        previous[project_id] = status
        project = reads.projects.get(project_id)
        if before is None or before == status or project is None or saved_at < window.start:
            continue
        changes.append(
            {
                "project": project_ref(project),
                "from": before,
                "to": status,
                "at": iso_day(saved_at),
                "moment": iso_moment(saved_at),
            }
        )
    return sorted(changes, key=lambda c: (c["moment"], c["project"]["code"]))


def _weekly_milestones(reads: Reads) -> dict:
    window = reads.window
    period = window.period
    next_start, next_end = period.end + timedelta(days=1), period.end + timedelta(days=7)
    reached, missed, upcoming = [], [], []
    for project_id, rows in by_project(reads).items():
        project = reads.projects[project_id]
        for milestone in rows:
            entry = milestone_entry(project, milestone)
            actual = milestone.actual_date
            if actual and period.start <= actual <= period.end:
                entry["days_late"] = (actual - milestone.baseline_date).days
                reached.append(entry)
            elif period.start <= milestone.baseline_date <= window.last_day and not (
                actual and actual <= period.end
            ):
                entry["days_late"] = (window.last_day - milestone.baseline_date).days + 1
                missed.append(entry)
            if actual is None and next_start <= milestone.baseline_date <= next_end:
                upcoming.append(entry)
    return {
        "milestones_reached": sorted(reached, key=milestone_key),
        "milestones_missed": sorted(missed, key=milestone_key),
        "next_week_milestones": sorted(upcoming, key=milestone_key),
    }


def _weekly_issues(reads: Reads) -> dict:
    window = reads.window
    period = window.period
    raised, closed, overdue = [], [], []
    open_count = 0
    # Overdue by the week's last day, as everywhere: a deadline on a day off is due on the
    # next working day.
    calendar = deadlines.calendar_for(period.end)
    overdue_until = deadlines.last_overdue_deadline(period.end, calendar)
    for issue in reads.issues:
        if issue.project_id not in reads.projects or issue.raised_at > window.cut:
            continue
        entry = issue_entry(reads, issue)
        if window.start <= issue.raised_at:
            raised.append(entry)
        if closed_by(issue, window.cut):
            if issue.closed_at >= window.start:
                entry = {
                    **entry,
                    "days_to_close": (
                        timezone.localdate(issue.closed_at) - timezone.localdate(issue.raised_at)
                    ).days,
                }
                closed.append(entry)
            continue
        open_count += 1
        if issue.deadline and issue.deadline <= overdue_until:
            due = deadlines.due_day(issue.deadline, calendar)
            overdue.append({**entry, "days_overdue": (period.end - due).days})

    def key(entry: dict) -> tuple:
        return (entry["raised"], entry["project"]["code"], entry["id"])

    return {
        "issues_raised": sorted(raised, key=key),
        "issues_closed": sorted(closed, key=lambda e: (e["closed"], *key(e))),
        "issues_overdue": sorted(overdue, key=lambda e: (e["deadline"], *key(e))),
        "issues_open_count": open_count,
    }
