"""The monthly briefing's (月通报) sections: the whole portfolio against its targets."""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from hitech_zone.money import percent
from inspections.models import Issue
from projects import progress
from projects.models import Project
from reports.briefings.common import by_project, closed_by, money, share
from reports.briefings.reads import Reads


def monthly_sections(reads: Reads, lights: dict[int, str]) -> dict:
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
            }
        )
    return {
        "year": period.start.year,
        "summary": _summary(reads, rows),
        "projects": rows,
        "parks": _parks(rows),
        "status_counts": _status_counts(rows),
        "physical": _physical(rows, milestones, reads),
        "issues_by_category": _issues_by_category(reads),
    }


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
