"""The demo-data loader (`manage.py load_demo`), against the real test database."""

import hashlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import F, Q, Sum
from django.utils import timezone

from hitech_zone.demo import DEMO_PASSWORD, load_demo
from hitech_zone.models import User
from hitech_zone.permissions import Role
from inspections.models import FollowUp, Issue, SiteVisit, VisitParticipant
from projects import progress
from projects.models import (
    AnnualPlan,
    Milestone,
    MonthlyInvestment,
    Park,
    Project,
    Sector,
    ZoneTarget,
)
from projects.selectors import project_list
from reports.models import Alert, AlertEscalation, MilestoneProjection

pytestmark = pytest.mark.django_db

# Days of a year before the suite's clock (tests/clock.py, at the earliest 2026 in the
# date matrix): Milestone.clean() checks actual dates against the clock, so the loader
# cannot be asked about a later day. TODAY stands for the clock's own day.
LAST_YEAR = 2025
TODAY = None
DAYS = [
    date(LAST_YEAR, 1, 3),
    date(LAST_YEAR, 2, 25),
    date(LAST_YEAR, 4, 15),
    date(LAST_YEAR, 6, 30),
    date(LAST_YEAR, 11, 27),
    date(LAST_YEAR, 12, 31),
    TODAY,
]
LATE_IN_YEAR = date(LAST_YEAR, 11, 27)
# The months reported since an earlier load: the projects' and the zone's industrial.
MONTHLY_FIGURES = {
    "projects.MonthlyInvestment",
    "projects.HistoricalMonthlyInvestment",
    "projects.ZoneIndustrialInvestment",
    "projects.HistoricalZoneIndustrialInvestment",
}
SLIP_DETECTION = {
    "reports.Alert",
    "reports.AlertEscalation",
    "reports.MilestoneProjection",
    "inspections.Notification",
}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The loader sets four passwords each run; the real hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Each slip detection logs its run (and that write moves the data version): a log of
# runs, not demo data.
RUN_LOGS = {"reports.SlipDetectionRun", "hitech_zone.DataVersion"}


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row, for every model but the run logs: historical
    ones and many-to-many tables included."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label in RUN_LOGS:
            continue
        rows = list(model._default_manager.order_by("pk").values_list())
        state[model._meta.label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return state


def test_second_run_changes_nothing():
    first = load_demo(today=LATE_IN_YEAR)
    assert first["projects.Project"] == 28
    before = snapshot()
    assert before["projects.HistoricalProject"][0] > 0
    assert before["projects.HistoricalMilestone"][0] == Milestone.objects.count()

    second = load_demo(today=LATE_IN_YEAR)

    assert not any(second.values()), second
    assert snapshot() == before


def test_a_later_run_leaves_existing_rows_alone():
    load_demo(today=date(LAST_YEAR, 6, 30))
    before = {
        label: count
        for label, (count, _) in snapshot().items()
        if label not in MONTHLY_FIGURES
        # The slip detection at the end of the run sees the later day's facts.
        and label not in SLIP_DETECTION
    }
    project = Project.objects.get(code="GX-001")
    updated_at = project.updated_at

    created = load_demo(today=LATE_IN_YEAR)

    # Only the months reported since then are new (and what the slip detection found).
    assert set(created) <= {
        "projects.MonthlyInvestment",
        "projects.ZoneIndustrialInvestment",
        *SLIP_DETECTION,
    }
    assert set(MonthlyInvestment.objects.values_list("month", flat=True)) == set(range(1, 11))
    after = {label: count for label, (count, _) in snapshot().items() if label in before}
    assert after == before
    project.refresh_from_db()
    assert project.updated_at == updated_at


def test_the_zone_totals():
    load_demo(today=LATE_IN_YEAR)
    projects = Project.objects.all()

    assert projects.count() == 28
    assert set(projects.values_list("level", flat=True)) == {Project.Level.CITY}
    assert projects.aggregate(total=Sum("total_investment"))["total"] == Decimal("1525000")
    plans = AnnualPlan.objects.filter(year=LAST_YEAR)
    assert plans.count() == 28
    assert plans.aggregate(total=Sum("planned_investment"))["total"] == Decimal("500000")
    target = ZoneTarget.objects.get(year=LAST_YEAR)
    assert target.project_count == 28
    assert target.total_investment == Decimal("1525000")
    assert target.planned_investment == Decimal("500000")
    assert (target.industrial_ensure, target.industrial_strive) == (
        Decimal("550000"),
        Decimal("700000"),
    )
    assert projects.filter(is_demo=False).count() == 4
    assert projects.filter(is_demo=True).count() == 24
    assert sorted(projects.values_list("code", flat=True)) == [f"GX-{n:03d}" for n in range(1, 29)]
    industrial_plan = plans.filter(project__category=Project.Category.INDUSTRIAL)
    assert industrial_plan.aggregate(total=Sum("planned_investment"))["total"] > Decimal("250000")


def test_reference_data():
    load_demo(today=LATE_IN_YEAR)

    parks = dict(Park.objects.values_list("name", "kind"))
    assert parks["人工智能产业园"] == Park.Kind.PARK
    assert parks["氢能源汽车产业园"] == Park.Kind.PARK
    assert parks["昆承湖金融科技岛"] == Park.Kind.ISLAND
    assert parks["加氢站"] == Park.Kind.CARRIER
    # 三园一岛: the third park is invented and says so.
    invented = [name for name, kind in parks.items() if kind == Park.Kind.PARK and "演示" in name]
    assert len(invented) == 1
    assert Park.objects.filter(kind=Park.Kind.PARK).count() == 3
    sectors = set(Sector.objects.values_list("name", flat=True))
    assert {
        "氢能源汽车",
        "新能源电池",
        "5G",
        "数字经济",
        "人工智能",
        "金融科技",
        "新基建",
    } <= sectors
    # Every sector and park in use.
    assert not Sector.objects.filter(projects=None).exists()
    assert not Park.objects.filter(projects=None).exists()


def test_users_and_roles():
    load_demo(today=LATE_IN_YEAR)

    for username, role in [
        ("official", Role.OFFICIAL),
        ("leader", Role.LEADER),
        ("pm", Role.PROJECT_MANAGER),
        ("admin", Role.ADMIN),
    ]:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert user.groups.filter(name=role.value).exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    leader = User.objects.get(username="leader")
    assert (leader.full_name, leader.job_title) == ("姚丽英", "市政协副主席、高新区管委会副主任")
    pm = User.objects.get(username="pm")
    assert (pm.full_name, pm.job_title) == ("陈华瑞", "项目现场负责人")
    assert "演示" in User.objects.get(username="official").full_name
    # The other officials are named as responsible persons but cannot sign in.
    extras = User.objects.filter(groups__name=Role.OFFICIAL.value).exclude(username="official")
    assert extras.count() >= 4
    assert all(user.is_active and not user.has_usable_password() for user in extras)
    responsible = User.objects.filter(responsible_projects__isnull=False).distinct()
    assert responsible.count() >= 4
    assert all(user.groups.filter(name=Role.OFFICIAL.value).exists() for user in responsible)
    leaders = set(Project.objects.values_list("leader_in_charge__username", flat=True))
    assert "leader" in leaders and len(leaders) >= 2


def test_zhengli_as_the_article_tells_it():
    load_demo(today=LATE_IN_YEAR)
    project = Project.objects.get(name="江苏正力新能电芯项目")

    assert project.total_investment == Decimal("100000")
    assert project.company == "江苏正力新能电池技术有限公司"
    assert project.sector.name == "新能源电池"
    assert project.category == Project.Category.INDUSTRIAL
    assert project.status == Project.Status.CONSTRUCTION
    assert not project.is_demo
    assert list(project.managers.values_list("username", flat=True)) == ["pm"]
    # Signed the year before; slipped this year for want of materials.
    assert project.milestones.filter(baseline_date__year=LAST_YEAR - 1).exists()
    assert project.milestones.filter(forecast_date__gt=F("baseline_date")).exists()
    slipped = [m for m in project.milestones.all() if m.slip_days(LATE_IN_YEAR) > 0]
    assert slipped

    visit = SiteVisit.objects.get(project=project)
    assert visit.visited_on == date(LAST_YEAR, 4, 14)
    assert "2月24日" in visit.notes and "湖北" in visit.notes
    people = {(p.side, p.name, p.title) for p in visit.participants.all()}
    assert (VisitParticipant.Side.VISITOR, "姚丽英", "市政协副主席、高新区管委会副主任") in people
    assert (VisitParticipant.Side.SITE_CONTACT, "陈华瑞", "项目现场负责人") in people

    issue = visit.issues.get()
    assert issue.category_id == Issue.Category.MATERIAL_SUPPLY
    assert issue.status == Issue.Status.CLOSED and issue.closed_at
    follow_ups = list(issue.follow_ups.all())
    by_company = [f for f in follow_ups if f.actor_name == "江苏正力新能电池技术有限公司"]
    assert by_company and "总部" in by_company[0].action
    assert any(f.actor_id and "运输" in f.action for f in follow_ups)


def test_chongsu_as_the_article_tells_it():
    load_demo(today=LATE_IN_YEAR)
    project = Project.objects.get(name="重塑能源科技项目")

    assert project.total_investment == Decimal("200000")
    assert project.company == "江苏重塑能源科技有限公司"
    assert project.park.name == "氢能源汽车产业园"
    assert project.sector.name == "氢能源汽车"
    phases = list(project.phases.order_by("number"))
    assert [(p.number, p.name) for p in phases] == [(1, "一期"), (2, "二期"), (3, "三期")]
    assert "年产2万套燃料电池动力系统" in phases[0].scope
    assert sum(p.investment for p in phases) == Decimal("200000")
    # Trial production expected in June slipped a little into July.
    trial = project.milestones.get(name__contains="试生产")
    assert trial.baseline_date == date(LAST_YEAR, 6, 30)
    assert trial.actual_date.month == 7
    assert trial.phase == phases[0]
    assert project.status == Project.Status.TRIAL

    visit = SiteVisit.objects.get(project=project)
    assert visit.visited_on == date(LAST_YEAR, 4, 14)
    assert visit.participants.filter(name="姚丽英", side=VisitParticipant.Side.VISITOR).exists()
    assert visit.participants.filter(side=VisitParticipant.Side.SITE_CONTACT).exists()
    issue = visit.issues.get()
    assert issue.category_id == Issue.Category.HIRING
    assert issue.department.name == "组织人事劳动局"
    assert issue.deadline > visit.visited_on
    actions = " ".join(issue.follow_ups.values_list("action", flat=True))
    assert "招聘" in actions and "院校" in actions


def test_the_other_two_article_sites():
    load_demo(today=LATE_IN_YEAR)

    hotel = Project.objects.get(name="昆承湖日航国际中心")
    assert hotel.park.kind == Park.Kind.ISLAND
    assert hotel.category == Project.Category.SERVICE
    ai_park = Project.objects.get(name="人工智能科技产业园")
    assert ai_park.park.name == "人工智能产业园"
    assert ai_park.category == Project.Category.INFRASTRUCTURE
    assert not hotel.is_demo and not ai_park.is_demo
    assert Project.objects.filter(company="索特传动设备有限公司", is_demo=True).exists()


def day_id(day: date | None) -> str:
    return "today" if day is None else str(day)


@pytest.mark.date_sensitive
@pytest.mark.parametrize("today", DAYS, ids=day_id)
def test_laid_out_around_the_day_it_runs(today):
    today = today or timezone.localdate()
    load_demo(today=today)
    year = today.year
    # Times of day are not laid out on today itself, so none can lie ahead of the clock.
    midnight = timezone.make_aware(datetime.combine(today, time.min))

    # The totals hold whatever the day.
    assert Project.objects.aggregate(total=Sum("total_investment"))["total"] == Decimal("1525000")
    plans = AnnualPlan.objects.filter(year=year).aggregate(total=Sum("planned_investment"))
    assert plans["total"] == Decimal("500000")

    # Nothing has happened after today.
    assert not Milestone.objects.filter(actual_date__gt=today).exists()
    assert not SiteVisit.objects.filter(visited_on__gt=today).exists()
    assert not Issue.objects.filter(raised_at__gte=midnight).exists()
    assert not Issue.objects.filter(closed_at__gte=midnight).exists()
    assert not FollowUp.objects.filter(acted_at__gte=midnight).exists()
    assert not MonthlyInvestment.objects.filter(
        Q(year__gt=year) | Q(year=year, month__gte=today.month)
    ).exists()
    assert not MonthlyInvestment.objects.filter(completed_amount__lte=0).exists()

    # The plan is coherent.
    for project in Project.objects.prefetch_related("milestones"):
        milestones = list(project.milestones.all())
        assert 4 <= len(milestones) <= 6, project
        assert [m.sequence for m in milestones] == list(range(1, len(milestones) + 1))
        baselines = [m.baseline_date for m in milestones]
        assert baselines == sorted(baselines), project
        assert project.planned_start <= project.planned_completion
        assert project.responsible_person_id and project.leader_in_charge_id
        assert project.location and project.description

    # A few projects slip.
    later_than_planned = Milestone.objects.filter(forecast_date__gt=F("baseline_date"))
    assert later_than_planned.values("project").distinct().count() >= 2
    if today >= date(year, 4, 1):
        overdue = Milestone.objects.filter(baseline_date__lt=today, actual_date__isnull=True)
        assert overdue.values("project").distinct().count() >= 2

    # Open issues, some past their deadline; every issue's status matches its last step.
    open_issues = Issue.objects.exclude(status=Issue.Status.CLOSED)
    assert open_issues.filter(deadline__lt=today).exists()
    for issue in Issue.objects.prefetch_related("follow_ups"):
        steps = list(issue.follow_ups.all())
        assert issue.status == (steps[-1].status_after if steps else Issue.Status.RAISED)
        assert all(step.acted_at >= issue.raised_at for step in steps)

    assert len(set(Project.objects.values_list("status", flat=True))) >= 4


@pytest.mark.parametrize("today", [d for d in DAYS if d and d.month > 1], ids=str)
def test_investment_somewhat_behind_time_elapsed(today):
    """The demo fills January to last month; spread evenly, that is (month − 1)/12 of
    the zone's 50 亿元 plan, of which the zone stands at 85–95 %."""
    load_demo(today=today)
    share = Decimal(today.month - 1) / 12
    completed = MonthlyInvestment.objects.filter(year=today.year).aggregate(
        total=Sum("completed_amount")
    )
    assert Decimal("0.85") <= completed["total"] / (Decimal("500000") * share) <= Decimal("0.95")


def test_in_january_the_new_year_has_no_figures_and_last_year_is_whole():
    """On 3 January no month of the year has ended; the pages show last year's 1–12月,
    so the demo gives last year its plans (50 亿元) and all twelve months."""
    load_demo(today=date(LAST_YEAR, 1, 3))
    assert not MonthlyInvestment.objects.filter(year=LAST_YEAR).exists()
    months = set(
        MonthlyInvestment.objects.filter(year=LAST_YEAR - 1).values_list("month", flat=True)
    )
    assert months == set(range(1, 13))
    plans = AnnualPlan.objects.filter(year=LAST_YEAR - 1).aggregate(total=Sum("planned_investment"))
    assert plans["total"] == Decimal("500000")


def test_most_projects_near_plan_a_few_far_behind():
    load_demo(today=LATE_IN_YEAR)
    share = Decimal(LATE_IN_YEAR.month - 1) / 12
    completed = dict(
        MonthlyInvestment.objects.values("project__code")
        .annotate(total=Sum("completed_amount"))
        .values_list("project__code", "total")
    )
    gaps = {
        plan.project.code: share
        - completed.get(plan.project.code, Decimal(0)) / plan.planned_investment
        for plan in AnnualPlan.objects.select_related("project")
    }
    far_behind = [code for code, gap in gaps.items() if gap > Decimal("0.30")]
    near_plan = [code for code, gap in gaps.items() if abs(gap) <= Decimal("0.15")]
    assert 3 <= len(far_behind) <= 8
    assert len(near_plan) >= 14
    assert "GX-001" not in near_plan  # the material shortage shows


def test_before_april_the_article_visits_are_a_few_days_ago():
    today = date(LAST_YEAR, 1, 3)
    load_demo(today=today)

    visit = SiteVisit.objects.get(project__code="GX-001")
    assert today - timedelta(days=7) <= visit.visited_on < today
    # Work has not resumed yet on 24 February: the notes do not say it has.
    assert "2月24日" not in visit.notes
    assert Issue.objects.filter(site_visit=visit).exists()


def test_a_day_after_the_real_one_is_refused():
    with pytest.raises(ValueError):
        load_demo(today=timezone.localdate() + timedelta(days=1))
    assert not Project.objects.exists()


def test_command_loads_and_reloads(capsys, settings):
    settings.DEBUG = True
    call_command("load_demo")
    assert Project.objects.count() == 28
    assert "hitech-demo" in capsys.readouterr().out
    before = snapshot()

    call_command("load_demo")

    assert snapshot() == before


def test_command_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo")
    assert not Project.objects.exists()
    assert not User.objects.exists()

    call_command("load_demo", force=True)
    assert Project.objects.count() == 28


@pytest.mark.parametrize("today", [date(LAST_YEAR, 6, 30), LATE_IN_YEAR], ids=str)
def test_a_fresh_demo_has_projections_and_alerts_that_agree_with_the_lights(today):
    load_demo(today=today)
    official = User.objects.get(username="official")

    assert MilestoneProjection.objects.exists()
    open_alerts = Alert.objects.filter(resolved_at__isnull=True)
    assert open_alerts.filter(severity=Alert.Severity.RED).exists()
    assert open_alerts.filter(severity=Alert.Severity.YELLOW).exists()
    # Red alerts went to the responsible persons, as notices (the replayed nights also
    # escalated red alerts resolved since).
    open_red = open_alerts.filter(severity=Alert.Severity.RED)
    assert AlertEscalation.objects.filter(
        step=AlertEscalation.Step.RESPONSIBLE, alert__in=open_red
    ).count() == (open_red.count())
    worst = dict.fromkeys(Project.objects.values_list("pk", flat=True), "green")
    for project_id, severity in open_alerts.values_list("project_id", "severity"):
        if severity == "red" or worst[project_id] == "green":
            worst[project_id] = severity
    lights = {project.pk: project.light for project in project_list(user=official, as_of=today)}
    # Without an alert a project is green, or not yet assessed (no plan due yet).
    assert {pk: "green" if light == "unassessed" else light for pk, light in lights.items()} == (
        worst
    )
    # A plausible spread: most projects on plan or at risk, a few red.
    counts = {light: list(lights.values()).count(light) for light in ("green", "yellow", "red")}
    assert counts["green"] >= 8, counts
    assert counts["yellow"] >= 3, counts
    assert 3 <= counts["red"] <= 14, counts


@pytest.mark.date_sensitive
def test_the_demo_of_the_clock_s_day_has_real_months_and_a_full_dashboard(client):
    """Whatever the day (1 January and 31 December 23:59 included), the demo's figures
    lie in months that exist and have passed, and the leader's first page shows the
    zone: its 28 projects, 152.5 亿元 in total and 50 亿元 planned for the year on show
    (last year's until the 1–2月 figures are due)."""
    today = timezone.localdate()
    load_demo()

    months = MonthlyInvestment.objects.values_list("year", "month")
    # In January the new year has no figures yet; the pages show last year's whole year.
    assert months.filter(year=today.year).exists() == (today.month > 1)
    assert months.filter(year=progress.reporting_period(today).year).exists()
    assert all(1 <= month <= 12 for _year, month in months)
    assert all((year, month) < (today.year, today.month) for year, month in months)
    for milestone in Milestone.objects.all():
        for day in (milestone.baseline_date, milestone.forecast_date, milestone.actual_date):
            assert day is None or date(2000, 1, 1) <= day <= date(2100, 12, 31), milestone
        assert milestone.actual_date is None or milestone.actual_date <= today

    client.force_login(User.objects.get(username="leader"))
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "152.5 亿元" in body
    assert "50.0 亿元" in body or "50 亿元" in body
    names = list(Project.objects.values_list("name", flat=True))
    assert len(names) == 28
    assert sum(name in body for name in names) >= 5, "the first page lists projects"
