"""Realistic data at a given number of projects, from a fixed seed.

The zone scale is the demo data itself (the 28 key projects). The larger scales add
generated projects on top, each with what a real one carries: ten milestones spread over
its schedule, some reached late and some slipping, an annual plan, twelve months of
investment, three site visits and six issues in every state of their life cycle. Rows go
in with bulk inserts and their history rows (the briefings read the history tables).
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from hitech_zone.demo import load_demo
from hitech_zone.models import User
from hitech_zone.permissions import Role, role_groups
from inspections.models import Department, Issue, IssueCategory, SiteVisit
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Park, Project, Sector

SEED = 20261127
MILESTONES_PER_PROJECT = 10
VISITS_PER_PROJECT = 3
ISSUES_PER_VISIT = 2
PROJECTS_PER_MANAGER = 5
BATCH = 2000

MILESTONE_NAMES = (
    "立项备案",
    "土地摘牌",
    "规划许可",
    "施工许可",
    "开工建设",
    "主体结构封顶",
    "设备进场",
    "竣工验收",
    "试生产",
    "正式投产",
)
COMPANY_WORDS = ("华芯", "中科", "瑞能", "恒力", "博远", "新材", "智造", "海创", "东方", "天成")
PROJECT_WORDS = ("研发中心", "生产基地", "产业园", "扩建项目", "智能工厂", "新建项目")
ISSUE_TITLES = (
    "钢材到货延迟，影响主体施工",
    "一线技术工人招聘缺口较大",
    "施工许可审批材料待补充",
    "厂区用电增容尚未完成",
    "物流通道占用，材料运输受阻",
    "融资到位进度慢于计划",
)
STATUS_WEIGHTS = {
    Project.Status.CONSTRUCTION: 50,
    Project.Status.PREPARATION: 20,
    Project.Status.TRIAL: 10,
    Project.Status.COMPLETED: 10,
    Project.Status.PIPELINE: 5,
    Project.Status.SUSPENDED: 5,
}
ISSUE_STATUS_WEIGHTS = {
    Issue.Status.RAISED: 10,
    Issue.Status.ASSIGNED: 20,
    Issue.Status.IN_PROGRESS: 20,
    Issue.Status.RESOLVED: 10,
    Issue.Status.CLOSED: 40,
}


def reset() -> None:
    """An empty database with the reference rows the migrations load."""
    call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)


def analyze() -> None:
    """Fresh planner statistics, as autovacuum (PostgreSQL) or a nightly ANALYZE would keep."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def populate(projects: int, *, seed: int = SEED, today: date | None = None) -> dict[str, int]:
    """Loads the demo (28 projects), then generated projects up to `projects` in all."""
    today = today or timezone.localdate()
    load_demo()
    extra = projects - Project.objects.count()
    if extra > 0:
        with transaction.atomic():
            _generate(extra, random.Random(seed), today)
    analyze()
    return counts()


def counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "milestones": Milestone.objects.count(),
        "monthly_investments": MonthlyInvestment.objects.count(),
        "site_visits": SiteVisit.objects.count(),
        "issues": Issue.objects.count(),
    }


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _users(count: int, role: Role, prefix: str) -> list[User]:
    """Bulk users sharing one unusable password: the bench signs them in with force_login."""
    users = User.objects.bulk_create(
        User(username=f"{prefix}{n:05d}", full_name=f"{prefix}{n:05d}", password="!")
        for n in range(count)
    )
    group = role_groups()[role]
    if not users[0].pk:
        users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=group.pk) for user in users
    )
    return users


def _generate(extra: int, rng: random.Random, today: date) -> None:
    parks = list(Park.objects.all())
    sectors = list(Sector.objects.all())
    departments = list(Department.objects.all())
    categories = list(IssueCategory.objects.all())
    leaders = list(User.objects.filter(groups__name=Role.LEADER))
    managers = _users(max(extra // PROJECTS_PER_MANAGER, 1), Role.PROJECT_MANAGER, "bench-pm-")
    officials = _users(max(extra // 50, 1), Role.OFFICIAL, "bench-official-")
    # History rows dated before every period a briefing covers, as if loaded long ago.
    loaded_at = timezone.make_aware(datetime.combine(today - timedelta(days=730), time(9)))

    projects = []
    for n in range(extra):
        sector = rng.choice(sectors)
        start = today - timedelta(days=rng.randrange(0, 900))
        projects.append(
            Project(
                code=f"B{n:05d}",
                name=f"{rng.choice(COMPANY_WORDS)}{sector.name}{rng.choice(PROJECT_WORDS)}",
                company=f"{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS)}科技有限公司",
                sector=sector,
                park=rng.choice(parks),
                level=rng.choice(Project.Level.values),
                category=rng.choices(Project.Category.values, weights=(60, 25, 15))[0],
                total_investment=_money(rng, 5_000, 500_000),
                status=_weighted(rng, STATUS_WEIGHTS),
                planned_start=start,
                planned_completion=start + timedelta(days=rng.randrange(365, 1460)),
                # 入库 within weeks of the planned start, as most key projects are.
                in_statistics_on=min(start + timedelta(days=rng.randrange(10, 40)), today),
                responsible_person=rng.choice(officials),
                leader_in_charge=rng.choice(leaders) if leaders else None,
                location="高新区",
            )
        )
    projects = bulk_create_with_history(projects, Project, batch_size=BATCH, default_date=loaded_at)
    if not projects[0].pk:
        projects = list(Project.objects.filter(code__startswith="B").order_by("code"))
    Project.managers.through.objects.bulk_create(
        (
            Project.managers.through(project_id=project.pk, user_id=managers[i % len(managers)].pk)
            for i, project in enumerate(projects)
        ),
        batch_size=BATCH,
    )

    milestones, plans, months = [], [], []
    for project in projects:
        span = (project.planned_completion - project.planned_start).days
        # Most projects keep to plan; some run a little late, a few badly.
        slip = rng.choices((0, 5, 15, 40, 90), weights=(60, 15, 10, 10, 5))[0]
        for sequence in range(1, MILESTONES_PER_PROJECT + 1):
            baseline = project.planned_start + timedelta(
                days=span * (sequence - 1) // (MILESTONES_PER_PROJECT - 1)
            )
            reached = baseline + timedelta(days=rng.randrange(-10, 10) + slip)
            done = reached <= today and rng.random() < 0.9
            milestones.append(
                Milestone(
                    project=project,
                    sequence=sequence,
                    name=MILESTONE_NAMES[sequence - 1],
                    baseline_date=baseline,
                    actual_date=reached if done else None,
                    # A forecast is entered when a date is expected to move.
                    forecast_date=None if done or not slip else max(reached, today),
                )
            )
        plans.append(
            AnnualPlan(
                project=project,
                year=today.year,
                planned_investment=(project.total_investment * Decimal("0.3")).quantize(
                    Decimal("0.01")
                ),
            )
        )
        monthly = project.total_investment / 40
        for back in range(12, 0, -1):
            year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
            months.append(
                MonthlyInvestment(
                    project=project,
                    year=year,
                    month=month + 1,
                    completed_amount=(monthly * Decimal(rng.uniform(0.2, 1.6))).quantize(
                        Decimal("0.01")
                    ),
                )
            )
    bulk_create_with_history(milestones, Milestone, batch_size=BATCH, default_date=loaded_at)
    bulk_create_with_history(plans, AnnualPlan, batch_size=BATCH, default_date=loaded_at)
    bulk_create_with_history(months, MonthlyInvestment, batch_size=BATCH, default_date=loaded_at)

    visits = []
    for i, project in enumerate(projects):
        for _ in range(VISITS_PER_PROJECT):
            visits.append(
                SiteVisit(
                    project=project,
                    visited_on=today - timedelta(days=rng.randrange(1, 365)),
                    notes="现场查看施工进度，协调材料供应与用工问题。",
                    created_by=managers[i % len(managers)],
                    idempotency_key=uuid.UUID(int=rng.getrandbits(128)),
                )
            )
    visits = bulk_create_with_history(visits, SiteVisit, batch_size=BATCH, default_date=loaded_at)
    if not visits[0].pk:
        visits = list(
            SiteVisit.objects.filter(project__code__startswith="B").order_by("project__code", "id")
        )

    issues = []
    for visit in visits:
        raised = timezone.make_aware(datetime.combine(visit.visited_on, time(10)))
        for _ in range(ISSUES_PER_VISIT):
            status = _weighted(rng, ISSUE_STATUS_WEIGHTS)
            assigned = status != Issue.Status.RAISED
            issues.append(
                Issue(
                    project_id=visit.project_id,
                    site_visit=visit,
                    title=rng.choice(ISSUE_TITLES),
                    category=rng.choice(categories),
                    severity=rng.choices(Issue.Severity.values, weights=(70, 25, 5))[0],
                    status=status,
                    department=rng.choice(departments) if assigned else None,
                    deadline=visit.visited_on + timedelta(days=rng.randrange(5, 60))
                    if assigned
                    else None,
                    raised_by=visit.created_by,
                    raised_at=raised,
                    assigned_at=raised + timedelta(days=1) if assigned else None,
                    closed_at=raised + timedelta(days=rng.randrange(3, 60))
                    if status == Issue.Status.CLOSED
                    else None,
                )
            )
    bulk_create_with_history(issues, Issue, batch_size=BATCH, default_date=loaded_at)
