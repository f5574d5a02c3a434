"""Alerts follow the signals: opened, seen again, resolved; never twice; always the light."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from inspections.models import Issue
from projects import pages
from projects.lights import RANKS, Light
from projects.models import AnnualPlan, Milestone, Project
from projects.selectors import project_list
from reports import signals
from reports.alerts import alert_message, alerts_refresh
from reports.detection import slip_detect
from reports.models import Alert
from reports.selectors import alert_list_open_for_project, milestone_projections_for_project
from tests import factories
from tests.clock import clock_pinned_to
from tests.reports.slip_helpers import alert_rows, at, open_alerts

pytestmark = pytest.mark.django_db
# Fixed dates in 2026; the records the tests make are made after them.
pinned_clock = clock_pinned_to("2026-11-18T10:00")

Kind = Alert.Kind
RED, YELLOW = Alert.Severity.RED, Alert.Severity.YELLOW
AS_OF = date(2026, 7, 15)


@pytest.fixture
def late_project():
    project = factories.ProjectFactory(code="T-LATE")
    factories.MilestoneFactory(project=project, sequence=1, baseline_date=date(2026, 7, 1))
    factories.MilestoneFactory(
        project=project,
        sequence=2,
        baseline_date=date(2026, 9, 1),
        forecast_date=date(2026, 9, 11),
    )
    factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("10000"))
    return project


def test_a_second_run_with_the_same_moment_changes_nothing(late_project):
    first = alerts_refresh(now=at(AS_OF))
    assert (first.opened, first.resolved, first.kept) == (3, 0, 0)
    before = alert_rows()

    second = alerts_refresh(now=at(AS_OF))

    assert (second.opened, second.resolved, second.kept) == (0, 0, 3)
    assert alert_rows() == before


def test_a_later_run_sees_the_alert_again_and_keeps_its_facts_as_first_seen(late_project):
    alerts_refresh(now=at(AS_OF))
    overdue = Alert.objects.get(kind=Kind.MILESTONE_OVERDUE)
    assert overdue.detail["days"] == 14

    alerts_refresh(now=at(AS_OF + timedelta(days=1)))

    overdue.refresh_from_db()
    assert overdue.first_seen_at == at(AS_OF)
    assert overdue.last_seen_at == at(AS_OF + timedelta(days=1))
    # A briefing re-rendered as of the first night reads what was true that night.
    assert overdue.detail["days"] == 14
    assert overdue.resolved_at is None
    assert Alert.objects.count() == 3


def test_a_change_of_severity_resolves_the_old_alert_and_opens_a_new_one(late_project):
    alerts_refresh(now=at(AS_OF))
    milestone = Milestone.objects.get(project=late_project, sequence=2)
    yellow = Alert.objects.get(kind=Kind.FORECAST_LATE)
    assert yellow.severity == YELLOW

    Milestone.objects.filter(pk=milestone.pk).update(forecast_date=date(2026, 10, 15))
    result = alerts_refresh(now=at(AS_OF + timedelta(days=1)))

    assert (result.opened, result.resolved) == (1, 1)
    yellow.refresh_from_db()
    assert yellow.resolved_at == at(AS_OF + timedelta(days=1))
    red = Alert.objects.get(kind=Kind.FORECAST_LATE, resolved_at__isnull=True)
    assert (red.severity, red.subject_key) == (RED, f"milestone:{milestone.pk}")
    assert red.first_seen_at == at(AS_OF + timedelta(days=1))
    assert red.detail["days"] == 44

    # Back to yellow: the red one closes, a new yellow one opens (the old one stays closed).
    Milestone.objects.filter(pk=milestone.pk).update(forecast_date=date(2026, 9, 5))
    alerts_refresh(now=at(AS_OF + timedelta(days=2)))
    assert Alert.objects.filter(kind=Kind.FORECAST_LATE).count() == 3
    assert open_alerts(late_project) >= {(Kind.FORECAST_LATE, f"milestone:{milestone.pk}", YELLOW)}


def test_one_open_alert_per_signal_even_when_another_run_got_there_first(late_project, monkeypatch):
    """Another run opens the same alert between this run's read and its write: the partial
    unique constraint with ignore_conflicts keeps one."""
    real_findings = signals.findings

    def findings_then_a_racing_run(as_of, skipped=None):
        found = real_findings(as_of, skipped)
        Alert.objects.bulk_create(
            [
                Alert(
                    project_id=f.project_id,
                    kind=f.kind,
                    subject_key=f.subject_key,
                    severity=f.severity,
                    detail=f.detail,
                    first_seen_at=at(AS_OF),
                    last_seen_at=at(AS_OF),
                )
                for f in found
            ]
        )
        return found

    monkeypatch.setattr(signals, "findings", findings_then_a_racing_run)
    alerts_refresh(now=at(AS_OF))

    assert Alert.objects.count() == 3
    assert Alert.objects.filter(resolved_at__isnull=True).count() == 3


def test_the_database_refuses_a_second_open_alert_for_one_signal(late_project):
    alerts_refresh(now=at(AS_OF))
    alert = Alert.objects.filter(kind=Kind.MILESTONE_OVERDUE).values().get()
    del alert["id"]

    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**alert)


def build_varied_projects(official) -> list[Project]:
    """Projects with every kind of signal, alone and together, and some with none."""
    department = factories.DepartmentFactory()
    made = []

    def project(**kwargs):
        made.append(factories.ProjectFactory(planned_start=date(2026, 3, 1), **kwargs))
        return made[-1]

    def plan(p, completed):
        factories.AnnualPlanFactory(project=p, year=2026, planned_investment=Decimal("10000"))
        factories.MonthlyInvestmentFactory(
            project=p, year=2026, month=5, completed_amount=Decimal(completed)
        )

    def milestone(p, sequence, baseline, **kwargs):
        factories.MilestoneFactory(project=p, sequence=sequence, baseline_date=baseline, **kwargs)

    def issue(p, deadline, status=Issue.Status.ASSIGNED):
        factories.IssueFactory(project=p, status=status, department=department, deadline=deadline)

    # New starts in March: on 15 July the period is 1–6月 and 序时进度 is 4 of their 10
    # active months, 40 % of the 10,000 plan. Yellow from 10 points behind (< 3,000), red
    # beyond 30 (< 1,000).
    plan(project(), "6000")  # on plan
    project(status=Project.Status.PIPELINE)  # nothing at all, no plan: not yet assessed
    plan(project(), "2500")  # investment yellow: 25 %, 15 points behind
    plan(project(), "500")  # investment red: 5 %, 35 points behind
    milestone(project(), 1, date(2026, 9, 1), forecast_date=date(2026, 9, 10))  # yellow
    milestone(project(), 1, date(2026, 9, 1), forecast_date=date(2026, 12, 10))  # red
    milestone(project(), 1, date(2026, 7, 10))  # overdue: red
    issue(project(), date(2026, 7, 14))  # one working day overdue: yellow
    issue(project(), date(2026, 7, 1))  # ten working days overdue: red
    # Waiting on 销号 raises nothing; with no plan, not yet assessed.
    issue(project(), date(2026, 7, 1), status=Issue.Status.RESOLVED)
    project(status=Project.Status.SUSPENDED)  # red
    slow = project()  # projected slip: yellow
    milestone(slow, 1, date(2026, 4, 1), actual_date=date(2026, 4, 11))
    milestone(slow, 2, date(2026, 6, 1), actual_date=date(2026, 7, 1))
    milestone(slow, 3, date(2026, 9, 1))
    mixed = project()  # yellow investment, yellow issue, red forecast: red
    plan(mixed, "2500")
    issue(mixed, date(2026, 7, 14))
    milestone(mixed, 1, date(2026, 9, 1), forecast_date=date(2026, 11, 1))
    stale = project(status=Project.Status.PREPARATION)  # nothing updated lately: yellow
    Project.objects.filter(pk=stale.pk).update(updated_at=at(date(2026, 5, 1)))
    # Started on 10 May and not in the statistics (入库): two months on 10 July, red.
    unlisted = project(in_statistics_on=None)
    milestone(unlisted, 1, date(2026, 5, 1), actual_date=date(2026, 5, 10))
    for p in made:
        p.managers.add(official)
    return made


def test_each_projects_light_is_its_worst_open_alert(official):
    made = build_varied_projects(official)

    slip_detect(now=at(AS_OF))

    planned = set(AnnualPlan.objects.values_list("project_id", flat=True))
    # Without an alert, a project with a plan due is green, one without is not assessed.
    worst = {p.pk: (Light.GREEN if p.pk in planned else Light.UNASSESSED).value for p in made}
    rank = {"unassessed": 0, **{light.value: value for light, value in RANKS.items()}}
    for project_id, severity in Alert.objects.filter(resolved_at__isnull=True).values_list(
        "project_id", "severity"
    ):
        if rank[severity] > rank[worst[project_id]]:
            worst[project_id] = severity
    lights = {project.pk: project.light for project in project_list(user=official, as_of=AS_OF)}
    assert lights == worst
    # The cases really vary.
    assert list(lights.values()).count("green") == 1
    assert list(lights.values()).count("unassessed") == 2
    assert set(lights.values()) == {"green", "yellow", "red", "unassessed"}
    assert {kind for kind, _s, _sev in open_alerts()} == set(Kind.values)


def test_alert_message_is_written_in_the_language_of_the_reader(late_project):
    alerts_refresh(now=at(AS_OF))
    alert = Alert.objects.get(kind=Kind.MILESTONE_OVERDUE)

    with translation.override("en"):
        english = alert_message(alert)
    with translation.override("zh-hans"):
        chinese = alert_message(alert)

    assert english == "Milestone “开工” was due on 2026-07-01 and is not reached (14 days)."
    assert chinese != english and "开工" in chinese and "14" in chinese


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_has_a_message_and_a_missing_fact_falls_back_to_the_kind(kind):
    with translation.override("en"):
        alert = Alert(kind=kind, detail={})
        assert alert_message(alert) == (
            "Work is suspended." if kind == Kind.SUSPENDED else str(alert.get_kind_display())
        )


def test_project_page_shows_open_alerts_and_the_schedule_projection(official):
    project = factories.ProjectFactory(code="T-PACE", planned_start=date(2026, 3, 1))
    project.managers.add(official)
    factories.MilestoneFactory(
        project=project, sequence=1, baseline_date=date(2026, 4, 1), actual_date=date(2026, 4, 11)
    )
    factories.MilestoneFactory(
        project=project, sequence=2, baseline_date=date(2026, 6, 1), actual_date=date(2026, 7, 1)
    )
    factories.MilestoneFactory(
        project=project, sequence=3, name="设备安装", baseline_date=date(2026, 9, 1)
    )
    slip_detect(now=at(AS_OF))

    projections = milestone_projections_for_project(project_id=project.pk)
    alerts = alert_list_open_for_project(project_id=project.pk)
    assert [p.days_vs_baseline for p in projections] == [60]
    assert [a.kind for a in alerts] == [Kind.PROJECTION_LATE]

    request = RequestFactory().get("/")
    request.user = official
    annotated = pages.project_for(official, "T-PACE", as_of=AS_OF)
    context = pages.sections(official, annotated, as_of=AS_OF)
    with translation.override("en"):
        html = render_to_string(
            "reports/project_page.html#page-content",
            {**context, "visits": [], "issues": [], "projections": projections, "alerts": alerts},
            request=request,
        )
        without = render_to_string(
            "reports/project_page.html#page-content",
            {**context, "visits": [], "issues": []},
            request=request,
        )

    assert "Schedule projection" in html
    assert "2026-10-31" in html and "+60" in html
    assert "pace ratio 1.326 from 2 reached milestones, projected from 2026-07-01" in html
    assert "Open alerts" in html and alerts[0].message in html
    assert "Schedule projection" not in without and 'id="alerts"' not in without
