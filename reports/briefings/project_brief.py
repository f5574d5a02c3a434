"""The one-page project brief (项目简报): one project on one A4 page, for its project
manager, an official or a leader, as of a day.

    project = brief_project(user, code, as_of=today)      # 404/403 as the project page
    brief = project_brief(user, project, as_of=today)     # a plain dict
    pdf = project_brief_pdf(brief)

Everything it shows comes from the shared rules: the light and its reasons from
projects.lights, the period and 序时进度 from projects.progress through
projects.selectors, working days overdue from inspections.deadlines. Every project-bound
row is read through the permission layer. The lists are cut to what fits on one page,
with a line saying how many rows are left out.
"""

import base64
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import F
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone import permissions
from hitech_zone.money import quantize_money
from inspections import deadlines, workdays
from inspections.models import Issue, SiteVisit, VisitPhoto
from inspections.selectors import SEVERITY_RANK
from projects import lights, progress, selectors
from projects.models import Milestone, Project
from reports.pdf import html_to_pdf

TEMPLATE = "reports/briefings/project_brief.html"

# What fits on one A4 page beside the rest, each row on one line (texts are cut to fit).
REASON_ROWS = 3
MILESTONE_ROWS = 10
ISSUE_ROWS = 8
NOTE_LINES = 3
NOTE_LINE_CHARS = 70
# A thumbnail larger than this is not one: it is left out rather than bloat the PDF.
THUMBNAIL_MAX_BYTES = 512 * 1024


def brief_project(user, code: str, *, as_of: date) -> Project:
    """The project for a brief, annotated with its light as of `as_of`: 403 for a role
    that reads no brief, 404 for a project out of the user's reach (as the project page)."""
    permissions.require_role(user, *permissions.PROJECT_BRIEF_READERS)
    if "\x00" in code:
        raise Http404(_("No such project."))
    period = progress.reporting_period(as_of)
    projects = selectors.project_list(user=user, as_of=as_of, period=period).select_related(
        "leader_in_charge"
    )
    return permissions.get_for(user, projects, code=code)


@dataclass(frozen=True)
class Listed:
    """The rows printed of a list, and how many more there are."""

    rows: list
    more: int


def _cut(rows: list, limit: int) -> Listed:
    return Listed(rows=rows[:limit], more=max(len(rows) - limit, 0))


def _milestones(user, project: Project, as_of: date) -> Listed:
    """Open milestones first (what is still to come is what a reader acts on), then the
    latest reached; printed in plan order."""
    every = list(
        permissions.scope(user, Milestone.objects.filter(project=project)).order_by(
            "sequence", "id"
        )
    )
    open_ = [m for m in every if m.actual_date is None]
    reached = sorted(
        (m for m in every if m.actual_date is not None),
        key=lambda m: (m.actual_date, m.sequence),
        reverse=True,
    )
    chosen = {m.pk for m in (open_ + reached)[:MILESTONE_ROWS]}
    rows = [
        {
            "name": m.name,
            "baseline": m.baseline_date,
            "forecast": m.forecast_date,
            "actual": m.actual_date,
            "late_days": m.slip_days(as_of),
            "light": lights.milestone_light(m, as_of),
        }
        for m in every
        if m.pk in chosen
    ]
    return Listed(rows=rows, more=len(every) - len(rows))


def _issues(user, project: Project, as_of: date) -> tuple[Listed, str | None]:
    """Open issues (not 销号), most urgent first, with working days overdue; and the
    calendar's warning when a holiday schedule they count over is not known."""
    issues = list(
        permissions.scope(user, Issue.objects.filter(project=project))
        .exclude(status=Issue.Status.CLOSED)
        .select_related("category", "department")
        .annotate(severity_rank=SEVERITY_RANK)
        .order_by(F("deadline").asc(nulls_last=True), "severity_rank", "raised_at", "id")
    )
    first = min([i.deadline for i in issues if i.deadline] + [as_of])
    calendar = workdays.WorkdayCalendar.for_range(first, as_of)
    rows = [
        {
            "title": issue.title,
            "category": str(issue.category),
            "department": str(issue.department) if issue.department_id else "",
            "deadline": issue.deadline,
            "status_label": issue.get_status_display(),
            # Only the steps waiting on the department run late (inspections.deadlines).
            "overdue_workdays": deadlines.workdays_overdue(
                issue.deadline, today=as_of, calendar=calendar
            )
            if issue.deadline and issue.status in deadlines.RUNNING
            else None,
        }
        for issue in issues
    ]
    warning = deadlines.calendar_warning(issues, today=as_of, calendar=calendar)
    return _cut(rows, ISSUE_ROWS), warning


def _thumbnail_uri(photo: VisitPhoto | None) -> str | None:
    """The stored thumbnail as a data: URI, which WeasyPrint reads without touching the
    file system or the network; None when there is none or its file is gone."""
    if photo is None or not photo.thumbnail:
        return None
    try:
        with photo.thumbnail.open("rb") as file:
            data = file.read(THUMBNAIL_MAX_BYTES + 1)
    except OSError:
        return None
    if not data or len(data) > THUMBNAIL_MAX_BYTES:
        return None
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _note_lines(notes: str) -> list[str]:
    lines = [line.strip() for line in (notes or "").splitlines() if line.strip()]
    return [
        line if len(line) <= NOTE_LINE_CHARS else line[: NOTE_LINE_CHARS - 1] + "…"
        for line in lines[:NOTE_LINES]
    ]


def _last_visit(user, project: Project) -> dict | None:
    visit = (
        permissions.scope(user, SiteVisit.objects.filter(project=project))
        .order_by("-visited_on", "-id")
        .first()
    )
    if visit is None:
        return None
    photo = permissions.scope(user, VisitPhoto.objects.filter(visit=visit)).order_by("id").first()
    lines = _note_lines(visit.notes)
    return {
        "date": visit.visited_on,
        "lines": lines,
        "more_lines": len([line for line in visit.notes.splitlines() if line.strip()]) > len(lines),
        "thumbnail": _thumbnail_uri(photo),
    }


def _investment(project: Project, period: progress.ReportingPeriod) -> dict:
    """The project's figures for the period as annotated by the shared selector, with the
    percentages the light's own rule prints (lights.investment_percents)."""
    assessed = bool(project.investment_assessed)
    done, due = lights.investment_percents(
        project.completed_ytd, project.annual_plan, project.due_ytd
    )
    points = done - due if assessed else None
    return {
        "assessed": assessed,
        # To the fen as every page prints them (the due share is exact to 12 places).
        "annual_plan": quantize_money(project.annual_plan),
        "completed_ytd": quantize_money(project.completed_ytd),
        "due_ytd": quantize_money(project.due_ytd),
        "done_percent": done if project.annual_plan else None,
        "due_percent": due if project.annual_plan else None,
        "points": points,
        "points_abs": abs(points) if points is not None else None,
        "behind": points is not None and points < 0,
    }


def project_brief(user, project: Project, as_of: date) -> dict:
    """What the brief of `project` (from `brief_project`) says as of `as_of`."""
    period = progress.reporting_period(as_of)
    reasons = lights.light_reasons(project, as_of=as_of, period=period)
    issues, calendar_note = _issues(user, project, as_of)
    light = project.light
    return {
        "zone": settings.ZONE_NAME,
        "as_of": as_of,
        "period": period,
        "project": {
            "code": project.code,
            "name": project.name,
            "company": project.company,
            "park": str(project.park),
            "status_label": project.get_status_display(),
            "total_investment": project.total_investment,
            "responsible": str(project.responsible_person),
            "responsible_title": project.responsible_person.job_title
            if project.responsible_person_id
            else "",
            "leader": str(project.leader_in_charge) if project.leader_in_charge_id else "",
            "is_demo": project.is_demo,
        },
        "light": light.value,
        "light_label": str(light.label),
        "reasons": _cut([{"light": r.light.value, "text": r.text} for r in reasons], REASON_ROWS),
        "investment": _investment(project, period),
        "milestones": _milestones(user, project, as_of),
        "issues": issues,
        "calendar_note": calendar_note,
        "visit": _last_visit(user, project),
    }


def project_brief_html(brief: dict, *, generated_at=None) -> str:
    generated_at = generated_at or timezone.now()
    footer = _("Data as of %(as_of)s · generated %(generated)s") % {
        "as_of": brief["as_of"].isoformat(),
        "generated": timezone.localtime(generated_at).strftime("%Y-%m-%d %H:%M"),
    }
    return render_to_string(
        TEMPLATE,
        {
            "b": brief,
            "title": _("Project brief"),
            # A CSS string: quotes and backslashes escaped, no markup can close <style>.
            "footer_css": '"{}"'.format(
                footer.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
            ),
        },
    )


def project_brief_pdf(brief: dict, *, generated_at=None) -> bytes:
    """The brief on one A4 page with the shipped Chinese font embedded."""
    return html_to_pdf(project_brief_html(brief, generated_at=generated_at))


def brief_filename(brief: dict) -> str:
    return f"project-brief-{brief['project']['code']}-{brief['as_of']:%Y%m%d}.pdf"
