"""Investment through a reporting period, per project and for the zone, from a briefing's
reads: the year's plan, what is completed in months 1..N and what is due by then
(序时进度, as projects.progress counts it). The weekly strip and the monthly tables share
it, so both briefings print the same figures for the same period."""

from dataclasses import dataclass
from decimal import Decimal

from hitech_zone.money import percent
from projects import progress
from reports.briefings.reads import Reads


@dataclass(frozen=True)
class ProjectInvestment:
    plan: Decimal
    completed_month: Decimal | None  # the period's last month alone; None when not reported
    completed_ytd: Decimal
    due: Decimal


@dataclass(frozen=True)
class Investment:
    period: progress.ReportingPeriod
    projects: dict[int, ProjectInvestment]  # by project id, every project read
    plan: Decimal
    completed_ytd: Decimal
    due: Decimal

    @property
    def plan_percent(self) -> Decimal | None:
        """Completed as a share of the year's plan, one decimal; None without a plan."""
        return percent(self.completed_ytd, self.plan)

    @property
    def time_progress_percent(self) -> Decimal | None:
        """The zone's 序时进度: the projects' due amounts over their plans."""
        return progress.time_progress_percent(self.due, self.plan)

    @property
    def points_vs_pace(self) -> Decimal | None:
        """超 (positive) or 落后 (negative) 序时进度, in percentage points."""
        done, pace = self.plan_percent, self.time_progress_percent
        return None if done is None or pace is None else done - pace


def investment_through(reads: Reads, period: progress.ReportingPeriod) -> Investment:
    """Each project's plan, completion and due amount through `period`, and their sums.
    The reads must hold the plans and monthly figures of `period.year`."""
    rows = {}
    for project_id, project in reads.projects.items():
        amounts = reads.monthly.get(project_id, {})
        plan = reads.plans.get(project_id, Decimal(0))
        rows[project_id] = ProjectInvestment(
            plan=plan,
            completed_month=amounts.get(period.month),
            completed_ytd=sum(
                (amount for month, amount in amounts.items() if month <= period.month),
                Decimal(0),
            ),
            due=progress.due_amount(
                period,
                annual_plan=plan,
                planned_start=project.planned_start,
                monthly_plan=reads.monthly_plans.get(project_id),
            ),
        )
    return Investment(
        period=period,
        projects=rows,
        plan=sum((row.plan for row in rows.values()), Decimal(0)),
        completed_ytd=sum((row.completed_ytd for row in rows.values()), Decimal(0)),
        due=sum((row.due for row in rows.values()), Decimal(0)),
    )
