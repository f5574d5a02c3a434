"""Importing the register and monthly investment from Excel: upload -> preview -> confirm.

Files are built here with openpyxl the way they arrive: from the template, from the
city's own sheets (title rows, full-width digits, 亿元, serial dates), broken, or hostile.
"""

import hashlib
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from projects import services
from projects.imports import cells, templates
from projects.imports import plan as planning
from projects.imports.services import (
    NotApplicable,
    project_import_apply,
    project_import_preview,
)
from projects.models import AnnualPlan, MonthlyInvestment, Project, ProjectImport
from tests import factories

pytestmark = pytest.mark.django_db

REGISTER_ZH = [
    "项目编号",
    "项目名称",
    "建设单位",
    "园区/载体",
    "产业领域",
    "项目状态",
    "总投资（万元）",
    "计划开工",
    "计划竣工",
    "责任人",
]
REGISTER_EN = [
    "Project code",
    "Project name",
    "Company",
    "Park or carrier",
    "Sector",
    "Status",
    "Total investment (10k yuan)",
    "Planned start",
    "Planned completion",
    "Responsible person",
]


def xlsx(rows, *, merges=(), title="重点项目") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "重点项目.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def preview(user, content: bytes, kind: str = "register", name: str = "list.xlsx"):
    return project_import_preview(upload=upload(content, name), kind=kind, by=user)


def errors_of(record: ProjectImport) -> dict[tuple[int, str], str]:
    """{(row, column letter): reason}"""
    return {
        (error["row"], error["column"].split(" · ")[0]): error["reason"]
        for error in record.plan["errors"]
    }


def row_of(record: ProjectImport, key: str) -> dict:
    return next(row for row in record.plan["rows"] if row["key"] == key)


@pytest.fixture
def ref(db):
    return SimpleNamespace(
        ai=factories.ParkFactory(code="ai", name="人工智能产业园"),
        h2=factories.ParkFactory(code="h2", name="氢能源汽车产业园"),
        battery=factories.SectorFactory(code="battery", name="新能源电池"),
        hydrogen=factories.SectorFactory(code="hydrogen", name="氢能源汽车"),
        zhou=factories.UserFactory(username="zhou", full_name="周明"),
        chen=factories.UserFactory(username="chen", full_name="陈华瑞"),
    )


@pytest.fixture
def existing(ref):
    return factories.ProjectFactory(
        code="A-1",
        name="正力新能电芯项目",
        company="江苏正力新能电池技术有限公司",
        park=ref.ai,
        sector=ref.battery,
        status=Project.Status.CONSTRUCTION,
        total_investment=Decimal("100000"),
        planned_start=date(2025, 3, 1),
        planned_completion=date(2027, 6, 30),
        responsible_person=ref.zhou,
    )


def clean_register() -> bytes:
    return xlsx(
        [
            REGISTER_ZH,
            REGISTER_EN,
            [
                "A-1",
                "正力新能电芯项目",
                "江苏正力新能电池技术有限公司",
                "人工智能产业园",
                "新能源电池",
                "试生产",
                120000,
                date(2025, 3, 1),
                date(2027, 6, 30),
                "周明",
            ],
            [
                "B-2",
                "重塑能源科技项目",
                "江苏重塑能源科技有限公司",
                "h2",
                "氢能源汽车",
                "在建",
                200000,
                date(2025, 5, 1),
                date(2028, 12, 31),
                "chen",
            ],
        ]
    )


def test_a_clean_file_is_previewed_then_applied_on_confirmation(client, official, existing, ref):
    client.force_login(official)
    content = clean_register()
    response = client.post("/projects/import/", {"kind": "register", "file": upload(content)})
    record = ProjectImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/import/{record.pk}/"
    # The preview wrote nothing.
    existing.refresh_from_db()
    assert existing.total_investment == Decimal("100000")
    assert not Project.objects.filter(code="B-2").exists()
    assert (record.status, record.created_count, record.updated_count, record.error_count) == (
        "previewed",
        1,
        1,
        0,
    )
    assert (record.size, record.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert record.uploaded_by == official and bytes(record.content) == content
    page = client.get(response["Location"]).content.decode()
    assert "总投资" in page and "100,000" in page and "120,000" in page
    assert "试生产" in page and 'data-testid="import-confirm"' in page
    changes = {change["field"]: change for change in row_of(record, "A-1")["changes"]}
    assert set(changes) == {"status", "total_investment"}
    assert (changes["total_investment"]["old"], changes["total_investment"]["new"]) == (
        "100,000",
        "120,000",
    )

    response = client.post(f"/projects/import/{record.pk}/confirm/")
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.total_investment == Decimal("120000")
    assert existing.status == Project.Status.TRIAL
    created = Project.objects.get(code="B-2")
    assert (created.park, created.sector, created.responsible_person) == (
        ref.h2,
        ref.hydrogen,
        ref.chen,
    )
    assert created.planned_completion == date(2028, 12, 31)
    record.refresh_from_db()
    assert record.status == ProjectImport.Status.APPLIED
    assert record.applied_by == official and record.applied_at is not None
    listing = client.get("/projects/import/").content.decode()
    assert "重点项目.xlsx" in listing and record.sha256 in listing


def test_every_change_is_in_the_history_with_who_and_why(official, existing, ref):
    record = preview(official, clean_register())
    before = existing.history.count()
    project_import_apply(record=record, by=official)
    latest = existing.history.first()
    assert existing.history.count() == before + 1
    assert latest.history_user == official
    assert "list.xlsx" in latest.history_change_reason
    assert latest.total_investment == Decimal("120000")
    created = Project.objects.get(code="B-2").history.get()
    assert (created.history_type, created.history_user) == ("+", official)


def test_a_messy_city_sheet_is_read_leniently(official, ref):
    rows = [
        ["2026年常熟高新区市级重点项目计划表", None, None, None, None, None, None, None, None],
        ["单位：亿元", None, None, None, None, None, None, None, None],
        [
            "序号",
            "项目编号",
            "项目名称",
            "建设单位",
            "所在园区",
            "产业",
            "计划总投资（亿元）",
            "计划开工时间",
            "计划竣工时间",
            "项目责任人",
        ],
        [
            1,
            "Ｃ－３",
            "金融科技岛总部楼",
            "常熟金融投资有限公司",
            "AI",
            "新能源电池",
            "１０",
            46082,
            "2027/12/31",
            "周明",
        ],
        [
            2,
            " D-4 ",
            "人工智能科技产业园",
            "常熟高新技术产业开发区",
            "人工智能产业园",
            "新能源电池",
            2.5,
            "2026年3月1日",
            datetime(2028, 6, 30),  # noqa: DTZ001 - a date cell, as Excel stores it
            "zhou",
        ],
        [
            3,
            "E-5",
            "加氢站",
            "常熟氢能源有限公司",
            "氢能源汽车产业园",
            "氢能源汽车",
            " 0.85 ",
            "2026-04-01",
            "2026/10/1",
            "陈华瑞",
        ],
        *[["", None, "  ", None] for _ in range(40)],
    ]
    content = xlsx(rows, merges=["A1:J1", "A2:J2"])
    record = preview(official, content)
    assert record.error_count == 0, record.plan["errors"]
    assert record.created_count == 3
    project_import_apply(record=record, by=official)
    c3, d4, e5 = (Project.objects.get(code=code) for code in ("C-3", "D-4", "E-5"))
    # 亿元 in the header: ×10,000 into 万元; full-width digits; text numbers.
    assert (c3.total_investment, d4.total_investment, e5.total_investment) == (
        Decimal("100000"),
        Decimal("25000"),
        Decimal("8500"),
    )
    # A date serial, date strings in three spellings, a date cell.
    assert (c3.planned_start, c3.planned_completion) == (date(2026, 3, 1), date(2027, 12, 31))
    assert (d4.planned_start, d4.planned_completion) == (date(2026, 3, 1), date(2028, 6, 30))
    assert (e5.planned_start, e5.planned_completion) == (date(2026, 4, 1), date(2026, 10, 1))
    assert c3.park == ref.ai and e5.responsible_person == ref.chen
    # No status column: a new project starts in preparation.
    assert c3.status == Project.Status.PREPARATION and c3.level == Project.Level.CITY


def test_a_file_with_errors_writes_nothing_and_lists_every_error(client, official, existing, ref):
    content = xlsx(
        [
            REGISTER_ZH,
            REGISTER_EN,
            [
                "N-1",
                "甲",
                "甲公司",
                "不存在的园区",
                "新能源电池",
                "在建",
                100,
                "2026-03-01",
                "2026-12-31",
                "周明",
            ],
            [
                "N-2",
                "乙",
                "乙公司",
                "ai",
                "新能源电池",
                "在建",
                -5,
                "2026-03-01",
                "2026-12-31",
                "周明",
            ],
            [
                "N-3",
                "丙",
                "丙公司",
                "ai",
                "新能源电池",
                "在建",
                100,
                "下个月",
                "2026-12-31",
                "周明",
            ],
            [
                "N-1",
                "丁",
                "丁公司",
                "ai",
                "新能源电池",
                "在建",
                100,
                "2026-03-01",
                "2026-12-31",
                "周明",
            ],
            [
                "N-5",
                "戊",
                "戊公司",
                "ai",
                "新能源电池",
                "在建",
                100,
                "2026-06-01",
                "2026-03-01",
                "周明",
            ],
            ["N-6", None, "己公司", "ai", "新能源电池", "在建", 100, None, None, "周明"],
            ["N-7", "庚", "庚公司", "ai", "新能源电池", "开心", "约五亿", None, None, "王五"],
            [
                "A-1",
                "正力新能电芯项目",
                "江苏正力",
                "ai",
                "无此产业",
                "在建",
                1,
                "2026-02-30",
                None,
                "周明",
            ],
        ]
    )
    client.force_login(official)
    response = client.post("/projects/import/", {"kind": "register", "file": upload(content)})
    record = ProjectImport.objects.get()
    assert response.status_code == 302
    errors = errors_of(record)
    assert "不存在的园区" in errors[(3, "D")]  # unknown park
    assert "-5" in errors[(4, "G")]  # negative amount
    assert "下个月" in errors[(5, "H")]
    assert "N-1" in errors[(6, "A")] and "3" in errors[(6, "A")]  # duplicate, names row 3
    assert "2026-03-01" in errors[(7, "I")] and "2026-06-01" in errors[(7, "I")]
    assert (8, "B") in errors  # missing required name
    assert "开心" in errors[(9, "F")]  # unknown status
    assert "约五亿" in errors[(9, "G")]  # not a number
    # An unknown responsible person is not an error but a person to create, named once.
    assert (9, "J") not in errors
    [note] = row_of(record, "N-7")["notes"]
    assert (note["row"], note["column"].split(" · ")[0]) == (9, "J") and "王五" in note["reason"]
    assert "无此产业" in errors[(10, "E")]  # unknown sector
    assert "2026-02-30" in errors[(10, "H")]  # a date that does not exist
    assert record.error_count == len(errors) == 10
    assert record.content is None  # a file with errors is not kept
    page = client.get(f"/projects/import/{record.pk}/").content.decode()
    assert 'data-testid="import-errors"' in page and "不存在的园区" in page
    assert 'data-testid="import-confirm"' not in page
    with pytest.raises(NotApplicable):
        project_import_apply(record=record, by=official)
    client.post(f"/projects/import/{record.pk}/confirm/")
    assert not Project.objects.filter(code__startswith="N-").exists()
    existing.refresh_from_db()
    assert existing.company == "江苏正力新能电池技术有限公司"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def assert_refused(client, content: bytes, name: str, *phrases: str) -> ProjectImport:
    response = client.post("/projects/import/", {"kind": "register", "file": upload(content, name)})
    assert response.status_code == 422
    record = ProjectImport.objects.latest("pk")
    assert record.status == ProjectImport.Status.REFUSED
    assert record.content is None and record.plan == {}
    body = response.content.decode()
    for phrase in phrases:
        assert phrase in record.message
    assert record.message in body.replace("&#x27;", "'").replace("&quot;", '"')
    assert not Project.objects.exists()
    return record


def test_a_zip_bomb_is_refused_before_it_is_opened(client, official, ref):
    bomb = zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": bytes(60 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200_000
    client.force_login(official)
    record = assert_refused(client, bomb, "bomb.xlsx", "60", "50")
    assert record.size == len(bomb)


def test_files_that_are_not_workbooks_are_refused_by_content(client, official, ref):
    client.force_login(official)
    assert_refused(client, b"<html><body>key projects</body></html>", "list.xlsx", ".xlsx")
    assert_refused(client, zip_bytes({"word/document.xml": b"<w/>"}), "report.xlsx", ".xlsx")
    assert_refused(client, b"\xd0\xcf\x11\xe0" + bytes(600), "old.xlsx", ".xls")
    assert_refused(client, b"PK\x03\x04" + bytes(100), "broken.xlsx")


def test_a_file_over_5_mb_is_refused(client, official, ref):
    client.force_login(official)
    assert_refused(client, b"PK\x03\x04" + bytes(5 * 1024 * 1024), "big.xlsx", "5")


def test_a_sheet_over_5000_rows_is_refused(client, official, ref):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("重点项目")
    sheet.append(REGISTER_ZH)
    for index in range(5001):
        sheet.append(
            [f"R-{index}", "项目", "公司", "ai", "新能源电池", "在建", 1, None, None, "zhou"]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(official)
    assert_refused(client, buffer.getvalue(), "rows.xlsx", "5,000")


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_xml_entity_declarations_are_refused(client, official, ref, member):
    with zipfile.ZipFile(io.BytesIO(clean_register())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    # A "billion laughs" in miniature: refused for declaring entities at all.
    members[member] = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + members[member].split(b"?>", 1)[-1]
    )
    client.force_login(official)
    record = assert_refused(client, zip_bytes(members), "entities.xlsx")
    with translation.override("zh-hans"):
        assert record.message == translation.gettext(
            "The workbook contains XML entity declarations, which are not accepted."
        )


def test_reimporting_the_same_file_changes_nothing(client, official, existing, ref):
    content = clean_register()
    project_import_apply(record=preview(official, content), by=official)
    history = {project.code: project.history.count() for project in Project.objects.all()}
    versions = dict(Project.objects.values_list("code", "version"))
    again = preview(official, content)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    client.force_login(official)
    page = client.get(f"/projects/import/{again.pk}/").content.decode()
    assert 'data-testid="import-confirm"' not in page
    assert 'data-testid="same-file"' in page
    project_import_apply(record=again, by=official)
    assert {p.code: p.history.count() for p in Project.objects.all()} == history
    assert dict(Project.objects.values_list("code", "version")) == versions


def test_confirm_applies_nothing_when_the_register_changed_since_the_preview(
    client, official, existing, ref
):
    record = preview(official, clean_register())
    # Someone edits A-1 in the browser between the preview and the confirmation.
    services.project_update(project=existing, by=ref.zhou, location="常熟")
    client.force_login(official)
    response = client.post(f"/projects/import/{record.pk}/confirm/", follow=True)
    record.refresh_from_db()
    assert record.status == ProjectImport.Status.FAILED
    assert "A-1" in record.message
    assert not Project.objects.filter(code="B-2").exists()  # not even the other row
    existing.refresh_from_db()
    assert existing.total_investment == Decimal("100000")
    assert "A-1" in response.content.decode()


def confirm_with_values(monkeypatch, key: str, **values) -> None:
    """The plan made again at confirmation gives row `key` these values: what the preview
    could not see, without touching its signature."""
    build = planning.build

    def build_changed(sheet):
        plan = build(sheet)
        row = next(row for row in plan.rows if row.key == key)
        row.values = {**row.values, **values}
        return plan

    monkeypatch.setattr(planning, "build", build_changed)


def test_confirm_is_all_or_nothing_when_a_row_fails_mid_apply(official, existing, ref, monkeypatch):
    record = preview(official, clean_register())
    # Something the plan could not foresee: B-2's new row carries A-1's code, which the
    # database's unique index refuses.
    confirm_with_values(monkeypatch, "B-2", code="A-1")
    result = project_import_apply(record=record, by=official)
    assert result.status == ProjectImport.Status.FAILED
    # The new rows go in together; the one the database refuses is still named.
    assert "B-2" in result.message and "projects_project" in result.message
    assert "Row 4" in result.message or "第 4 行" in result.message
    existing.refresh_from_db()
    assert existing.total_investment == Decimal("100000")  # rolled back with the rest
    assert existing.history.count() == 1
    assert Project.objects.count() == 1
    with pytest.raises(NotApplicable):
        project_import_apply(record=result, by=official)


def test_a_new_row_failing_its_field_checks_is_named(official, existing, ref, monkeypatch):
    record = preview(official, clean_register())
    confirm_with_values(monkeypatch, "B-2", company="公司" * 100)
    result = project_import_apply(record=record, by=official)
    assert result.status == ProjectImport.Status.FAILED
    assert "B-2" in result.message
    assert Project.objects.count() == 1


def test_new_rows_are_saved_in_batches_not_row_by_row_each_with_its_history(official, ref):
    def sheet(codes):
        return xlsx(
            [
                REGISTER_ZH,
                REGISTER_EN,
                *(
                    [
                        code,
                        f"项目{code}",
                        "某公司",
                        "h2",
                        "氢能源汽车",
                        "在建",
                        1000,
                        None,
                        None,
                        "chen",
                    ]
                    for code in codes
                ),
            ]
        )

    few = preview(official, sheet([f"F-{n}" for n in range(3)]), name="few.xlsx")
    with CaptureQueriesContext(connection) as few_queries:
        project_import_apply(record=few, by=official)
    many = preview(official, sheet([f"M-{n}" for n in range(60)]), name="many.xlsx")
    with CaptureQueriesContext(connection) as many_queries:
        applied = project_import_apply(record=many, by=official)
    assert applied.status == ProjectImport.Status.APPLIED and applied.created_count == 60
    # 57 more rows cost at most an INSERT batch more for the projects and their history
    # (SQLite caps the parameters of one statement); row by row it was six a row.
    assert len(many_queries) <= len(few_queries) + 2
    records = Project.history.filter(code__startswith="M-")
    assert records.count() == 60
    assert {(r.history_type, r.history_user_id) for r in records} == {("+", official.pk)}
    assert all("many.xlsx" in r.history_change_reason for r in records)
    assert set(records.values_list("id", flat=True)) == set(
        Project.objects.filter(code__startswith="M-").values_list("pk", flat=True)
    )


def test_the_template_imports_as_it_is_with_its_examples_skipped(client, official, ref, today):
    client.force_login(official)
    response = client.get("/projects/import/templates/register.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["重点项目", "说明"]
    rows = list(workbook["重点项目"].iter_rows(values_only=True))
    assert rows[0][:3] == ("项目编号", "项目名称", "建设单位")
    assert rows[1][:3] == ("Project code", "Project name", "Company")
    assert rows[2][0].startswith("示例")
    notes = [row[0] for row in workbook["说明"].iter_rows(values_only=True)]
    assert "项目编号" in notes and "总投资（万元）" in notes
    record = preview(official, response.content)
    assert (record.created_count, record.error_count) == (0, 0)
    assert record.plan["examples_skipped"] == 2
    for name in ("monthly", "monthly-wide"):
        content = templates.template_workbook(name, user=official, today=today)
        assert preview(official, content, kind="monthly").error_count == 0


def test_monthly_investment_one_row_per_month(official, existing, today):
    factories.MonthlyInvestmentFactory(
        project=existing, year=2025, month=1, completed_amount=Decimal("800"), note="复工"
    )
    content = xlsx(
        [
            ["项目编号", "项目名称", "年份", "月份", "当月完成投资（万元）", "备注"],
            [
                "Project code",
                "Project name",
                "Year",
                "Month",
                "Completed this month (10k yuan)",
                "Note",
            ],
            ["A-1", "正力新能电芯项目", 2025, 1, "１，２００．５", "赶工"],
            ["A-1", "正力新能电芯项目", None, "2025-02", 900, None],
            ["A-1", "正力新能电芯项目", "2025年", "3月", "1,000", ""],
            ["A-1", "正力新能电芯项目", today.year + 1, 1, 5, ""],
            ["Z-9", "无此项目", 2025, 4, 5, ""],
        ]
    )
    record = preview(official, content, kind="monthly")
    errors = errors_of(record)
    assert record.plan["layout"] == "rows"
    assert set(errors) == {(6, "D"), (7, "A")}
    assert "Z-9" in errors[(7, "A")]
    # Without the bad rows it applies.
    good = xlsx(
        [
            ["项目编号", "年份", "月份", "当月完成投资（万元）", "备注"],
            ["A-1", 2025, 1, "１，２００．５", "赶工"],
            ["A-1", None, "2025-02", 900, None],
            ["A-1", "2025年", "3月", "1,000", ""],
        ]
    )
    record = preview(official, good, kind="monthly")
    assert (record.created_count, record.updated_count, record.error_count) == (2, 1, 0)
    january = row_of(record, "A-1 2025-01")
    assert {(c["field"], c["old"], c["new"]) for c in january["changes"]} == {
        ("completed_amount", "800", "1,200.5"),
        ("note", "复工", "赶工"),
    }
    project_import_apply(record=record, by=official)
    figures = {
        figure.month: (figure.completed_amount, figure.note)
        for figure in MonthlyInvestment.objects.filter(project=existing, year=2025)
    }
    assert figures == {
        1: (Decimal("1200.50"), "赶工"),
        2: (Decimal("900.00"), ""),
        3: (Decimal("1000.00"), ""),
    }
    january = MonthlyInvestment.objects.get(project=existing, year=2025, month=1)
    assert january.history.first().history_user == official
    assert january.history.count() == 2


def test_monthly_investment_one_column_per_month(official, existing, ref):
    other = factories.ProjectFactory(code="B-2", park=ref.h2, sector=ref.hydrogen)
    factories.MonthlyInvestmentFactory(
        project=existing, year=2025, month=2, completed_amount=Decimal("100"), note="保留"
    )
    content = xlsx(
        [
            ["2025年重点项目月度完成投资", None, None, None, None],
            ["单位：亿元", None, None, None, None],
            ["项目编号", "项目名称", "2025年1月", "2025年2月", "2025-03"],
            ["A-1", "正力新能电芯项目", 0.08, "0.01", None],
            ["B-2", "重塑能源科技项目", None, "", "０.２"],
        ],
        merges=["A1:E1"],
    )
    record = preview(official, content, kind="monthly")
    assert record.plan["layout"] == "columns"
    assert record.error_count == 0
    assert {row["key"]: row["action"] for row in record.plan["rows"]} == {
        "A-1 2025-01": "create",
        "A-1 2025-02": "unchanged",
        "B-2 2025-03": "create",
    }
    project_import_apply(record=record, by=official)
    assert MonthlyInvestment.objects.get(project=existing, month=1).completed_amount == Decimal(
        "800"
    )
    february = MonthlyInvestment.objects.get(project=existing, month=2)
    assert (february.completed_amount, february.note, february.version) == (
        Decimal("100"),
        "保留",
        1,
    )
    assert MonthlyInvestment.objects.get(project=other, month=3).completed_amount == Decimal("2000")
    assert MonthlyInvestment.objects.filter(year=2025).count() == 3


def test_a_month_cell_that_is_not_a_number_names_its_column(official, existing):
    content = xlsx([["项目编号", "2025年1月", "2025年2月"], ["A-1", -1, "十"]])
    record = preview(official, content, kind="monthly")
    errors = errors_of(record)
    assert set(errors) == {(2, "B"), (2, "C")}
    assert "2025年1月" in record.plan["errors"][0]["column"]


@pytest.mark.parametrize("role", ["leader", "manager"])
def test_only_officials_and_admins_import(client, request, role, ref):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/projects/import/").status_code == 403
    response = client.post(
        "/projects/import/", {"kind": "register", "file": upload(clean_register())}
    )
    assert response.status_code == 403
    assert client.get("/projects/import/templates/register.xlsx").status_code == 403
    assert not ProjectImport.objects.exists()


def test_the_register_links_to_the_import_page_for_officials_only(client, official, leader):
    client.force_login(official)
    assert 'data-testid="import-link"' in client.get("/projects/").content.decode()
    client.force_login(leader)
    assert 'data-testid="import-link"' not in client.get("/projects/").content.decode()


def test_an_upload_without_a_file_is_answered_422(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/projects/import/", {"kind": "register"})
    assert response.status_code == 422
    assert not ProjectImport.objects.exists()


# ---------------------------------------------------------------- no silent misreadings

PLAN_HEADERS = ["本年计划投资（万元）", *(f"{month}月计划（万元）" for month in range(1, 13))]


def test_no_silent_misreadings_units_plans_month_dates_people_and_bidi(
    client, official, existing, ref
):
    """The issue's sheet, on 2026-11-18 (the suite's clock: plans are for 2026).

    Worked out by hand:
    - A-1: '3000万' in the 亿元 column is 3,000 万元 (0.3 亿元), not 3,000 亿元; the name
      and company carry a bidi override and a zero-width space, which go, so they equal
      what is stored; 2025年3月 is 2025-03-01 and 2027-06 is 2027-06-30, both as stored.
      The plan: 6,000 with twelve months of 500 (12 × 500 = 6,000).
    - N-1: '5000000元' in the 万元 plan column is 500 万元; 0.5 亿元 is 5,000 万元; 2026.4
      as text is 2026-04-01; 2027.6 typed as a number is June 2027, its last day 2027-06-30.
    - N-2: 2026年4月 starts 2026-04-01, 2026-04 completes 2026-04-30 (a month alone is
      its first day for a start, its last for a completion); only the twelve months are
      given (100 each), so the new plan is their sum, 1,200.
    - 张三 (rows 3 and 4) is no user: one note on each row, one person to create.
    - 备注 is no column of the register: named as not imported.
    """
    content = xlsx(
        [
            [
                "项目编号",
                "项目名称",
                "建设单位",
                "园区/载体",
                "产业领域",
                "总投资（亿元）",
                "计划开工",
                "计划竣工",
                "责任人",
                *PLAN_HEADERS,
                "备注",
            ],
            [
                "A-1",
                "正力新能\u202e电芯项目",
                "江苏正力新能\u200b电池技术有限公司",
                "ai",
                "新能源电池",
                "3000万",
                "2025年3月",
                "2027-06",
                "周明",
                6000,
                *[500] * 12,
                "按月推进",
            ],
            [
                "N-1",
                "新建\u2066甲项目\u2069",
                "甲公司",
                "ai",
                "新能源电池",
                0.5,
                "2026.4",
                2027.6,
                "张三",
                "5000000元",
                *[None] * 12,
                None,
            ],
            [
                "N-2",
                "新建乙项目",
                "乙公司",
                "h2",
                "氢能源汽车",
                1,
                "2026年4月",
                "2026-04",
                " 张三 ",
                None,
                *[100] * 12,
                None,
            ],
        ]
    )
    client.force_login(official)
    response = client.post("/projects/import/", {"kind": "register", "file": upload(content)})
    record = ProjectImport.objects.get()
    assert response.status_code == 302
    assert record.error_count == 0, record.plan["errors"]
    assert (record.created_count, record.updated_count) == (2, 1)
    assert record.plan["plan_year"] == 2026
    assert record.plan["people"] == [{"name": "张三", "rows": [3, 4]}]
    assert [column["column"] for column in record.plan["ignored"]] == ["W · 备注"]
    changes = {c["field"]: (c["old"], c["new"]) for c in row_of(record, "A-1")["changes"]}
    assert changes == {
        "total_investment": ("100,000", "3,000"),
        "annual_plan": ("—", "6,000"),
        **{f"planned_month_{month}": ("—", "500") for month in range(1, 13)},
    }
    assert row_of(record, "A-1")["notes"] == []
    for key, row in (("N-1", 3), ("N-2", 4)):
        [note] = row_of(record, key)["notes"]
        assert (note["row"], note["column"]) == (row, "I · 责任人") and "张三" in note["reason"]

    page = client.get(f"/projects/import/{record.pk}/").content.decode()
    assert 'data-testid="import-ignored"' in page and "W · 备注" in page
    assert 'data-testid="import-people"' in page and 'name="create_people"' in page
    assert "2026年计划投资（万元）" in page and "2026年3月计划（万元）" in page

    # Confirmed without choosing to create the person: nothing happens.
    client.post(f"/projects/import/{record.pk}/confirm/")
    record.refresh_from_db()
    assert record.status == ProjectImport.Status.PREVIEWED
    assert not Project.objects.filter(code__startswith="N-").exists()
    client.post(f"/projects/import/{record.pk}/confirm/", {"create_people": "1"})
    record.refresh_from_db()
    assert record.status == ProjectImport.Status.APPLIED, record.message

    zhang = get_user_model().objects.get(full_name="张三")
    assert (zhang.username, zhang.is_active, zhang.has_usable_password()) == ("张三", True, False)
    assert not zhang.groups.exists()
    existing.refresh_from_db()
    assert (existing.name, existing.company) == ("正力新能电芯项目", "江苏正力新能电池技术有限公司")
    assert existing.total_investment == Decimal("3000")
    n1, n2 = Project.objects.get(code="N-1"), Project.objects.get(code="N-2")
    assert n1.name == "新建甲项目" and n1.total_investment == Decimal("5000")
    assert (n1.planned_start, n1.planned_completion) == (date(2026, 4, 1), date(2027, 6, 30))
    assert (n2.planned_start, n2.planned_completion) == (date(2026, 4, 1), date(2026, 4, 30))
    assert n1.responsible_person == n2.responsible_person == zhang
    plans = {
        plan.project.code: (plan.planned_investment, plan.monthly_plan)
        for plan in AnnualPlan.objects.filter(year=2026).select_related("project")
    }
    assert plans == {
        "A-1": (Decimal("6000"), [Decimal("500")] * 12),
        "N-1": (Decimal("500"), None),
        "N-2": (Decimal("1200"), [Decimal("100")] * 12),
    }
    assert AnnualPlan.history.filter(history_user=official).count() == 3

    # The same file again: 张三 is a user now, and nothing changes.
    again = preview(official, content)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert again.plan["people"] == [] and again.error_count == 0


@pytest.mark.parametrize(
    ("raw", "factor", "expected"),
    [
        ("3000万", Decimal(10_000), Decimal("3000")),  # 0.3 亿元 in a 亿元 column
        ("3000万元", Decimal(10_000), Decimal("3000")),
        ("5000000元", Decimal(1), Decimal("500")),  # 5,000,000 / 10,000
        ("0.3亿", Decimal(1), Decimal("3000")),
        ("0.3", Decimal(10_000), Decimal("3000")),  # no unit in the cell: the column's
        ("1,234元", Decimal(1), Decimal("0.12")),  # 0.1234 万元, to two places
    ],
)
def test_a_unit_written_in_the_cell_wins_over_the_columns(raw, factor, expected):
    assert cells.money_value(raw, factor) == expected


@pytest.mark.parametrize(
    ("raw", "month_end", "expected"),
    [
        ("2026年4月", False, date(2026, 4, 1)),
        ("2026年4月", True, date(2026, 4, 30)),
        ("2026-04", False, date(2026, 4, 1)),
        ("2026.4", True, date(2026, 4, 30)),
        ("2026.10", False, date(2026, 10, 1)),  # as text, October
        (2026.4, False, date(2026, 4, 1)),  # a number cell
        (2026.12, True, date(2026, 12, 31)),
        ("2028-02", True, date(2028, 2, 29)),  # a leap year's February
        ("2026年4月15日", True, date(2026, 4, 15)),  # a whole date is that day
        ("2100-12-31", False, date(2100, 12, 31)),  # the last date accepted
    ],
)
def test_a_month_alone_is_its_first_day_or_for_a_completion_its_last(raw, month_end, expected):
    assert cells.date_value(raw, month_end=month_end) == expected


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        (2026.1, "2026-10"),  # January or October (2026.10 typed into a number cell)
        ("2026-13", "2026-13"),
        ("1999-12-31", "2000-01-01"),
        ("2101-01", "2100-12-31"),
        (datetime(1990, 5, 1), "1990-05-01"),  # noqa: DTZ001 - a date cell
    ],
)
def test_dates_that_cannot_be_read_one_way_or_are_out_of_range_are_refused(raw, phrase):
    with pytest.raises(cells.CellProblem) as problem:
        cells.date_value(raw)
    assert phrase in str(problem.value)


def test_an_out_of_range_date_is_a_row_error(official, ref):
    content = xlsx(
        [
            REGISTER_ZH,
            [
                "N-1",
                "甲",
                "甲公司",
                "ai",
                "新能源电池",
                "在建",
                100,
                "1999-12-01",
                "2206-01-01",
                "周明",
            ],
        ]
    )
    errors = errors_of(preview(official, content))
    assert set(errors) == {(2, "H"), (2, "I")}
    assert "1999-12-01" in errors[(2, "H")] and "2206-01-01" in errors[(2, "I")]


def register_with_plan(*plan_headers: str, rows=()) -> bytes:
    return xlsx([[*REGISTER_ZH, *plan_headers], *rows])


def a1_row(*plan_values) -> list:
    return [
        "A-1",
        "正力新能电芯项目",
        "江苏正力新能电池技术有限公司",
        "ai",
        "新能源电池",
        "在建",
        100000,
        date(2025, 3, 1),
        date(2027, 6, 30),
        "周明",
        *plan_values,
    ]


def test_a_header_naming_next_year_is_accepted_from_december(official, existing, time_machine):
    """2027年计划投资 on 2026-11-18 is refused; on 2026-12-02 it is the plan for 2027."""
    content = register_with_plan("2027年计划投资", rows=[a1_row(8000)])
    refused = preview(official, content)
    [error] = refused.plan["errors"]
    assert (error["row"], error["column"]) == (1, "K · 2027年计划投资") and "2027" in error[
        "reason"
    ]
    time_machine.move_to(datetime(2026, 12, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    record = preview(official, content)
    assert record.error_count == 0 and record.plan["plan_year"] == 2027
    project_import_apply(record=record, by=official)
    assert AnnualPlan.objects.get(project=existing).year == 2027


def test_without_a_year_in_the_header_plans_are_for_the_year_being_entered(
    official, existing, time_machine
):
    """In January (2027-01-10) the year being entered is still 2026 (progress.entry_year)."""
    time_machine.move_to(datetime(2027, 1, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    record = preview(official, register_with_plan("本年计划投资", rows=[a1_row(7000)]))
    assert record.plan["plan_year"] == 2026
    project_import_apply(record=record, by=official)
    plan = AnnualPlan.objects.get(project=existing)
    assert (plan.year, plan.planned_investment) == (2026, Decimal("7000"))


def test_plan_columns_naming_two_years_are_refused(official, existing):
    record = preview(
        official, register_with_plan("2026年计划投资", "2025年1月计划", rows=[a1_row(1, 2)])
    )
    assert [error["row"] for error in record.plan["errors"]] == [1]
    assert "2025、2026" in record.plan["errors"][0]["reason"]


def test_a_monthly_plan_must_be_whole_and_add_up(official, existing):
    """A-1 has a stored plan of 1,200 with twelve months of 100. Columns: K the year's
    plan, L..W months 1..12. Worked out by hand, each refused with AnnualPlan.clean()'s
    reason in the plan's first filled column:
    - A-1 giving months 1..11 as 100, December empty: December keeps its stored 100, the
      plan is as stored: unchanged, no error;
    - B-2 (new) giving 1,000 and twelve months of 100: they add up to 1,200, not 1,000;
    - B-2 giving months 1..11 alone: not twelve months (column L, the first given);
    - A-1 giving March alone as 300: the months would add up to 1,400, not 1,200 (N)."""
    factories.AnnualPlanFactory(
        project=existing,
        year=2026,
        planned_investment=Decimal("1200"),
        **{f"planned_month_{month}": Decimal("100") for month in range(1, 13)},
    )
    b2 = ["B-2", "乙", "乙公司", "ai", "新能源电池", "在建", 100, None, None, "周明"]
    content = register_with_plan(
        *PLAN_HEADERS, rows=[a1_row(None, *[100] * 11, None), [*b2, 1000, *[100] * 12]]
    )
    record = preview(official, content)
    errors = errors_of(record)
    assert set(errors) == {(3, "K")}
    assert "1200" in errors[(3, "K")].replace(",", "") and "1000" in errors[(3, "K")]
    assert row_of(record, "A-1")["action"] == "unchanged"
    content = register_with_plan(
        *PLAN_HEADERS,
        rows=[[*b2, None, *[100] * 11, None], a1_row(None, None, None, 300, *[None] * 9)],
    )
    errors = errors_of(preview(official, content))
    assert set(errors) == {(2, "L"), (3, "N")}
    assert "1400" in errors[(3, "N")].replace(",", "")


def test_completed_so_far_is_compared_never_imported_and_refused_without_its_months(
    official, existing
):
    """A-1 has 800 + 700 = 1,500 completed in 2026 months 1–2 (and 50 in March, outside)."""
    for month, amount in ((1, "800"), (2, "700"), (3, "50")):
        factories.MonthlyInvestmentFactory(
            project=existing, year=2026, month=month, completed_amount=Decimal(amount)
        )
    refused = preview(official, register_with_plan("本年完成投资（万元）", rows=[a1_row(1500)]))
    [error] = refused.plan["errors"]
    assert error["column"] == "K · 本年完成投资（万元）" and "本年完成投资" in error["reason"]

    agrees = preview(official, register_with_plan("2026年1–2月完成投资", rows=[a1_row(1500)]))
    assert (agrees.error_count, agrees.unchanged_count) == (0, 1)
    assert [column["column"] for column in agrees.plan["ignored"]] == ["K · 2026年1–2月完成投资"]

    differs = preview(official, register_with_plan("2026年1–2月完成投资", rows=[a1_row(1550)]))
    reason = errors_of(differs)[(2, "K")]
    assert "1,550" in reason and "1,500" in reason
    assert MonthlyInvestment.objects.filter(project=existing).count() == 3


def test_an_exported_register_with_plans_imports_unchanged(client, official, existing, today):
    """The export on 2026-11-18 shows 2026 through October (the 5 November deadline has
    passed): the plan and its twelve months, and 1–10月 completed, come back unchanged."""
    factories.AnnualPlanFactory(
        project=existing,
        year=2026,
        planned_investment=Decimal("1200"),
        **{f"planned_month_{month}": Decimal("100") for month in range(1, 13)},
    )
    factories.MonthlyInvestmentFactory(
        project=existing, year=2026, month=2, completed_amount=Decimal("80.5")
    )
    client.force_login(official)
    content = client.get("/projects/export.xlsx").content
    header = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].values)[0]
    assert header[15:17] == ("2026年计划投资（万元）", "2026年1月计划（万元）")
    assert header[-1] == "2026年1–10月完成投资（万元）"
    record = preview(official, content)
    assert record.error_count == 0, record.plan["errors"]
    assert (record.created_count, record.updated_count, record.unchanged_count) == (0, 0, 1)
    assert record.plan["plan_year"] == 2026
    assert {column["column"].split(" · ")[1] for column in record.plan["ignored"]} == {
        "预警",
        "2026年1–10月完成投资（万元）",
    }


def test_people_who_cannot_be_created_from_a_name_stay_errors(official, ref):
    """A deactivated user is not created again; 周明、陈华 names two people."""
    factories.UserFactory(username="li", full_name="李四", is_active=False)
    row = ["甲", "甲公司", "ai", "新能源电池", "在建", 100, None, None]
    record = preview(
        official, xlsx([REGISTER_ZH, ["N-1", *row, "李四"], ["N-2", *row, "周明、陈华"]])
    )
    errors = errors_of(record)
    assert set(errors) == {(2, "J"), (3, "J")}
    assert "李四" in errors[(2, "J")] and "周明、陈华" in errors[(3, "J")]
    assert record.plan["people"] == []


def test_a_person_created_meanwhile_stops_the_confirmation(official, ref):
    row = ["N-1", "甲", "甲公司", "ai", "新能源电池", "在建", 100, None, None, "张三"]
    record = preview(official, xlsx([REGISTER_ZH, row]))
    with pytest.raises(NotApplicable):
        project_import_apply(record=record, by=official)
    factories.UserFactory(username="zhang", full_name="张三")
    result = project_import_apply(record=record, by=official, create_people=True)
    assert result.status == ProjectImport.Status.FAILED
    assert get_user_model().objects.filter(full_name="张三").count() == 1
    assert not Project.objects.exists()
