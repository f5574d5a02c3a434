"""The weekly briefing's (周调度) sections: investment against 序时进度 when it is made, and
what changed in the week, each list most pressing first.

Lists are as of the week's end (the cut: the earlier of the week's end and the moment the
briefing is made): an issue's state, a project's status. Lights are those the common rule
gives when the briefing is made, as on every page at that moment.
"""

from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from inspections import deadlines, workdays
from projects import progress
from reports.briefings.common import (
    SEVERITY_RANK,
    alert_entry,
    alert_key,
    by_project,
    closed_by,
    iso_day,
    iso_moment,
    issue_entry,
    milestone_entry,
    money,
    project_ref,
    share,
)
from reports.briefings.decisions import cutoff_day, workdays_late
from reports.briefings.investment import investment_through
from reports.briefings.reads import Reads
from reports.models import Alert

# Worst first: a red light outranks a yellow one; green and not yet assessed alike.
LIGHT_RANK = {"red": 2, "yellow": 1}


def weekly_sections(
    reads: Reads,
    lights: dict[int, str],
    figures: progress.ReportingPeriod,
    calendar: workdays.WorkdayCalendar | None = None,
) -> dict:
    window = reads.window
    period = window.period
    codes = {project.id: project.code for project in reads.projects.values()}
    light_of = {codes[pk]: light for pk, light in lights.items() if pk in codes}

    def pressing(entry: dict) -> int:
        return -LIGHT_RANK.get(light_of.get(entry["project"]["code"], ""), 0)

    in_period = [a for a in reads.alerts if a.project_id in reads.projects]
    alerts_new = _grouped(
        [alert_entry(reads, a) for a in in_period if window.start <= a.first_seen_at <= window.cut],
        pressing,
        "first_seen",
    )
    alerts_resolved = _grouped(
        [
            alert_entry(reads, a)
            for a in in_period
            if a.resolved_at and window.start <= a.resolved_at <= window.cut
        ],
        pressing,
        "resolved",
    )
    milestones = _weekly_milestones(reads, pressing)
    upcoming = milestones.pop("next_week_milestones")
    issues = _weekly_issues(reads, pressing, calendar)
    open_count = issues.pop("issues_open_count")
    statuses = _statuses_at_cut(reads)
    return {
        "investment": _investment(reads, figures),
        # Each project's light when the briefing is made and its status at the cut, for
        # the lists' rows: one entry per project, not one per row.
        "project_states": {
            project.code: {"light": lights[pk], "status": statuses.get(pk, project.status)}
            for pk, project in reads.projects.items()
        },
        "status_changes": _status_changes(reads, pressing),
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
            "alerts_new_projects": len({a["project"]["code"] for a in alerts_new}),
            "alerts_resolved": len(alerts_resolved),
            "milestones_reached": len(milestones["milestones_reached"]),
            "milestones_missed": len(milestones["milestones_missed"]),
            "milestones_next_week": len(upcoming),
            "issues_raised": len(issues["issues_raised"]),
            "issues_closed": len(issues["issues_closed"]),
            "issues_overdue": len(issues["issues_overdue"]),
            "issues_open": open_count,
        },
    }


def _investment(reads: Reads, figures: progress.ReportingPeriod) -> dict:
    """The zone's investment through the reporting period when the briefing is made."""
    zone = investment_through(reads, figures)
    return {
        "period": {"year": figures.year, "month": figures.month},
        "annual_plan": money(zone.plan),
        "completed_ytd": money(zone.completed_ytd),
        "due_ytd": money(zone.due),
        "plan_percent": share(zone.plan_percent),
        "time_progress_percent": share(zone.time_progress_percent),
        "points_vs_pace": share(zone.points_vs_pace),
    }


def _grouped(entries: list[dict], pressing, day_key: str) -> list[dict]:
    """The alerts, a project's together: the projects with a red alert first, then by the
    project's light, the most alerts and the earliest; within a project, red first."""
    by_code: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        by_code[entry["project"]["code"]].append(entry)

    def group_key(code: str) -> tuple:
        group = by_code[code]
        return (
            -max(SEVERITY_RANK.get(e["severity"], 0) for e in group),
            pressing(group[0]),
            -len(group),
            min(e[day_key] for e in group),
            code,
        )

    return [
        entry
        for code in sorted(by_code, key=group_key)
        for entry in sorted(by_code[code], key=alert_key)
    ]


def _statuses_at_cut(reads: Reads) -> dict[int, str]:
    """Each project's status at the cut, from its history rows up to then."""
    statuses: dict[int, str] = {}
    for project_id, _saved_at, status, history_type in reads.status_rows:
        if history_type == "-":
            statuses.pop(project_id, None)
        else:
            statuses[project_id] = status
    return statuses


def _status_changes(reads: Reads, pressing) -> list[dict]:
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
    return sorted(changes, key=lambda c: (pressing(c), c["moment"], c["project"]["code"]))


def _weekly_milestones(reads: Reads, pressing) -> dict:
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

    def latest(entry: dict) -> tuple:
        return (pressing(entry), -entry["days_late"], *_milestone_order(entry))

    return {
        "milestones_reached": sorted(reached, key=latest),
        "milestones_missed": sorted(missed, key=latest),
        "next_week_milestones": sorted(upcoming, key=lambda e: (pressing(e), *_milestone_order(e))),
    }


def _milestone_order(entry: dict) -> tuple:
    return (entry["baseline"], entry["project"]["code"], entry["milestone"])


def _weekly_issues(reads: Reads, pressing, calendar: workdays.WorkdayCalendar | None) -> dict:
    window = reads.window
    raised, closed, overdue = [], [], []
    open_count = 0
    # Overdue at the data cut-off: the week's last day, or the day the briefing is made
    # when the week has not ended (not the end of a week still running). A deadline on a
    # day off is due on the next working day; the delay counts working days, as every
    # page does.
    cutoff = cutoff_day(reads)
    calendar = calendar or deadlines.calendar_for(cutoff)
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
        late_by = workdays_late(issue, cutoff=cutoff, calendar=calendar)
        if late_by is not None:
            overdue.append({**entry, "workdays_overdue": late_by})

    def key(entry: dict) -> tuple:
        return (entry["project"]["code"], entry["id"])

    return {
        "issues_raised": sorted(raised, key=lambda e: (pressing(e), e["raised"], *key(e))),
        "issues_closed": sorted(closed, key=lambda e: (pressing(e), e["closed"], *key(e))),
        "issues_overdue": sorted(
            overdue,
            key=lambda e: (pressing(e), -e["workdays_overdue"], e["deadline"], *key(e)),
        ),
        "issues_open_count": open_count,
    }
