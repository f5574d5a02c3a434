"""The fuzz tests' world, their Hypothesis profile, and the two checks every example makes:
a snapshot of the stored data, and a rollback so that each example starts from the same
world.

Profiles (HYPOTHESIS_FUZZ_PROFILE): "fuzz" (the default: derandomized, so a run in CI and
a run here try the same inputs, and no example database is written into the checkout),
"fuzz-explore" (random inputs, five times as many: for looking for new failures by hand).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis.control import currently_in_test_context

from hitech_zone.models import ApiToken
from hitech_zone.permissions import Role
from hitech_zone.services import api_token_create
from inspections.models import Department, DepartmentMember, Issue, SiteVisit
from projects.models import Milestone, MonthlyInvestment, Project, ProjectImport
from reports.models import Briefing
from tests import factories

FUZZ_HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=FUZZ_HEALTH_CHECKS,
)
settings.register_profile(
    "fuzz-explore",
    deadline=None,
    derandomize=False,
    database=None,
    print_blob=True,
    suppress_health_check=FUZZ_HEALTH_CHECKS,
)
PROFILE = os.environ.get("HYPOTHESIS_FUZZ_PROFILE", "fuzz")
EXPLORE_FACTOR = 5 if PROFILE == "fuzz-explore" else 1


def fuzz_settings(max_examples: int) -> settings:
    """The profile's settings with this test's number of examples (not loaded globally:
    other tests, schemathesis's among them, keep Hypothesis's defaults)."""
    return settings(settings.get_profile(PROFILE), max_examples=max_examples * EXPLORE_FACTOR)


# ---------------------------------------------------------------- the world


@dataclass
class FuzzWorld:
    own: Project  # manager's
    other: Project  # other_manager's
    milestone: Milestone  # the own project's only milestone
    other_milestone: Milestone
    investment: MonthlyInvestment  # January of this year, on the own project
    issues: dict[str, Issue]  # an issue of the own project in each state, by state
    other_issue: Issue
    department: Department  # dept_user's, the issues are assigned to it
    other_department: Department
    visit: SiteVisit
    other_visit: SiteVisit
    briefing: Briefing
    previewed_import: ProjectImport
    manager_token: ApiToken
    other_token: ApiToken


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


@pytest.fixture
def world(
    own_project,
    other_project,
    manager,
    other_manager,
    official,
    dept_user,
    today,
    settings,
    tmp_path,
) -> FuzzWorld:
    settings.MEDIA_ROOT = tmp_path
    department = dept_user.department_membership.department
    milestone = factories.MilestoneFactory(
        project=own_project, sequence=1, baseline_date=today + timedelta(days=30)
    )
    other_milestone = factories.MilestoneFactory(
        project=other_project, sequence=1, baseline_date=today + timedelta(days=30)
    )
    factories.AnnualPlanFactory(project=own_project, year=today.year)
    investment = factories.MonthlyInvestmentFactory(
        project=own_project, year=today.year, month=1, completed_amount=Decimal("800")
    )
    running = {"department": department, "deadline": today + timedelta(days=10)}
    issues = {
        Issue.Status.RAISED: {},
        Issue.Status.ASSIGNED: running,
        Issue.Status.IN_PROGRESS: running,
        Issue.Status.RESOLVED: {**running, "result": "已协调运输"},
        Issue.Status.CLOSED: {**running, "result": "已协调运输", "closed_at": timezone.now()},
    }
    visit = factories.SiteVisitFactory(project=own_project, created_by=manager, notes="现场走访")
    return FuzzWorld(
        own=own_project,
        other=other_project,
        milestone=milestone,
        other_milestone=other_milestone,
        investment=investment,
        issues={
            status: factories.IssueFactory(
                project=own_project,
                status=status,
                raised_by=official,
                assigned_by=official if fields else None,
                title=f"问题（{status}）",
                **fields,
            )
            for status, fields in issues.items()
        },
        other_issue=factories.IssueFactory(project=other_project, raised_by=official),
        department=department,
        other_department=factories.DepartmentFactory(code="econ", name="经济发展局"),
        visit=visit,
        other_visit=factories.SiteVisitFactory(project=other_project, created_by=other_manager),
        briefing=factories.published_briefing(today=today),
        previewed_import=ProjectImport.objects.create(
            kind=ProjectImport.Kind.REGISTER,
            status=ProjectImport.Status.PREVIEWED,
            uploaded_by=official,
            file_name="重点项目.xlsx",
            sha256="0" * 64,
            size=0,
            plan={"rows": [], "errors": []},
        ),
        manager_token=api_token_create(user=manager, name="城市平台")[0],
        other_token=api_token_create(user=other_manager, name="城市平台")[0],
    )


ROLES = ["official", "leader", "manager", "other_manager", "admin_user", "dept_user"]


@pytest.fixture
def clients(request, world) -> dict[str, Client]:
    """A signed-in client per role, by fixture name. Signed in once, before any example,
    so that each example's rollback keeps the sessions."""
    signed_in = {}
    for role in ROLES:
        client = Client()
        client.force_login(request.getfixturevalue(role))
        signed_in[role] = client
    return signed_in


# ---------------------------------------------------------------- per-example checks

SNAPSHOT_APPS = ("hitech_zone", "projects", "inspections", "reports")
# The audit log records refusals (and imports, exports) by design: it is the record of
# the attempt, not data the attempt changed.
SNAPSHOT_EXCLUDED = {"hitech_zone.AuditEntry"}


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def snapshot() -> dict[str, list[tuple]]:
    """Every row of the application's tables (history tables included), by model."""
    return {
        model._meta.label: [
            tuple(_plain(value) for value in row)
            for row in model._default_manager.order_by("pk").values_list()
        ]
        for label in SNAPSHOT_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label not in SNAPSHOT_EXCLUDED
    }


def changed_tables(before: dict, after: dict) -> dict[str, tuple[list, list]]:
    """The tables whose rows differ: label -> (rows gone, rows new or changed)."""
    return {
        label: (
            [row for row in rows if row not in after[label]],
            [row for row in after[label] if row not in rows],
        )
        for label, rows in before.items()
        if after[label] != rows
    }


def count_answer(answer: str) -> None:
    """Count an answer for --hypothesis-show-statistics (the success path must be among
    them); a no-op in a plain test."""
    if currently_in_test_context():
        event(answer)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint that is rolled back, so the next starts afresh."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
