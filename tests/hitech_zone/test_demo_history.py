"""The demo's recent history, laid out around the day it loads: alerts open for weeks and
escalated on the nights their steps fell due, a stopped project with an overdue critical
issue, issues closed this month and last (on time and late, by whom), visits with photos
and the leader's instruction, and enough spread for a 红黑榜."""

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from PIL import Image

from hitech_zone.demo import load_demo
from inspections.models import FollowUp, Issue, SiteVisit, VisitPhoto
from inspections.workdays import WorkdayCalendar
from projects.models import AnnualPlan, Project, ZoneTarget
from reports.models import Alert, AlertEscalation

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

LAST_YEAR = 2025
LATE_IN_YEAR = date(LAST_YEAR, 11, 27)
# New Year's Day, the first day of the Spring Festival holiday, National Day, a late
# working day, and the clock's own day (None).
DAYS = [
    date(LAST_YEAR, 1, 1),
    date(LAST_YEAR, 1, 29),
    date(LAST_YEAR, 10, 3),
    LATE_IN_YEAR,
    None,
]
ARTICLE_PROJECTS = [
    "江苏正力新能电芯项目",
    "重塑能源科技项目",
    "昆承湖日航国际中心",
    "人工智能科技产业园",
]


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s (after it when negative)."""
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def day_id(day: date | None) -> str:
    return "today" if day is None else str(day)


@pytest.mark.parametrize("today", DAYS, ids=day_id)
def test_the_recent_weeks_are_laid_out(today):
    today = today or timezone.localdate()
    load_demo(today=today)
    calendar = WorkdayCalendar()
    local = timezone.localdate

    # The article's facts hold.
    projects = Project.objects.all()
    assert projects.count() == 28
    assert projects.aggregate(total=Sum("total_investment"))["total"] == Decimal("1525000")
    plans = AnnualPlan.objects.filter(year=today.year).aggregate(total=Sum("planned_investment"))
    assert plans["total"] == Decimal("500000")
    target = ZoneTarget.objects.get(year=today.year)
    assert (target.project_count, target.total_investment, target.planned_investment) == (
        28,
        Decimal("1525000"),
        Decimal("500000"),
    )
    assert set(ARTICLE_PROJECTS) <= set(projects.values_list("name", flat=True))

    # Red alerts first seen weeks ago, escalated to the leader and then to the briefing on
    # nights up to today's (its run at midnight), each when its working days had passed.
    escalated = AlertEscalation.objects.filter(
        step=AlertEscalation.Step.BRIEFING,
        alert__resolved_at__isnull=True,
        alert__severity=Alert.Severity.RED,
    ).select_related("alert")
    assert escalated.exists()
    assert not AlertEscalation.objects.filter(escalated_at__gt=midnight(today)).exists()
    for step in escalated:
        first_day = local(step.alert.first_seen_at)
        assert first_day < local(step.escalated_at) <= today
        assert (
            calendar.workdays_between(first_day, local(step.escalated_at))
            >= settings.ALERT_ESCALATE_BRIEFING_WORKDAYS
        )
        leader = AlertEscalation.objects.get(alert=step.alert, step=AlertEscalation.Step.LEADER)
        assert step.alert.first_seen_at < leader.escalated_at <= step.escalated_at

    # The stopped project and the critical issue that stopped it, overdue by over a week.
    stopped = Project.objects.get(name="动力电池回收利用项目")
    assert stopped.status == Project.Status.SUSPENDED
    critical = stopped.issues.get(severity=Issue.Severity.CRITICAL)
    assert critical.is_open and critical.deadline < today
    assert calendar.workdays_between(critical.deadline, today) > 5

    # Issues closed last month (and this month, once it has working days behind it), on
    # time and late, each closed by the official who raised or assigned it.
    closed = Issue.objects.filter(status=Issue.Status.CLOSED).prefetch_related("follow_ups")
    in_month = defaultdict(list)
    for issue in closed:
        closing = [f for f in issue.follow_ups.all() if f.status_after == Issue.Status.CLOSED]
        assert closing[-1].actor_id in {issue.raised_by_id, issue.assigned_by_id}
        assert closing[-1].acted_at == issue.closed_at
        day = local(issue.closed_at)
        for back in (0, 1):
            if month_start(today, back) <= day < month_start(today, back - 1 if back else -1):
                in_month[back].append(issue)
    late = [i for i in in_month[1] + in_month[0] if local(i.closed_at) > i.deadline]
    on_time = [i for i in in_month[1] + in_month[0] if local(i.closed_at) <= i.deadline]
    assert in_month[1] and late and on_time
    if today.day > 10:
        assert in_month[0]
    assert not Issue.objects.filter(closed_at__gte=midnight(today)).exists()
    assert not FollowUp.objects.filter(acted_at__gte=midnight(today)).exists()

    # Visits of last month (and this month) with photos, thumbnails and an instruction.
    recent = SiteVisit.objects.filter(visited_on__gte=month_start(today, 1)).exclude(
        leader_instruction=""
    )
    last_month = recent.filter(visited_on__lt=month_start(today))
    assert last_month.filter(photos__isnull=False).exists()
    if today.day > 10:
        assert recent.filter(visited_on__gte=month_start(today), photos__isnull=False).exists()
    assert not SiteVisit.objects.filter(visited_on__gt=today).exists()
    photos = VisitPhoto.objects.filter(visit__in=recent)
    assert photos.count() >= 2
    for photo in photos:
        assert photo.uploaded_at <= timezone.now()
        assert local(photo.uploaded_at) >= photo.visit.visited_on
        with photo.thumbnail.open("rb") as thumb, Image.open(thumb) as image:
            assert image.format == "JPEG" and max(image.size) <= 320
        assert photo.image.size < 200_000  # small


def test_the_article_s_two_problems_are_closed_with_their_closers():
    load_demo(today=LATE_IN_YEAR)
    for project, category in [
        ("江苏正力新能电芯项目", Issue.Category.MATERIAL_SUPPLY),
        ("重塑能源科技项目", Issue.Category.HIRING),
    ]:
        issue = Issue.objects.get(project__name=project, category=category)
        assert issue.status == Issue.Status.CLOSED
        closer = issue.follow_ups.filter(status_after=Issue.Status.CLOSED).get()
        assert closer.actor_id == issue.raised_by_id


def test_parks_and_departments_have_a_distinct_best_and_worst():
    """The 红黑榜 ranks parks and departments on 办结率 (the year's issues closed): the
    demo names one best and one worst of each."""
    load_demo(today=LATE_IN_YEAR)
    issues = Issue.objects.filter(raised_at__year=LAST_YEAR).exclude(department=None)

    def rates(field: str) -> list[float]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for key, status in issues.values_list(field, "status"):
            counts[key][0] += status == Issue.Status.CLOSED
            counts[key][1] += 1
        return sorted(closed / total for closed, total in counts.values())

    for field in ("department__name", "project__park__name"):
        ranked = rates(field)
        assert len(ranked) >= 4, field
        assert ranked[0] < ranked[1] and ranked[-2] < ranked[-1], (field, ranked)


def test_a_second_load_adds_no_photos_and_replays_no_nights():
    load_demo(today=LATE_IN_YEAR)
    photos = sorted(VisitPhoto.objects.values_list("thumbnail", flat=True))
    steps = AlertEscalation.objects.count()

    created = load_demo(today=LATE_IN_YEAR)

    assert not any(created.values()), created
    assert sorted(VisitPhoto.objects.values_list("thumbnail", flat=True)) == photos
    assert AlertEscalation.objects.count() == steps
