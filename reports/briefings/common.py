"""What the weekly and the monthly snapshot share: number formats, project references,
lights, alerts, issues and milestones as snapshot entries."""

from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from hitech_zone import permissions
from hitech_zone.money import quantize_money
from inspections.models import Issue, VisitPhoto
from projects import lights as project_lights
from projects import progress
from projects import selectors as project_selectors
from projects.models import Project
from reports.briefings.reads import AlertRow, Reads
from reports.models import Alert

SEVERITY_RANK = {Alert.Severity.YELLOW: 1, Alert.Severity.RED: 2}
LIGHTS = ("green", "yellow", "red")


def money(amount: Decimal | None) -> str:
    return str(quantize_money(amount))


def share(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def iso_day(moment: datetime) -> str:
    return timezone.localdate(moment).isoformat()


def iso_moment(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat()


def project_ref(project: Project) -> dict:
    return {"code": project.code, "name": project.name}


def lights_at(reads: Reads, moment: datetime, period: progress.ReportingPeriod) -> dict[int, str]:
    """Each project's light as the common rule (projects.lights) works it out at `moment`
    over `period`'s figures: the light the dashboard, the register and the API show at
    that moment. One query. A briefing is made at `moment`, so the rule reads the tables
    as they stand; a project deleted since it was read keeps the light of its alerts."""
    rows = (
        project_selectors.project_list(
            user=permissions.SYSTEM, as_of=timezone.localdate(moment), period=period
        )
        .filter(pk__in=list(reads.projects))
        .order_by()
        .values_list("pk", "light_rank", "investment_assessed")
    )
    found = {pk: project_lights.light_of(rank, assessed).value for pk, rank, assessed in rows}
    ranks: dict[int, int] = dict.fromkeys(reads.projects, 0)
    for alert in reads.alerts:
        if alert.project_id in ranks and alert.open_at(moment):
            ranks[alert.project_id] = max(
                ranks[alert.project_id], SEVERITY_RANK.get(alert.severity, 0)
            )
    return {pk: found.get(pk, LIGHTS[rank]) for pk, rank in ranks.items()}


def light_counts(lights: dict[int, str]) -> dict[str, int]:
    counts = Counter(lights.values())
    return {light: counts.get(light, 0) for light in (*LIGHTS, "unassessed")}


def alert_entry(reads: Reads, alert: AlertRow) -> dict:
    project = reads.projects[alert.project_id]
    return {
        "project": project_ref(project),
        "kind": alert.kind,
        "severity": alert.severity,
        "subject": alert.subject_key,
        "detail": alert.detail,
        "first_seen": iso_day(alert.first_seen_at),
        "resolved": iso_day(alert.resolved_at) if alert.resolved_at else None,
    }


def alert_key(entry: dict) -> tuple:
    return (
        -SEVERITY_RANK.get(entry["severity"], 0),
        entry["first_seen"],
        entry["project"]["code"],
        entry["kind"],
        entry["subject"],
    )


def escalated(reads: Reads, moment: datetime) -> list[dict]:
    """Red alerts open at `moment` that the escalation rules have put to the leaders."""
    entries = []
    for alert in reads.alerts:
        if alert.project_id not in reads.projects or not alert.open_at(moment):
            continue
        if alert.escalated_at is None or alert.escalated_at > moment:
            continue
        project = reads.projects[alert.project_id]
        entry = alert_entry(reads, alert)
        entry.update(
            escalated=iso_day(alert.escalated_at),
            days_open=(timezone.localdate(moment) - timezone.localdate(alert.first_seen_at)).days,
            responsible=reads.people.get(project.responsible_person_id, ""),
            leader=reads.people.get(project.leader_in_charge_id, ""),
        )
        entries.append(entry)
    # By project, so that a project's alerts are read together.
    return sorted(entries, key=lambda e: (e["project"]["code"], *alert_key(e)))


# Photos printed per visit: enough to show the site, not a photo album.
VISIT_PHOTOS = 2


def _visit_photos(reads: Reads) -> dict[int, list[dict]]:
    """The first VISIT_PHOTOS photos of each visit uploaded by the briefing's moment: the
    thumbnail's storage name (a re-render prints the same file) and the name it was
    uploaded under. Photos have no history; one query, none without visits."""
    photos: dict[int, list[dict]] = defaultdict(list)
    rows = (
        VisitPhoto.objects.filter(
            visit_id__in=[visit.id for visit in reads.visits],
            uploaded_at__lte=reads.window.as_of,
        )
        .order_by("visit_id", "id")
        .values_list("visit_id", "thumbnail", "original_name")
    )
    for visit_id, thumbnail, name in rows:
        if thumbnail and len(photos[visit_id]) < VISIT_PHOTOS:
            photos[visit_id].append({"thumbnail": thumbnail, "name": name})
    return photos


def visits(reads: Reads) -> dict:
    items = []
    photos = _visit_photos(reads) if reads.visits else {}
    for visit in reads.visits:
        project = reads.projects.get(visit.project_id)
        if project is None:
            continue
        headline = (visit.notes or "").strip().splitlines()[0:1]
        items.append(
            {
                "date": visit.visited_on.isoformat(),
                "project": project_ref(project),
                "headline": headline[0][:80] if headline else "",
                "id": visit.id,
                # In full: a leader's instruction is what the briefing reports upward.
                "instruction": (visit.leader_instruction or "").strip(),
                "photos": photos.get(visit.id, []),
            }
        )
    items.sort(key=lambda v: (v["date"], v["project"]["code"], v["id"]))
    return {
        "count": len(items),
        "project_count": len({v["project"]["code"] for v in items}),
        "items": items,
    }


def issue_entry(reads: Reads, issue: Issue) -> dict:
    project = reads.projects[issue.project_id]
    return {
        "id": issue.id,
        "project": project_ref(project),
        "title": issue.title,
        "category": issue.category_id,
        "category_name": reads.category_names.get(issue.category_id, issue.category_id),
        "severity": issue.severity,
        "status": issue.status,
        "department": reads.department_names.get(issue.department_id, ""),
        "deadline": issue.deadline.isoformat() if issue.deadline else None,
        "raised": iso_day(issue.raised_at),
        "closed": iso_day(issue.closed_at) if issue.closed_at else None,
    }


def closed_by(issue: Issue, moment: datetime) -> bool:
    return (
        issue.status == Issue.Status.CLOSED
        and issue.closed_at is not None
        and issue.closed_at <= moment
    )


def by_project(reads: Reads) -> dict[int, list]:
    milestones: dict[int, list] = defaultdict(list)
    for milestone in reads.milestones:
        if milestone.project_id in reads.projects:
            milestones[milestone.project_id].append(milestone)
    for rows in milestones.values():
        rows.sort(key=lambda m: (m.sequence, m.id))
    return milestones


def milestone_entry(project: Project, milestone) -> dict:
    return {
        "project": project_ref(project),
        "milestone": milestone.name,
        "baseline": milestone.baseline_date.isoformat(),
        "forecast": milestone.forecast_date.isoformat() if milestone.forecast_date else None,
        "actual": milestone.actual_date.isoformat() if milestone.actual_date else None,
    }


def milestone_key(entry: dict) -> tuple:
    return (entry["baseline"], entry["project"]["code"], entry["milestone"])
