"""Exports of the register, milestones, monthly investment and issues: typed cells, CSV
that Excel opens in Chinese, formula injection neutralised, scoped by the permission layer,
and a register or monthly export that imports again with nothing to change."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from hitech_zone import spreadsheets
from inspections.models import Issue
from projects.imports.services import project_import_preview
from projects.models import Project
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example","点我")',
    "company": "+86 测试公司",
    "location": "@SUM(A1:A9)",
    "description": "-2+3\n第二行",
}


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def register(today):
    ai = factories.ParkFactory(code="ai", name="人工智能产业园")
    fintech = factories.SectorFactory(code="fintech", name="金融科技")
    # Two people with the same name: the export writes the name, the import keeps the
    # project's own responsible person when the name is theirs.
    wang = factories.UserFactory(username="wang1", full_name="王芳")
    factories.UserFactory(username="wang2", full_name="王芳")
    plain = factories.ProjectFactory(
        code="R-1",
        name="人工智能科技产业园",
        park=ai,
        sector=fintech,
        level=Project.Level.PROVINCIAL,
        category=Project.Category.SERVICE,
        status=Project.Status.TRIAL,
        total_investment=Decimal("12345.67"),
        responsible_person=wang,
        location="昆承湖",
        description="人工智能产业园一期",
    )
    hostile = factories.ProjectFactory(
        code="R-2",
        park=ai,
        sector=fintech,
        planned_start=None,
        planned_completion=None,
        status=Project.Status.PIPELINE,
        **HOSTILE,
    )
    factories.AnnualPlanFactory(project=plain, year=today.year)
    for month in range(1, today.month + 1):
        factories.MonthlyInvestmentFactory(
            project=plain, year=today.year, month=month, completed_amount=Decimal("800.5")
        )
    factories.MonthlyInvestmentFactory(
        project=hostile, year=today.year - 1, month=12, completed_amount=Decimal("0"), note="=1+1"
    )
    return {"plain": plain, "hostile": hostile}


def reimport(user, content: bytes, kind: str):
    upload = SimpleUploadedFile("export.xlsx", content)
    return project_import_preview(upload=upload, kind=kind, by=user)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_exported_register_imports_with_nothing_to_change(client, official, register, language):
    client.force_login(official)
    client.cookies["django_language"] = language
    response = client.get("/projects/export.xlsx")
    record = reimport(official, response.content, "register")
    assert record.error_count == 0, record.plan["errors"]
    assert (record.created_count, record.updated_count, record.unchanged_count) == (0, 0, 2)


def test_exported_monthly_investment_imports_with_nothing_to_change(client, official, register):
    client.force_login(official)
    for url in ("/projects/investment/export.xlsx",):
        record = reimport(official, client.get(url).content, "monthly")
        assert record.error_count == 0, record.plan["errors"]
        assert (
            record.unchanged_count
            == Project.objects.get(code="R-1").monthly_investments.count() + 1
        )
        assert record.created_count == record.updated_count == 0


def test_the_register_export_has_typed_cells_and_neutralised_text(client, official, register):
    client.force_login(official)
    rows = xlsx_rows(client.get("/projects/export.xlsx?sort=code"))
    assert [cell.value for cell in rows[0][:2]] == ["项目编号", "项目名称"]
    assert [cell.value for cell in rows[1][:2]] == ["Project code", "Project name"]
    plain, hostile = rows[2], rows[3]
    assert plain[8].value == Decimal("12345.67") or plain[8].value == pytest.approx(12345.67)
    assert plain[8].data_type == "n"
    assert plain[9].is_date and plain[9].value.date() == date(2025, 3, 1)
    assert hostile[1].value == "'" + HOSTILE["name"] and hostile[1].data_type == "s"
    assert hostile[2].value == "'+86 测试公司"
    assert hostile[12].value == "'@SUM(A1:A9)"
    assert hostile[13].value == "'-2+3\n第二行"
    assert hostile[9].value is None  # no planned start: an empty cell, not "None"


def test_the_register_csv_has_a_bom_iso_dates_and_neutralised_text(client, official, register):
    client.force_login(official)
    response = client.get("/projects/export.csv?sort=code")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = csv_rows(response)
    assert rows[0][:3] == ["项目编号", "项目名称", "建设单位"]
    assert rows[1][0] == "Project code"
    plain, hostile = rows[2], rows[3]
    assert plain[8] == "12345.67" and plain[9] == "2025-03-01" and plain[10] == "2027-12-31"
    assert hostile[1] == "'" + HOSTILE["name"]
    assert hostile[2] == "'+86 测试公司" and hostile[12] == "'@SUM(A1:A9)"
    assert hostile[13] == "'-2+3\n第二行"
    assert hostile[9] == ""


def test_the_shared_writer_keeps_numbers_numbers_and_neutralises_text():
    assert spreadsheets.neutralise("=1+2") == "'=1+2"
    assert spreadsheets.neutralise("\tcmd") == "'\tcmd"
    assert spreadsheets.neutralise("\r=cmd") == "'\r=cmd"
    assert spreadsheets.neutralise("正常") == "正常"
    # 08:30 in the zone, written to Excel (which has no time zones) as 08:30.
    local = datetime(2026, 3, 1, 8, 30)  # noqa: DTZ001
    moment = timezone.make_aware(local)
    sheet = spreadsheets.Sheet(
        "t",
        [["数字", "文本", "日期", "时刻"]],
        [[Decimal("-5"), "-5 元", date(2026, 3, 1), moment], [-3, "@x", None, None]],
    )
    workbook = openpyxl.load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(sheet)))
    rows = list(workbook.active.iter_rows())
    assert rows[1][0].value == -5 and rows[1][0].data_type == "n"
    assert rows[1][1].value == "'-5 元" and rows[1][1].data_type == "s"
    assert rows[1][2].is_date and rows[1][3].value == local
    assert rows[2][0].value == -3 and rows[2][1].value == "'@x"
    text = spreadsheets.csv_bytes(sheet).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["-5", "'-5 元", "2026-03-01", "2026-03-01 08:30:00"],
        ["-3", "'@x", "", ""],
    ]


def test_milestone_export_is_typed_and_scoped(client, manager, own_project, other_project, today):
    factories.MilestoneFactory(
        project=own_project, sequence=1, name="=开工", baseline_date=date(2026, 4, 1)
    )
    factories.MilestoneFactory(project=other_project, sequence=1, name="他人节点")
    client.force_login(manager)
    rows = xlsx_rows(client.get("/projects/milestones/export.xlsx"))
    assert [row[0].value for row in rows[1:]] == ["T-OWN"]
    assert rows[1][3].value == "'=开工" and rows[1][5].is_date
    assert rows[1][5].value.date() == date(2026, 4, 1)
    assert rows[1][8].data_type == "n"
    rows = csv_rows(client.get("/projects/milestones/export.csv"))
    assert [row[0] for row in rows[1:]] == ["T-OWN"]
    assert rows[1][5] == "2026-04-01"


def test_monthly_investment_export_is_scoped(client, manager, own_project, other_project):
    factories.MonthlyInvestmentFactory(project=own_project, year=2025, month=3)
    factories.MonthlyInvestmentFactory(project=other_project, year=2025, month=3)
    client.force_login(manager)
    rows = xlsx_rows(client.get("/projects/investment/export.xlsx"))
    assert [cell.value for cell in rows[0][:4]] == ["项目编号", "项目名称", "年份", "月份"]
    assert [(row[0].value, row[2].value, row[3].value) for row in rows[2:]] == [("T-OWN", 2025, 3)]
    assert rows[2][4].data_type == "n"
    rows = csv_rows(client.get("/projects/investment/export.csv"))
    assert [row[0] for row in rows[2:]] == ["T-OWN"]


def test_register_csv_is_scoped_for_a_project_manager(client, manager, own_project, other_project):
    client.force_login(manager)
    rows = csv_rows(client.get("/projects/export.csv"))
    assert [row[0] for row in rows[2:]] == ["T-OWN"]


def test_issue_csv_is_scoped_and_neutralised(client, manager, own_project, other_project):
    factories.IssueFactory(project=own_project, title="=cmd|' /C calc'!A0")
    factories.IssueFactory(project=other_project, title="他人问题")
    client.force_login(manager)
    rows = csv_rows(client.get("/issues/export.csv"))
    assert [row[0] for row in rows[1:]] == ["T-OWN"]
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    rows = xlsx_rows(client.get("/issues/export.xlsx"))
    assert rows[1][2].value == "'=cmd|' /C calc'!A0"
    assert rows[1][8].is_date  # raised at: a date-time cell
    assert Issue.objects.count() == 2
