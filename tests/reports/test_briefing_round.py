"""The monthly round (月报) in the monthly briefing (reports/briefings/rounds.py): the round
of the briefing's month, its 填报率 and 审核率, and the late reporters, on hand-made data
whose figures are worked out below.

Round 2026-10, due Thursday 5 November 2026; the briefing is made on Wednesday
18 November. Working days after the deadline up to then: 6, 9–13 and 16–18 November, 9.

| project | state | first submitted | counts as | late |
|---|---|---|---|---|
| R-A | accepted | 3 Nov | accepted | — |
| R-B | accepted | 5 Nov | accepted | — |
| R-C | submitted | 4 Nov | submitted | — |
| R-D | returned | 5 Nov | returned | — |
| R-E | accepted | 9 Nov | accepted | 2 working days (6, 9 Nov), came late |
| R-F | draft | — | not reported | 9, missing |
| R-G | draft, opened for correction | 2 Nov | accepted | — |
| R-H | draft | — | not reported | 9, missing (no manager: its 责任人) |

8 due; reported 6 (all but R-F and R-H); accepted 4 (R-A, R-B, R-E, R-G).
填报率 6 / 8 = 75.0 %; 审核率 4 / 6 = 66.666… = 66.7 %.
"""

import io
from datetime import date, datetime, time

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from hitech_zone.demo import load_demo
from hitech_zone.permissions import Role
from inspections.models import MonthlyReport, ReportingRound
from inspections.rounds.services import round_month_for
from inspections.workdays import WorkdayCalendar
from reports import periods
from reports.briefings import html_render, pdf_render, rounds, snapshot_build
from reports.briefings.reads import read, window_for
from tests import factories

pytestmark = pytest.mark.django_db

State = MonthlyReport.State
MADE = (2026, 11, 18)
OCTOBER = periods.parse(periods.MONTHLY, "2026-10")


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def made(time_machine):
    """The clock at the moment the briefing is made; the data entered in a test is read at
    `timezone.now()`, a moment later (the history of rows entered after `made` is not)."""
    moment = datetime(*MADE, 10, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(moment)
    return moment


@pytest.fixture
def october(made, role_user):
    round_ = ReportingRound.objects.create(year=2026, month=10, deadline=date(2026, 11, 5))
    zhang = role_user(Role.PROJECT_MANAGER, username="zhang", full_name="张三")
    li = role_user(Role.PROJECT_MANAGER, username="li", full_name="李四")
    wang = factories.UserFactory(username="wang", full_name="王五")
    rows = {
        "R-A": (State.ACCEPTED, date(2026, 11, 3), zhang),
        "R-B": (State.ACCEPTED, date(2026, 11, 5), zhang),
        "R-C": (State.SUBMITTED, date(2026, 11, 4), zhang),
        "R-D": (State.RETURNED, date(2026, 11, 5), li),
        "R-E": (State.ACCEPTED, date(2026, 11, 9), li),
        "R-F": (State.DRAFT, None, zhang),
        "R-G": (State.DRAFT, date(2026, 11, 2), li),
        "R-H": (State.DRAFT, None, None),
    }
    for code, (state, first, manager) in rows.items():
        project = factories.ProjectFactory(
            code=code, name=f"{code[-1]}项目", responsible_person=wang
        )
        if manager:
            project.managers.add(manager)
        MonthlyReport.objects.create(
            round=round_,
            project=project,
            state=state,
            first_submitted_at=at(first) if first else None,
            corrections=1 if code == "R-G" else 0,
        )
    # Another month's round is not this briefing's.
    ReportingRound.objects.create(year=2026, month=9, deadline=date(2026, 10, 9))
    return round_


def test_the_section_in_the_snapshot(october, made):
    section = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=timezone.now())["round"]
    assert section == {
        "year": 2026,
        "month": 10,
        "deadline": "2026-11-05",
        "past_deadline": True,
        "total": 8,
        "reported": 6,
        "accepted": 4,
        "reported_rate": "75.0",
        "checked_rate": "66.7",
        "late": [
            {
                "project": {"code": "R-F", "name": "F项目"},
                "person": "张三",
                "workdays_late": 9,
                "submitted": False,
            },
            {
                "project": {"code": "R-H", "name": "H项目"},
                "person": "王五",
                "workdays_late": 9,
                "submitted": False,
            },
            {
                "project": {"code": "R-E", "name": "E项目"},
                "person": "李四",
                "workdays_late": 2,
                "submitted": True,
            },
        ],
    }


def test_the_lines_name_the_late_reporters(october, made):
    section = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=timezone.now())["round"]
    with translation.override("en"):
        lines = rounds.round_lines(section)
    assert lines == [
        "Monthly reports for month 10: 8 due, 6 reported, reporting rate 75.0%, "
        "checking rate 66.7%.",
        "Not reported by the deadline: F项目 (张三, 9 working days), H项目 (王五, 9 working days).",
        "Reported after the deadline: E项目 (李四, 2 working days).",
    ]


def test_a_long_list_is_cut_with_how_many_in_all(october, made, monkeypatch):
    section = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=timezone.now())["round"]
    monkeypatch.setattr(rounds, "LATE_NAMES", 1)
    with translation.override("en"):
        lines = rounds.round_lines(section)
    assert lines[1] == (
        "Not reported by the deadline: F项目 (张三, 9 working days) and others, 2 in all."
    )


def test_before_the_deadline_the_line_says_when_reports_are_due(october, time_machine):
    """Made on 1 November, as the schedule makes it: the round opened that day, nothing is
    late yet. (The reports entered above with later days count as they stand.)"""
    moment = datetime(2026, 11, 1, 7, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(moment)
    section = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=moment)["round"]
    assert section["past_deadline"] is False
    assert section["late"] == []
    with translation.override("en"):
        lines = rounds.round_lines(section)
    assert lines == [
        "Monthly reports for month 10: 8 due, 6 reported, reporting rate 75.0%, "
        "checking rate 66.7%.",
        "Reports are due on 5 Nov.",
    ]


def test_no_round_no_section_in_one_query(made, django_assert_num_queries):
    window = window_for(OCTOBER, timezone.now())
    reads = read(window, periods.MONTHLY)
    with django_assert_num_queries(1):
        assert rounds.round_section(reads, calendar=None) is None
    with translation.override("en"):
        assert rounds.round_lines(None) == []


def test_four_queries_whatever_the_number_of_reports(october, made, django_assert_num_queries):
    """The round, its counts, the late reports and their managers."""
    reads = read(window_for(OCTOBER, timezone.now()), periods.MONTHLY)
    calendar = WorkdayCalendar.for_range(date(2026, 9, 1), date(2026, 11, 30))
    with django_assert_num_queries(4):
        rounds.round_section(reads, calendar)
    for index in range(20):
        MonthlyReport.objects.create(
            round=october, project=factories.ProjectFactory(code=f"R-Z{index:02d}")
        )
    with django_assert_num_queries(4):
        section = rounds.round_section(reads, calendar)
    assert (section["total"], len(section["late"])) == (28, 23)


def test_the_briefing_prints_the_lines(october, made):
    snapshot = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=timezone.now())
    with translation.override("en"):
        html = html_render(
            snapshot=snapshot, generated_at=made, version=1, changes=[], preview=False
        )
    assert 'data-testid="round"' in html
    assert "reporting rate 75.0%" in html
    assert "F项目 (张三, 9 working days)" in html


def test_a_snapshot_made_before_rounds_prints_no_section(october, made):
    snapshot = snapshot_build(kind=periods.MONTHLY, period=OCTOBER, as_of=timezone.now())
    del snapshot["round"]
    html = html_render(snapshot=snapshot, generated_at=made, version=1, changes=[], preview=False)
    assert 'data-testid="round"' not in html


def test_the_demo_briefing_of_last_months_round_stays_within_eight_pages():
    """On the demo: the monthly of the month whose round is checked, with its late
    reporters, printed as a PDF of at most eight pages (as the zone's monthly is kept)."""
    load_demo()
    year, month = round_month_for(timezone.localdate())
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    period = periods.parse(periods.MONTHLY, f"{year}-{month:02d}")
    snapshot = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())
    section = snapshot["round"]
    assert section["past_deadline"] and len(section["late"]) == 2
    pdf = pdf_render(snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= 8, len(reader.pages)
    text = "".join(page.extract_text() for page in reader.pages)
    late = section["late"][0]["project"]["name"]
    assert late in "".join(text.split())
