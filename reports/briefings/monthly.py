"""The monthly briefing's (月通报) sections: the whole portfolio against its targets."""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from hitech_zone.money import percent
from inspections import deadlines
from inspections.models import FollowUp, Issue
from projects import progress
from projects.models import Project
from reports.briefings.common import (
    SEVERITY_RANK,
    by_project,
    closed_by,
    issue_entry,
    money,
    share,
)
from reports.briefings.decisions import cutoff_day, workdays_late
from reports.briefings.reads import AlertRow, Reads
from reports.briefings.rounds import round_section
from reports.models import Alert


def monthly_sections(reads: Reads, lights: dict[int, str], calendar) -> dict:
    window = reads.window
    period = window.period
    month = period.start.month
    reporting = progress.through(period.start.year, month)
    milestones = by_project(reads)
    rows = []
    for project in sorted(reads.projects.values(), key=lambda p: p.code):
        amounts = reads.monthly.get(project.id, {})
        plan = reads.plans.get(project.id, Decimal(0))
        ytd = sum((v for m, v in amounts.items() if m <= month), Decimal(0))
        due = progress.due_amount(
            reporting,
            annual_plan=plan,
            planned_start=project.planned_start,
            monthly_plan=reads.monthly_plans.get(project.id),
        )
        reached = [m for m in milestones.get(project.id, []) if _reached(m, period.end)]
        rows.append(
            {
                "code": project.code,
                "name": project.name,
                "company": project.company,
                "park": reads.park_names.get(project.park_id, ""),
                "category": project.category,
                "status": project.status,
                "total_investment": money(project.total_investment),
                "annual_plan": money(plan),
                "completed_month": money(amounts.get(month)),
                "completed_ytd": money(ytd),
                "due_ytd": money(due),
                "plan_percent": share(percent(ytd, plan)),
                "time_progress_percent": share(progress.time_progress_percent(due, plan)),
                "light": lights[project.id],
                "milestones": len(milestones.get(project.id, [])),
                "milestones_reached": len(reached),
                "responsible": reads.people.get(project.responsible_person_id, ""),
                "leader": reads.people.get(project.leader_in_charge_id, ""),
            }
        )
    issue_list = _issue_list(reads, calendar)
    parks = _parks(rows)
    return {
        "year": period.start.year,
        "summary": _summary(reads, rows),
        "projects": rows,
        "parks": parks,
        "status_counts": _status_counts(rows),
        "physical": _physical(rows, milestones, reads),
        "issues_by_category": _issues_by_category(reads),
        "behind": _behind(reads, rows),
        "issue_list": issue_list,
        "rankings": _rankings(reads, parks, calendar),
        # The month's round (月报): 填报率, 审核率 and the late reporters; None if not opened.
        "round": round_section(reads, calendar),
    }


def _points(row: dict) -> Decimal | None:
    """Completion minus 序时进度, in percentage points (None when not assessed)."""
    if row["plan_percent"] is None or row["time_progress_percent"] is None:
        return None
    return Decimal(row["plan_percent"]) - Decimal(row["time_progress_percent"])


def _behind(reads: Reads, rows: list[dict]) -> dict:
    """滞后项目: red, then yellow, the widest gap to 序时 first; each with the facts of its
    one-line reason: its worst open alert other than the investment gap, which has its own
    columns. Greens and the unassessed are counted, not listed."""
    moment = reads.window.as_of
    worst_alert: dict[int, AlertRow] = {}
    for alert in reads.alerts:
        if alert.project_id not in reads.projects or not alert.open_at(moment):
            continue
        # The gap to 序时 has its own columns; the reason says what else holds it back.
        if alert.kind == Alert.Kind.INVESTMENT_BEHIND:
            continue
        held = worst_alert.get(alert.project_id)
        if held is None or alert_rank(alert) < alert_rank(held):
            worst_alert[alert.project_id] = alert
    by_code = {p.code: p.id for p in reads.projects.values()}
    behind = []
    for row in rows:
        if row["light"] not in ("red", "yellow"):
            continue
        alert = worst_alert.get(by_code[row["code"]])
        points = _points(row)
        behind.append(
            {
                "code": row["code"],
                "name": row["name"],
                "park": row["park"],
                "light": row["light"],
                "plan_percent": row["plan_percent"],
                "time_progress_percent": row["time_progress_percent"],
                "points": share(points),
                "alert": None
                if alert is None
                else {
                    "kind": alert.kind,
                    "subject": alert.subject_key,
                    "severity": alert.severity,
                    "detail": alert.detail,
                    "project": {"code": row["code"], "name": row["name"]},
                },
                "responsible": row["responsible"],
                "leader": row["leader"],
            }
        )
    behind.sort(
        key=lambda b: (
            b["light"] != "red",
            Decimal(b["points"]) if b["points"] is not None else Decimal(0),
            b["code"],
        )
    )
    counts = Counter(row["light"] for row in rows)
    return {
        "projects": behind,
        "red": counts.get("red", 0),
        "yellow": counts.get("yellow", 0),
        "green": counts.get("green", 0),
        "unassessed": counts.get("unassessed", 0),
    }


def alert_rank(alert: AlertRow) -> tuple:
    return (-SEVERITY_RANK.get(alert.severity, 0), alert.first_seen_at, alert.kind, alert.id)


def _issue_list(reads: Reads, calendar) -> dict:
    """问题清单 at the data cut-off: every open issue with its 责任单位, 时限, state and
    working days overdue, the most overdue first; then the issues closed (销号) in the
    month, on time or late, with who closed them and when."""
    window = reads.window
    cutoff = cutoff_day(reads)
    closers = issue_closers(window)
    open_rows, closed_rows = [], []
    for issue in reads.issues:
        if issue.project_id not in reads.projects or issue.raised_at > window.cut:
            continue
        entry = issue_entry(reads, issue)
        if closed_by(issue, window.cut):
            if issue.closed_at < window.start:
                continue
            closed_on = timezone.localdate(issue.closed_at)
            late = (
                None
                if issue.deadline is None
                else calendar.workdays_between(
                    deadlines.due_day(issue.deadline, calendar), closed_on
                )
            )
            closed_rows.append(
                {
                    **entry,
                    "closed_by": closers.get(issue.id, ""),
                    "workdays_late": late if late and late > 0 else 0,
                    "on_time": None if late is None else late <= 0,
                }
            )
            continue
        open_rows.append(
            {**entry, "workdays_overdue": workdays_late(issue, cutoff=cutoff, calendar=calendar)}
        )
    open_rows.sort(
        key=lambda e: (
            -(e["workdays_overdue"] or 0),
            e["severity"] != Issue.Severity.CRITICAL,
            e["deadline"] or "9999-12-31",
            e["project"]["code"],
            e["id"],
        )
    )
    closed_rows.sort(key=lambda e: (e["on_time"] is not False, e["closed"], e["id"]))
    return {
        "cutoff": cutoff.isoformat(),
        "open": open_rows,
        "open_count": len(open_rows),
        "closed_count": len(closed_rows),
        "open_overdue": sum(1 for e in open_rows if e["workdays_overdue"]),
        "closed": closed_rows,
        "closed_late": sum(1 for e in closed_rows if e["on_time"] is False),
    }


def issue_closers(window) -> dict[int, str]:
    """Who closed (销号) each issue closed in the period: the last closing step's actor."""
    steps = (
        FollowUp.objects.filter(
            status_after=Issue.Status.CLOSED, acted_at__gte=window.start, acted_at__lt=window.end
        )
        .select_related("actor")
        .order_by("acted_at", "id")
    )
    return {step.issue_id: str(step.actor) if step.actor else step.actor_name for step in steps}


def _rankings(reads: Reads, parks: list[dict], calendar) -> dict:
    """红黑榜: parks (载体) ranked by completion against 序时, then by 办结率; departments
    by 办结率, then by fewest overdue issues. The top entry is on the red list and the
    bottom one on the black list when they pass the thresholds (settings)."""
    window = reads.window
    cutoff = cutoff_day(reads)
    park_of = {p.id: reads.park_names.get(p.park_id, "") for p in reads.projects.values()}
    tallies: dict[str, Counter] = defaultdict(Counter)
    departments: dict[str, Counter] = defaultdict(Counter)
    for issue in reads.issues:
        if issue.project_id not in reads.projects:
            continue
        if not (window.year_start <= issue.raised_at <= window.cut):
            continue
        done = closed_by(issue, window.cut)
        park = tallies[park_of[issue.project_id]]
        park["raised"] += 1
        park["closed"] += done
        if issue.department_id is None:
            continue
        department = departments[reads.department_names.get(issue.department_id, "")]
        department["assigned"] += 1
        department["closed"] += done
        if not done and workdays_late(issue, cutoff=cutoff, calendar=calendar):
            department["overdue"] += 1
    park_rows = []
    for park in parks:
        tally = tallies[park["name"]]
        points = None
        if park["plan_percent"] is not None and park["time_progress_percent"] is not None:
            points = Decimal(park["plan_percent"]) - Decimal(park["time_progress_percent"])
        closure = percent(Decimal(tally["closed"]), Decimal(tally["raised"]))
        park_rows.append(
            {
                "name": park["name"],
                "project_count": park["project_count"],
                "plan_percent": park["plan_percent"],
                "time_progress_percent": park["time_progress_percent"],
                "points": share(points),
                "raised": tally["raised"],
                "closed": tally["closed"],
                "closure_rate": share(closure),
            }
        )
    park_rows.sort(
        key=lambda r: (
            r["points"] is None,
            -Decimal(r["points"] or 0),
            -Decimal(r["closure_rate"] or 0),
            r["name"],
        )
    )
    department_rows = [
        {
            "name": name,
            "assigned": tally["assigned"],
            "closed": tally["closed"],
            "overdue": tally["overdue"],
            "closure_rate": share(percent(Decimal(tally["closed"]), Decimal(tally["assigned"]))),
        }
        for name, tally in departments.items()
    ]
    department_rows.sort(key=lambda r: (-Decimal(r["closure_rate"] or 0), r["overdue"], r["name"]))
    _mark(park_rows, points=True)
    _mark(department_rows, points=False)
    return {
        "parks": park_rows,
        "departments": department_rows,
        "thresholds": {
            "red_points": str(settings.BRIEFING_RED_LIST_POINTS),
            "red_closure": str(settings.BRIEFING_RED_LIST_CLOSURE),
            "black_points": str(settings.BRIEFING_BLACK_LIST_POINTS),
            "black_closure": str(settings.BRIEFING_BLACK_LIST_CLOSURE),
        },
    }


def _mark(rows: list[dict], *, points: bool) -> None:
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["list"] = None
    if len(rows) < 2:
        return
    top, bottom = rows[0], rows[-1]

    def value(row: dict, key: str) -> Decimal | None:
        return None if row.get(key) is None else Decimal(row[key])

    red = value(top, "closure_rate") is not None and (
        value(top, "closure_rate") >= settings.BRIEFING_RED_LIST_CLOSURE
    )
    if points:
        red = (
            red
            and value(top, "points") is not None
            and (value(top, "points") >= settings.BRIEFING_RED_LIST_POINTS)
        )
    black = value(bottom, "closure_rate") is not None and (
        value(bottom, "closure_rate") < settings.BRIEFING_BLACK_LIST_CLOSURE
    )
    if points:
        black = black or (
            value(bottom, "points") is not None
            and value(bottom, "points") <= settings.BRIEFING_BLACK_LIST_POINTS
        )
    if red:
        top["list"] = "red"
    if black:
        bottom["list"] = "black"


def _reached(milestone, day: date) -> bool:
    return milestone.actual_date is not None and milestone.actual_date <= day


def _sum(rows: list[dict], key: str, **where: str) -> Decimal:
    return sum(
        (Decimal(r[key]) for r in rows if all(r[k] == v for k, v in where.items())), Decimal(0)
    )


def _summary(reads: Reads, rows: list[dict]) -> dict:
    period = reads.window.period
    plan = _sum(rows, "annual_plan")
    ytd = _sum(rows, "completed_ytd")
    due = _sum(rows, "due_ytd")
    plan_percent = percent(ytd, plan)
    industrial = _sum(rows, "completed_ytd", category=Project.Category.INDUSTRIAL)
    zone = reads.zone_industrial
    elapsed_percent = progress.time_progress_percent(due, plan) or Decimal("0.0")
    target = reads.target
    return {
        "project_count": len(rows),
        "total_investment": money(_sum(rows, "total_investment")),
        "annual_plan": money(plan),
        "completed_month": money(_sum(rows, "completed_month")),
        "completed_ytd": money(ytd),
        "plan_percent": share(plan_percent),
        "period_label": progress.through(period.start.year, period.start.month).label,
        "elapsed_percent": str(elapsed_percent),
        "due_by_period_end": money(due),
        "points_vs_pace": share(None if plan_percent is None else (plan_percent - elapsed_percent)),
        "industrial_ytd": money(industrial),
        # The whole zone's figure, which the targets are measured against (None until an
        # official entered it), and the key projects' share of it.
        "zone_industrial_ytd": None if zone is None else money(zone.completed_amount),
        "zone_industrial_source": None if zone is None else zone.source,
        "industrial_share": None
        if zone is None
        else share(percent(industrial, zone.completed_amount)),
        "industrial_project_count": sum(r["category"] == Project.Category.INDUSTRIAL for r in rows),
        "target": None
        if target is None
        else {
            "project_count": target.project_count,
            "total_investment": money(target.total_investment),
            "planned_investment": money(target.planned_investment),
            "industrial_ensure": money(target.industrial_ensure),
            "industrial_strive": money(target.industrial_strive),
        },
    }


def _parks(rows: list[dict]) -> list[dict]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["park"]].append(row)
    parks = []
    for name, members in grouped.items():
        plan, ytd = _sum(members, "annual_plan"), _sum(members, "completed_ytd")
        due = _sum(members, "due_ytd")
        parks.append(
            {
                "name": name,
                "project_count": len(members),
                "total_investment": money(_sum(members, "total_investment")),
                "annual_plan": money(plan),
                "completed_ytd": money(ytd),
                "due_ytd": money(due),
                "plan_percent": share(percent(ytd, plan)),
                "time_progress_percent": share(progress.time_progress_percent(due, plan)),
            }
        )
    return sorted(parks, key=lambda p: (-Decimal(p["total_investment"]), p["name"]))


def _status_counts(rows: list[dict]) -> dict[str, int]:
    counts = Counter(r["status"] for r in rows)
    return {status: counts.get(status, 0) for status in Project.Status.values}


def _physical(rows: list[dict], milestones: dict[int, list], reads: Reads) -> dict:
    """形象进度 at the period's end, as reports count it (projects.progress): started when
    the 开工 milestone has an actual date, 开工率 and 竣工率 against the starts and
    completions planned by the period's end, investment by stage; and past halfway (more
    than half the milestones reached)."""
    period = reads.window.period
    reporting = progress.through(period.start.year, period.start.month)
    day = reporting.end
    halfway = 0
    all_dates = []
    stages = {stage: [0, Decimal(0), Decimal(0)] for stage in progress.Stage}
    by_code = {row["code"]: row for row in rows}
    for project_id, project in reads.projects.items():
        rows_of = milestones.get(project_id, [])
        reached = sum(_reached(m, day) for m in rows_of)
        if rows_of and reached * 2 > len(rows_of):
            halfway += 1
        dates = progress.key_dates(
            rows_of,
            planned_start=project.planned_start,
            planned_completion=project.planned_completion,
        )
        all_dates.append(dates)
        row = by_code[project.code]
        entry = stages[progress.stage(dates, reporting)]
        entry[0] += 1
        entry[1] += Decimal(row["annual_plan"])
        entry[2] += Decimal(row["completed_ytd"])
    starts, completions = progress.start_and_completion_rates(all_dates, reporting)
    return {
        "project_count": len(rows),
        "started": sum(d.actual_start is not None and d.actual_start <= day for d in all_dates),
        "past_halfway": halfway,
        "completed": sum(
            d.actual_completion is not None and d.actual_completion <= day for d in all_dates
        ),
        "starts": {
            "planned": starts.planned,
            "done": starts.done,
            "percent": share(starts.percent),
        },
        "completions": {
            "planned": completions.planned,
            "done": completions.done,
            "percent": share(completions.percent),
        },
        "stages": [
            {
                "stage": stage.value,
                "project_count": count,
                "annual_plan": money(plan),
                "completed_ytd": money(done),
                "plan_percent": share(percent(done, plan)),
            }
            for stage, (count, plan, done) in stages.items()
        ],
    }


def _issues_by_category(reads: Reads) -> dict:
    """办结率 of the issues raised this year up to the period's end: closed (销号) by the
    period's end over raised."""
    window = reads.window
    counts: dict[str, Counter] = defaultdict(Counter)
    for issue in reads.issues:
        if issue.project_id not in reads.projects:
            continue
        if not (window.year_start <= issue.raised_at < window.end):
            continue
        tally = counts[issue.category_id]
        tally["raised"] += 1
        if closed_by(issue, window.end):
            tally["closed"] += 1
        elif issue.status == Issue.Status.RESOLVED:
            tally["resolved"] += 1
        if window.start <= issue.raised_at:
            tally["raised_in_period"] += 1
    names = reads.category_names
    order = {code: index for index, (code, _name) in enumerate(reads.categories)}
    rows = [
        {
            "code": code,
            "name": names.get(code, code),
            "raised": tally["raised"],
            "raised_in_period": tally["raised_in_period"],
            "resolved": tally["resolved"],
            "closed": tally["closed"],
            "open": tally["raised"] - tally["closed"],
            "closure_rate": share(percent(Decimal(tally["closed"]), Decimal(tally["raised"]))),
        }
        for code, tally in counts.items()
    ]
    rows.sort(key=lambda r: (order.get(r["code"], len(order)), r["code"]))
    raised = sum(r["raised"] for r in rows)
    closed = sum(r["closed"] for r in rows)
    return {
        "raised": raised,
        "raised_in_period": sum(r["raised_in_period"] for r in rows),
        "resolved": sum(r["resolved"] for r in rows),
        "closed": closed,
        "open": raised - closed,
        "closure_rate": share(percent(Decimal(closed), Decimal(raised))),
        "categories": rows,
    }
