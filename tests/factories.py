"""Factories for tests: one place, so a model change is mended once."""

import hashlib
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from inspections.models import ISSUE_CATEGORIES, Department, Issue, IssueCategory, SiteVisit
from projects.models import AnnualPlan, Milestone, MonthlyInvestment, Park, Project, Sector
from reports import briefings, periods
from reports.models import Briefing


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.django.Password("test-pass-123")


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"park-{n}")
    name = factory.Sequence(lambda n: f"测试园区{n}")


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.Sequence(lambda n: f"测试产业{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"T-{n:04d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    company = "测试科技有限公司"
    sector = factory.SubFactory(SectorFactory)
    park = factory.SubFactory(ParkFactory)
    total_investment = Decimal("50000")
    status = Project.Status.CONSTRUCTION
    # A continuing project (started before 2026): its plan falls due from January.
    planned_start = date(2025, 3, 1)
    planned_completion = date(2027, 12, 31)
    responsible_person = factory.SubFactory(UserFactory)
    # In the statistics (入库) like most key projects; tests of the 入库 light clear it.
    in_statistics_on = date(2025, 5, 1)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    name = "开工"
    baseline_date = date(2026, 4, 1)


class AnnualPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualPlan

    project = factory.SubFactory(ProjectFactory)
    year = 2026
    planned_investment = Decimal("10000")


class MonthlyInvestmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyInvestment

    project = factory.SubFactory(ProjectFactory)
    year = 2026
    month = 1
    completed_amount = Decimal("800")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"测试局{n}")


class SiteVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteVisit

    project = factory.SubFactory(ProjectFactory)
    visited_on = date(2026, 4, 8)
    created_by = factory.SubFactory(UserFactory)


def issue_category(code: str) -> IssueCategory:
    """The category with this code, created when a test emptied the seeded ones."""
    name = dict(ISSUE_CATEGORIES).get(code, code)
    return IssueCategory.objects.get_or_create(code=code, defaults={"name": name})[0]


class IssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Issue

    project = factory.SubFactory(ProjectFactory)
    title = "建材供应不足"
    category = factory.LazyFunction(lambda: issue_category(Issue.Category.MATERIAL_SUPPLY))
    raised_by = factory.SubFactory(UserFactory)
    raised_at = factory.LazyFunction(timezone.now)


def published_briefing(*, today: date, kind: str = "weekly") -> Briefing:
    """A published briefing with real figures and a small stand-in PDF, for tests of the
    pages around it (rendering a real PDF takes seconds)."""
    period = periods.last_due(kind, today)
    now = timezone.now()
    snapshot = briefings.snapshot_build(kind=kind, period=period, as_of=now)
    pdf = b"%PDF-1.4\n% stand-in\n"
    briefing = Briefing(
        kind=kind,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        status=Briefing.Status.PUBLISHED,
        trigger=Briefing.Trigger.SCHEDULE,
        as_of=now,
        finished_at=now,
        snapshot=snapshot,
        snapshot_sha256=briefings.snapshot_digest(snapshot),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    briefing.file.save("briefing.pdf", ContentFile(pdf), save=False)
    briefing.save()
    return briefing
