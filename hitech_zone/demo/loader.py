"""Writes the demo tables to the database: only what is missing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone

from hitech_zone.demo.data import (
    CHANGE_REASON,
    DEMO_PASSWORD,
    DEPARTMENT_MEMBERS,
    DEPARTMENTS,
    HISTORY_ISSUES,
    INDUSTRIAL_ENSURE,
    INDUSTRIAL_STRIVE,
    ISSUES,
    PARKS,
    PLANNED_INVESTMENT,
    PROJECT_COUNT,
    PROJECTS,
    SECTORS,
    TOTAL_INVESTMENT,
    USERS,
    VISITS,
    D,
    IssueStatus,
    M,
    ProjectSpec,
    Status,
    VisitSpec,
    day_of,
)
from hitech_zone.demo.photos import site_photo
from hitech_zone.demo.rounds import load_rounds
from hitech_zone.demo.schedule import (
    article_visit_day,
    day_in_month,
    milestone_stage,
    monthly_amounts,
    project_schedule,
)
from hitech_zone.models import User
from hitech_zone.permissions import role_groups
from inspections import services as issue_services
from inspections.models import (
    ISSUE_CATEGORIES,
    Department,
    DepartmentMember,
    FollowUp,
    Issue,
    IssueCategory,
    SiteVisit,
    VisitParticipant,
    VisitPhoto,
)
from inspections.photos import attach_photos
from inspections.workdays import WorkdayCalendar
from projects import progress
from projects.models import (
    AnnualPlan,
    Milestone,
    MonthlyInvestment,
    Park,
    Phase,
    Project,
    Sector,
    ZoneIndustrialInvestment,
    ZoneTarget,
)

ZONE_INDUSTRIAL_PACE = D("600000")
# A fresh demo replays the nightly slip detection over these last days, so its alerts have
# been open for weeks and escalated as the job escalates them (reports.escalation).
REPLAY_DAYS = 42

# ------------------------------------------------------------------ loading


@dataclass
class _Context:
    today: date
    by: User | None = None  # recorded as the author of every history row
    created: Counter[str] = field(default_factory=Counter)
    users: dict[str, User] = field(default_factory=dict)

    @property
    def year(self) -> int:
        return self.today.year


def _ensure(ctx: _Context, model: type[M], match: dict[str, Any], **fields: Any) -> M:
    """The row matching `match`, created (cleaned, with history) when missing."""
    existing = model._default_manager.filter(**match).first()
    if existing is not None:
        return existing
    key = {name: value for name, value in match.items() if "__" not in name}
    obj = model(**key, **fields)
    _save_new(ctx, obj)
    return obj


def _save_new(ctx: _Context, obj: models.Model) -> None:
    obj.full_clean()
    obj._history_user = ctx.by
    obj._change_reason = CHANGE_REASON
    obj.save()
    ctx.created[obj._meta.label] += 1


def _add_link(ctx: _Context, instance: models.Model, attr: str, target: models.Model) -> None:
    """Add a many-to-many link only when missing: simple-history writes a history row
    on every add, even one that changes nothing."""
    manager = getattr(instance, attr)
    if manager.filter(pk=target.pk).exists():
        return
    instance._history_user = ctx.by
    instance._change_reason = CHANGE_REASON
    manager.add(target)
    ctx.created[f"{instance._meta.label}.{attr}"] += 1


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _workday(calendar: WorkdayCalendar, day: date) -> date:
    """`day`, or the working day before it: offices do not visit or close on holidays."""
    return day if calendar.is_workday(day) else calendar.workday_before(day)


def _load_users(ctx: _Context) -> None:
    before = Group.objects.count()
    groups = role_groups()
    if added := Group.objects.count() - before:
        ctx.created["auth.Group"] += added
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                full_name=spec.full_name,
                job_title=spec.job_title,
                is_staff=spec.is_superuser,
                is_superuser=spec.is_superuser,
            )
            if spec.can_sign_in:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            _save_new(ctx, user)
        _add_link(ctx, user, "groups", groups[spec.role])
        ctx.users[spec.username] = user
        if spec.is_superuser:
            ctx.by = user


def _load_reference_data(ctx: _Context) -> tuple[dict[str, Park], dict[str, Sector]]:
    parks = {
        code: _ensure(ctx, Park, {"code": code}, name=name, kind=kind, sort_order=index)
        for index, (code, name, kind) in enumerate(PARKS, 1)
    }
    sectors = {
        code: _ensure(ctx, Sector, {"code": code}, name=name, sort_order=index)
        for index, (code, name) in enumerate(SECTORS, 1)
    }
    for index, (code, name) in enumerate(DEPARTMENTS, 1):
        _ensure(ctx, Department, {"code": code}, name=name, sort_order=index)
    # Normally loaded by the migration; here too, for databases emptied by a test run.
    for index, (code, name) in enumerate(ISSUE_CATEGORIES):
        _ensure(ctx, IssueCategory, {"code": code}, name=name, sort_order=index)
    _ensure(
        ctx,
        ZoneTarget,
        {"year": ctx.year},
        project_count=PROJECT_COUNT,
        total_investment=TOTAL_INVESTMENT,
        planned_investment=PLANNED_INVESTMENT,
        industrial_ensure=INDUSTRIAL_ENSURE,
        industrial_strive=INDUSTRIAL_STRIVE,
    )
    # The statistics bureau's zone-wide industrial investment, months 1..m, for each month
    # that has ended: on a pace of 60 亿元 a year, between the 确保 and 力争 lines.
    for month in range(1, ctx.today.month):
        _ensure(
            ctx,
            ZoneIndustrialInvestment,
            {"year": ctx.year, "month": month},
            completed_amount=(ZONE_INDUSTRIAL_PACE * month / 12).quantize(D("0.01")),
            source="统计局",
        )
    return parks, sectors


def _load_project(
    ctx: _Context,
    spec: ProjectSpec,
    parks: dict[str, Park],
    sectors: dict[str, Sector],
    amounts: dict[int, Decimal],
) -> Project:
    schedule = project_schedule(spec, ctx.today)
    starts = [
        row.baseline
        for row in schedule.milestones
        if milestone_stage(row.spec.name) == Status.CONSTRUCTION
    ]
    ends = [row.baseline for row in schedule.milestones] + [
        day_of(ctx.year, p.completion) for p in spec.phases
    ]
    project = _ensure(
        ctx,
        Project,
        {"code": spec.code},
        name=spec.name,
        company=spec.company,
        sector=sectors[spec.sector],
        park=parks[spec.park],
        level=Project.Level.CITY,
        category=spec.category,
        total_investment=D(spec.total),
        status=schedule.status,
        planned_start=starts[0] if starts else None,
        planned_completion=max(ends),
        responsible_person=ctx.users[spec.responsible],
        leader_in_charge=ctx.users[spec.leader],
        location=spec.location,
        description=spec.description,
        is_demo=spec.is_demo,
        in_statistics_on=_in_statistics_on(schedule, ctx.today),
    )
    for username in spec.managers:
        _add_link(ctx, project, "managers", ctx.users[username])
    phases = {
        phase.number: _ensure(
            ctx,
            Phase,
            {"project": project, "number": phase.number},
            name=phase.name,
            scope=phase.scope,
            investment=D(phase.investment),
            planned_start=day_of(ctx.year, phase.start),
            planned_completion=day_of(ctx.year, phase.completion),
        )
        for phase in spec.phases
    }
    for sequence, row in enumerate(schedule.milestones, 1):
        _ensure(
            ctx,
            Milestone,
            {"project": project, "sequence": sequence},
            name=row.spec.name,
            phase=phases.get(row.spec.phase) if row.spec.phase else None,
            baseline_date=row.baseline,
            forecast_date=row.forecast,
            actual_date=row.actual,
        )
    _ensure(
        ctx, AnnualPlan, {"project": project, "year": ctx.year}, planned_investment=D(spec.plan)
    )
    for month, amount in amounts.items():
        _ensure(
            ctx,
            MonthlyInvestment,
            {"project": project, "year": ctx.year, "month": month},
            completed_amount=amount,
            note=spec.month_notes.get(month, ""),
        )
    return project


# A started project enters the statistics (入库) this many days after its 开工, within the
# month after which a project still out of them turns yellow: no demo light comes from it.
IN_STATISTICS_AFTER_START = 21


def _in_statistics_on(schedule, today: date) -> date | None:
    """The day a started project entered the statistics: a few weeks after its 开工
    milestone's actual date, never later than today; None until it has started."""
    started = next(
        (
            row.actual
            # In sequence order, as the register reads the 开工 milestone (progress.key_dates).
            for row in schedule.milestones
            if progress.is_start_milestone(row.spec.name)
        ),
        None,
    )
    if started is None:
        return None
    return max(started, min(started + timedelta(days=IN_STATISTICS_AFTER_START), today))


def _article_facts(today: date) -> dict[str, str]:
    """Phrases of the article's visit notes that depend on how far the year has gone."""
    visit = article_visit_day(today)
    resumed = day_of(today.year, (0, 2, 24))
    refire = project_schedule(next(p for p in PROJECTS if p.code == "GX-002"), today)
    installed = next(r.actual for r in refire.milestones if r.spec.name == "一期设备安装调试")
    if installed and installed <= visit:
        equipment = "一期生产设备已安装到位，正在加紧调试，企业预计6月份投入试生产。"
    else:
        equipment = "一期厂房已封顶，生产设备陆续进场，企业计划6月份投入试生产。"
    return {
        "resumed": "2月24日复工以来" if resumed < visit else "复工以来",
        "equipment": equipment,
    }


def _visit_day(ctx: _Context, spec: VisitSpec, calendar: WorkdayCalendar) -> date:
    if spec.in_month:
        return _workday(calendar, day_in_month(ctx.today, *spec.in_month, before_today=False))
    if spec.days_ago is None:
        return article_visit_day(ctx.today)
    return ctx.today - timedelta(days=spec.days_ago)


def _load_visits_and_issues(
    ctx: _Context, projects: dict[str, Project], calendar: WorkdayCalendar
) -> None:
    facts = _article_facts(ctx.today)
    visits: dict[str, tuple[SiteVisit, date]] = {}
    for spec in VISITS:
        project = projects[spec.project]
        day = _visit_day(ctx, spec, calendar)
        visit = SiteVisit.objects.filter(project=project, notes__startswith=spec.headline).first()
        if visit is None:
            # Participants and photos belong to their visit: written with it, or not at all.
            visit = SiteVisit(
                project=project,
                visited_on=day,
                notes=f"{spec.headline}\n{spec.details.format(**facts)}",
                leader_instruction=spec.instruction,
                created_by=ctx.users[spec.created_by],
            )
            recorded_at = min(_at(day, 18), timezone.now())
            # Recorded on the evening of the visit: a briefing read as of a moment since
            # then finds it in the history.
            visit._history_date = recorded_at
            _save_new(ctx, visit)
            SiteVisit.objects.filter(pk=visit.pk).update(created_at=recorded_at)
            _attach_photos(ctx, visit, spec, recorded_at)
            for order, person in enumerate(spec.participants, 1):
                _save_new(
                    ctx,
                    VisitParticipant(
                        visit=visit,
                        side=person.side,
                        name=person.name,
                        title=person.title,
                        sort_order=order,
                    ),
                )
        visits[spec.headline] = (visit, visit.visited_on)

    departments = {d.code: d for d in Department.objects.all()}
    for spec in ISSUES:
        project = projects[spec.project]
        if Issue.objects.filter(project=project, title=spec.title).exists():
            # An issue's status is the sum of its follow-ups: add neither to one that exists.
            continue
        visit, raised_on = (
            visits[spec.visit] if spec.visit else (None, ctx.today - timedelta(days=spec.days_ago))
        )
        # Nothing is recorded for today or later, so no time of day lands in the future.
        steps = [step for step in spec.steps if raised_on + timedelta(days=step.days) < ctx.today]
        status = steps[-1].status_after if steps else IssueStatus.RAISED
        closed = status == IssueStatus.CLOSED
        assigned = status != IssueStatus.RAISED
        issue = Issue(
            project=project,
            site_visit=visit,
            title=spec.title,
            description=spec.description.format(**facts),
            category_id=spec.category,
            severity=spec.severity,
            status=status,
            department=departments[spec.department] if assigned else None,
            deadline=raised_on + timedelta(days=spec.deadline_days) if assigned else None,
            result=spec.result if status in (IssueStatus.RESOLVED, IssueStatus.CLOSED) else "",
            raised_by=ctx.users["official"],
            raised_at=_at(raised_on, 11),
            assigned_by=ctx.users["official"] if assigned else None,
            assigned_at=_at(raised_on, 15) if assigned else None,
            closed_at=_at(raised_on + timedelta(days=steps[-1].days), 16) if closed else None,
        )
        _save_new(ctx, issue)
        # The first step, as the app records it for an issue raised in the browser.
        _save_new(
            ctx,
            FollowUp(
                issue=issue,
                action="走访现场提出。" if visit else "提出问题。",
                actor=ctx.users["official"],
                acted_at=issue.raised_at,
                status_after=IssueStatus.RAISED,
            ),
        )
        before = IssueStatus.RAISED
        for step in steps:
            _save_new(
                ctx,
                FollowUp(
                    issue=issue,
                    action=step.action,
                    actor=ctx.users[step.actor] if step.actor else None,
                    actor_name=step.actor_name,
                    acted_at=_at(raised_on + timedelta(days=step.days), 16),
                    status_before=before,
                    status_after=step.status_after,
                ),
            )
            before = step.status_after


def _attach_photos(ctx: _Context, visit: SiteVisit, spec: VisitSpec, at: datetime) -> None:
    """Through the upload path (re-encoded, with thumbnails), as if taken on the visit."""
    if not spec.photos:
        return
    files = [
        ContentFile(
            site_photo(f"{spec.project}/{spec.headline}/{number}"), name=f"现场{number}.jpg"
        )
        for number in range(1, spec.photos + 1)
    ]
    saved, rejected = attach_photos(visit, files, keep_location=False)
    if rejected:
        raise RuntimeError(f"demo photos refused: {[str(r) for r in rejected]}")
    VisitPhoto.objects.filter(pk__in=[photo.pk for photo in saved]).update(uploaded_at=at)
    ctx.created[VisitPhoto._meta.label] += len(saved)


def _load_history_issues(
    ctx: _Context, projects: dict[str, Project], calendar: WorkdayCalendar
) -> None:
    """The recent weeks' issues, raised and followed through the services at the moments
    each step was taken, by the official who raised it and the department's member."""
    departments = {d.code: d for d in Department.objects.all()}
    handlers = {code: ctx.users[username] for username, code in DEPARTMENT_MEMBERS.items()}
    for spec in HISTORY_ISSUES:
        project = projects[spec.project]
        if Issue.objects.filter(project=project, title=spec.title).exists():
            continue
        if spec.last_step_in:
            last = _workday(calendar, day_in_month(ctx.today, *spec.last_step_in))
            raised_on = last - timedelta(days=spec.acts[-1].days)
        else:
            raised_on = ctx.today - timedelta(days=spec.days_ago)
        official = ctx.users[spec.raised_by]
        issue = issue_services.issue_raise(
            project=project,
            title=spec.title,
            category=spec.category,
            by=official,
            description=spec.description,
            severity=spec.severity,
            now=_at(raised_on, 10),
        )
        ctx.created[Issue._meta.label] += 1
        for act in spec.acts:
            day = raised_on + timedelta(days=act.days)
            # Nothing is recorded for today or later (as for the other issues).
            if day >= ctx.today:
                break
            by_department = act.name in {"start", "resolve"}
            issue = issue_services.issue_transition(
                issue=issue,
                name=act.name,
                by=handlers[spec.department] if by_department else official,
                comment=act.comment,
                department=departments[spec.department],
                deadline=raised_on + timedelta(days=spec.deadline_days),
                result=spec.result if act.name == "resolve" else "",
                now=_at(day, 15 if act.days == 0 else 16),
            )


@transaction.atomic
def load_demo(*, today: date | None = None) -> dict[str, int]:
    """Create whatever demo data is missing; return how many rows of each model were
    created (model label -> count; `label.field` for many-to-many links)."""
    real_today = timezone.localdate()
    if today and today > real_today:
        # Milestones reached by then would carry actual dates in the future.
        raise ValueError(f"today ({today}) cannot be later than the real date ({real_today}).")
    ctx = _Context(today=today or real_today)
    _load_users(ctx)
    parks, sectors = _load_reference_data(ctx)
    amounts = monthly_amounts(ctx.today)
    projects = {
        spec.code: _load_project(ctx, spec, parks, sectors, amounts.get(spec.code, {}))
        for spec in PROJECTS
    }
    _load_last_year(ctx, projects)
    # Before the issues: a department's steps are its members' to take.
    for username, code in DEPARTMENT_MEMBERS.items():
        _ensure(
            ctx,
            DepartmentMember,
            {"user": ctx.users[username]},
            department=Department.objects.get(code=code),
        )
    calendar = WorkdayCalendar.for_range(ctx.today - timedelta(days=90), ctx.today)
    _load_visits_and_issues(ctx, projects, calendar)
    _load_history_issues(ctx, projects, calendar)
    load_rounds(ctx, projects, calendar)
    _detect_slips(ctx, calendar)
    return dict(ctx.created)


def _load_last_year(ctx: _Context, projects: dict[str, Project]) -> None:
    """From 1 January until the 1–2月 figures are due, the pages show last year's whole
    year (projects.progress): give it the same plans, all twelve months' figures, the
    zone's targets and its industrial investment, so the demo shows a finished year."""
    year = progress.reporting_period(ctx.today).year
    if year == ctx.year:
        return
    amounts = monthly_amounts(ctx.today, year=year, through_month=12)
    for spec in PROJECTS:
        project = projects[spec.code]
        _ensure(
            ctx, AnnualPlan, {"project": project, "year": year}, planned_investment=D(spec.plan)
        )
        for month, amount in amounts.get(spec.code, {}).items():
            _ensure(
                ctx,
                MonthlyInvestment,
                {"project": project, "year": year, "month": month},
                completed_amount=amount,
            )
    _ensure(
        ctx,
        ZoneTarget,
        {"year": year},
        project_count=PROJECT_COUNT,
        total_investment=TOTAL_INVESTMENT,
        planned_investment=PLANNED_INVESTMENT,
        industrial_ensure=INDUSTRIAL_ENSURE,
        industrial_strive=INDUSTRIAL_STRIVE,
    )
    for month in range(1, 13):
        _ensure(
            ctx,
            ZoneIndustrialInvestment,
            {"year": year, "month": month},
            completed_amount=(ZONE_INDUSTRIAL_PACE * month / 12).quantize(D("0.01")),
            source="统计局",
        )


def _detect_slips(ctx: _Context, calendar: WorkdayCalendar) -> None:
    """Run the nightly slip detection as of the start of the demo's day, so a fresh demo
    has its projections and alerts (the same moment each run: a second run changes
    nothing). A demo without alerts first replays the last REPLAY_DAYS nights: alerts are
    first seen weeks ago and escalated on the nights their steps fell due."""
    from reports.detection import slip_detect
    from reports.models import Alert

    if not Alert.objects.exists():
        night = ctx.today - timedelta(days=REPLAY_DAYS)
        while night < ctx.today:
            _count_detection(ctx, slip_detect(now=_at(night, 0)))
            night = _next_night(night, ctx.today, calendar)
    _count_detection(ctx, slip_detect(now=_at(ctx.today, 0)))


def _next_night(night: date, today: date, calendar: WorkdayCalendar) -> date:
    """The next night the replay runs: a week on, or sooner when an open red alert's next
    escalation step falls due (a night run each day would change nothing in between)."""
    from reports.models import Alert

    first_days = {
        timezone.localdate(moment)
        for moment in Alert.objects.filter(
            resolved_at__isnull=True, severity=Alert.Severity.RED
        ).values_list("first_seen_at", flat=True)
    }
    due = [
        calendar.add_workdays(first_day, workdays)
        for first_day in first_days
        for workdays in (
            settings.ALERT_ESCALATE_LEADER_WORKDAYS,
            settings.ALERT_ESCALATE_BRIEFING_WORKDAYS,
        )
    ]
    return min([day for day in due if day > night] + [night + timedelta(days=7), today])


def _count_detection(ctx: _Context, counts: dict[str, Any]) -> None:
    for label, key in [
        ("reports.MilestoneProjection", "projections_created"),
        ("reports.Alert", "alerts_opened"),
        ("inspections.Notification", "notifications"),
    ]:
        if counts[key]:
            ctx.created[label] += counts[key]
    if steps := sum(count for key, count in counts.items() if key.startswith("escalated_")):
        ctx.created["reports.AlertEscalation"] += steps
