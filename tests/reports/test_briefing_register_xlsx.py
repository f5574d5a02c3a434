"""The monthly briefing's whole register as an .xlsx when it is too long to print
(BRIEFING_REGISTER_PRINT_MAX): built from the snapshot in the render job, stored on the
briefing, offered beside the PDF to the PDF's readers, attached to the e-mail."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from hitech_zone.models import AuditEntry
from hitech_zone.permissions import Role
from reports import periods, services
from reports.briefings import register_xlsx, render
from reports.models import Briefing
from tests import factories

Trigger = Briefing.Trigger
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def snapshot() -> dict:
    """A monthly snapshot's register and 问题清单 as the snapshot stores them."""
    row = {
        "code": "GX-001",
        "name": "江苏正力新能电芯项目",
        "company": "江苏正力新能电池技术有限公司",
        "park": "高新区",
        "category": "industrial",
        "status": "construction",
        "total_investment": "100000.00",
        "annual_plan": "30000.00",
        "completed_month": "2500.50",
        "completed_ytd": "21000.00",
        "due_ytd": "25000.00",
        "plan_percent": "70.0",
        "time_progress_percent": "83.3",
        "light": "yellow",
        "milestones": 6,
        "milestones_reached": 3,
        "responsible": "陈华瑞",
        "leader": "姚丽英",
    }
    second = {
        **row,
        "code": "GX-002",
        "name": "重塑能源科技项目",
        "status": "pipeline",
        "completed_month": "0.00",
        "plan_percent": None,
        "time_progress_percent": None,
        "light": "red",
    }
    issue = {
        "id": 7,
        "project": {"code": "GX-001", "name": "江苏正力新能电芯项目"},
        "title": "建材供应不足",
        "category": "materials",
        "category_name": "物资供应",
        "severity": "critical",
        "status": "assigned",
        "department": "经济发展局",
        "deadline": "2026-10-20",
        "raised": "2026-10-08",
        "closed": None,
        "workdays_overdue": 8,
    }
    closed = {
        **issue,
        "id": 9,
        "status": "closed",
        "closed": "2026-10-15",
        "closed_by": "张三",
        "on_time": True,
    }
    del closed["workdays_overdue"]
    return {
        "kind": "monthly",
        "as_of": "2026-11-01T07:00:00+08:00",
        "projects": [row, second],
        "issue_list": {"open": [issue], "closed": [closed]},
    }


def sheets(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book}


@override_settings(BRIEFING_REGISTER_PRINT_MAX=1)
def test_the_register_sheet_has_numbers_and_labels():
    with translation.override("zh-hans"):
        content = register_xlsx.register_xlsx(snapshot())
        key_projects = str(translation.gettext("Key projects"))
    book = sheets(content)

    register = book[key_projects]
    assert key_projects == "重点项目"
    assert register[0][:2] == ["项目编号", "项目名称"]
    assert register[0][5] == "状态"
    assert register[0][13] == "预警"
    assert register[1] == [
        "GX-001",
        "江苏正力新能电芯项目",
        "江苏正力新能电池技术有限公司",
        "高新区",
        "工业",
        "在建",
        100000,
        30000,
        2500.5,
        21000,
        25000,
        70,
        83.3,
        "黄灯",
        6,
        3,
        "陈华瑞",
        "姚丽英",
    ]
    assert register[2][5] == "储备"
    assert register[2][11:14] == [None, None, "红灯"]
    assert len(register) == 3


def test_the_issue_list_sheet_flattens_each_entry():
    with translation.override("zh-hans"):
        content = register_xlsx.register_xlsx(snapshot())
    issues = list(sheets(content).values())[1]

    header = issues[0]
    state = translation.gettext("Open or closed")
    assert header[:3] == [state, translation.gettext("Issue no."), "项目编号"]
    assert "项目名称" in header and "问题类别" in header and "责任部门" in header
    assert "materials" not in [c for row in issues for c in row], "the category's name, not code"
    rows = [dict(zip(header, row, strict=True)) for row in issues[1:]]
    assert [row[state] for row in rows] == ["未办结", "销号"]
    assert [row["状态"] for row in rows] == ["交办", "销号"]
    open_row, closed_row = rows
    assert open_row["项目编号"] == "GX-001"
    assert open_row["问题类别"] == "物资供应"
    assert open_row["严重程度"] == "严重"
    assert open_row["办理时限"].date().isoformat() == "2026-10-20"
    assert open_row[translation.gettext("Working days overdue")] == 8
    assert closed_row[translation.gettext("Working days overdue")] is None
    assert closed_row[translation.gettext("Closed by")] == "张三"
    assert closed_row[translation.gettext("On time")] == translation.gettext("Yes")


def test_the_same_snapshot_gives_the_same_bytes(time_machine):
    first = register_xlsx.register_xlsx(snapshot())
    time_machine.move_to(timezone.now() + timedelta(hours=1, seconds=7))
    assert register_xlsx.register_xlsx(snapshot()) == first
    book = load_workbook(io.BytesIO(first))
    assert book.properties.created.isoformat().startswith("2026-10-31T23:00")


def test_only_a_monthly_above_the_threshold_has_one(settings):
    data = snapshot()
    settings.BRIEFING_REGISTER_PRINT_MAX = 2
    assert not render.register_attached(data), "two projects print"
    settings.BRIEFING_REGISTER_PRINT_MAX = 1
    assert render.register_attached(data)
    assert not render.register_attached({**data, "kind": "weekly"})


# ---------------------------------------------------------------- in the job


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def projects(today):
    made = []
    for number, name in enumerate(["登记表甲项目", "登记表乙项目"], start=1):
        project = factories.ProjectFactory(
            code=f"R-{number:03}", name=name, total_investment=Decimal("20000")
        )
        factories.AnnualPlanFactory(
            project=project, year=today.year, planned_investment=Decimal("6000")
        )
        made.append(project)
    return made


def last_month(today):
    return periods.last_due(periods.MONTHLY, today)


@pytest.mark.date_sensitive
@pytest.mark.django_db
def test_above_the_threshold_the_job_stores_it_and_mails_it_beside_the_pdf(
    projects, media, role_user, settings, today
):
    settings.BRIEFING_REGISTER_PRINT_MAX = 1
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn")
    services.subscription_set(user=reader, kind="monthly", subscribed=True)

    briefing = services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="monthly", period=last_month(today), trigger=Trigger.SCHEDULE
        ).briefing.pk
    )

    assert briefing.register_file.name == f"briefings/monthly/{briefing.period}-v1-register.xlsx"
    stored = briefing.register_file.open("rb").read()
    register = list(sheets(stored).values())[0]
    assert [row[:2] for row in register[1:]] == [
        ["R-001", "登记表甲项目"],
        ["R-002", "登记表乙项目"],
    ]
    assert [row[6] for row in register[1:]] == [20000, 20000]

    assert services.briefing_deliver(briefing_id=briefing.pk) == 1
    (message,) = mail.outbox
    (pdf_name, pdf, pdf_type), (xlsx_name, xlsx, xlsx_type) = message.attachments
    assert (pdf_name, pdf_type) == (f"monthly-{briefing.period}.pdf", "application/pdf")
    assert pdf == briefing.file.open("rb").read()
    assert (xlsx_name, xlsx_type) == (f"monthly-{briefing.period}-register.xlsx", XLSX)
    assert xlsx == stored


@pytest.mark.date_sensitive
@pytest.mark.django_db
def test_at_or_below_the_threshold_there_is_none(projects, media, role_user, settings, today):
    settings.BRIEFING_REGISTER_PRINT_MAX = 2
    reader = role_user(Role.LEADER, username="yao", email="yao@example.cn")
    services.subscription_set(user=reader, kind="monthly", subscribed=True)
    briefing = services.briefing_generate(
        briefing_id=services.briefing_request(
            kind="monthly", period=last_month(today), trigger=Trigger.SCHEDULE
        ).briefing.pk
    )
    assert not briefing.register_file
    services.briefing_deliver(briefing_id=briefing.pk)
    assert [a[2] for a in mail.outbox[0].attachments] == ["application/pdf"]


# ---------------------------------------------------------------- download

READERS = {Role.OFFICIAL: 200, Role.LEADER: 200, Role.ADMIN: 200}
OTHERS = {Role.PROJECT_MANAGER: 403, Role.DEPARTMENT: 403}


@pytest.fixture
def with_register(db, media, today):
    briefing = factories.published_briefing(today=today, kind="monthly")
    briefing.register_file.save("register.xlsx", ContentFile(b"PK\x03\x04 stand-in"), save=True)
    return briefing


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*READERS, *OTHERS])
def test_the_register_is_for_the_pdfs_readers(client, role_user, with_register, role):
    client.force_login(role_user(role, username=f"t-{role}"))
    url = reverse("briefing_register_download", args=[with_register.pk])

    response = client.get(url)

    assert response.status_code == {**READERS, **OTHERS}[role]
    if response.status_code == 200:
        assert response["Content-Type"] == XLSX
        assert b"".join(response.streaming_content) == b"PK\x03\x04 stand-in"
        assert f"monthly-{with_register.period}-v1-register.xlsx" in response["Content-Disposition"]
        entry = AuditEntry.objects.filter(action=AuditEntry.Action.BRIEFING_DOWNLOAD).latest("id")
        assert (entry.detail["format"], entry.detail["briefing"]) == ("xlsx", with_register.pk)
        page = client.get(reverse("briefing_detail", args=[with_register.pk])).content.decode()
        assert url in page
        assert url in client.get(reverse("briefing_list")).content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, with_register):
    response = client.get(reverse("briefing_register_download", args=[with_register.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_briefing_without_one_answers_404(client, leader, media, today):
    briefing = factories.published_briefing(today=today, kind="monthly")
    client.force_login(leader)
    url = reverse("briefing_register_download", args=[briefing.pk])
    assert client.get(url).status_code == 404
    assert url not in client.get(reverse("briefing_detail", args=[briefing.pk])).content.decode()
