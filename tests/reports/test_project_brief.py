"""The one-page project brief (项目简报): who may download it (web and API), what it says
on a small project worked out by hand, that it stays on one A4 page however long its
lists, and the demo's 重塑能源科技项目 brief.

The suite's clock is fixed at 2026-11-18 (tests/clock.py): the reporting period is
2026年1–10月 (October's figures were due on 5 November)."""

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from hitech_zone import services
from hitech_zone.demo.loader import load_demo
from hitech_zone.permissions import SYSTEM, Role
from inspections.models import DepartmentMember, Issue, SiteVisit
from inspections.photos import attach_photos
from projects import progress
from projects.lights import Light
from projects.models import Project
from reports.briefings.project_brief import (
    ISSUE_ROWS,
    MILESTONE_ROWS,
    brief_project,
    project_brief,
    project_brief_pdf,
)
from tests import factories
from tests.reports.test_pdf import embedded_fonts

pytestmark = [pytest.mark.django_db]

ROLES = ["anonymous", "official", "leader", "manager", "other_manager", "admin_user", "dept_user"]
# Who gets T-OWN's brief: its manager, and those who see every project; the other
# manager is told it does not exist (404), a department's user that its role reads no
# brief (403).
GETS_IT = {"official", "leader", "manager", "admin_user"}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, squeeze("".join(page.extract_text() for page in reader.pages))


def jpeg(colour: str = "#0b5cab") -> SimpleUploadedFile:
    image = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(image, "JPEG")
    return SimpleUploadedFile("site.jpg", image.getvalue(), content_type="image/jpeg")


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


@pytest.fixture
def walk_world(own_project, other_project, dept_user, official, today, settings, tmp_path):
    """T-OWN has a milestone and an issue assigned to dept_user's department, so the
    department's user sees the project page (through the issue) but gets no brief."""
    settings.MEDIA_ROOT = tmp_path
    factories.MilestoneFactory(project=own_project, sequence=1, baseline_date=today)
    factories.IssueFactory(
        project=own_project,
        status=Issue.Status.ASSIGNED,
        department=dept_user.department_membership.department,
        deadline=today,
        raised_by=official,
        assigned_by=official,
    )
    return own_project


# ---------------------------------------------------------------- who gets it


def expected(role: str, *, api: bool) -> int:
    if role == "anonymous":
        return 401 if api else 302
    if role == "other_manager":
        return 404
    return 200 if role in GETS_IT else 403


@pytest.mark.parametrize("role", ROLES)
def test_the_web_download_for_every_role(client, request, walk_world, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("project_brief", args=[walk_world.code]))
    assert response.status_code == expected(role, api=False), role
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert "attachment" in response["Content-Disposition"]
    else:
        assert walk_world.name not in response.content.decode(errors="replace")
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
def test_the_api_download_for_every_role(client, request, walk_world, role):
    headers = {}
    if role != "anonymous":
        _token, key = services.api_token_create(user=request.getfixturevalue(role), name="测试")
        headers = {"Authorization": f"Bearer {key}"}
    url = reverse("api:project_brief_pdf", args=[walk_world.code])
    assert url == f"/api/v1/projects/{walk_world.code}/brief.pdf"
    response = client.get(url, headers=headers)
    assert response.status_code == expected(role, api=True), role
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    else:
        assert response["Content-Type"].startswith("application/json")
        assert walk_world.name not in response.content.decode()


def test_a_manager_gets_no_brief_of_another_managers_project(client, manager, walk_world):
    client.force_login(manager)
    assert client.get(reverse("project_brief", args=["T-OTHER"])).status_code == 404
    assert client.get(reverse("project_brief", args=["NO-SUCH"])).status_code == 404


@pytest.mark.parametrize("role", sorted(ROLES[1:]))
def test_the_project_page_links_to_the_brief_for_those_who_get_it(
    client, request, walk_world, role
):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("project_detail", args=[walk_world.code]))
    if role == "other_manager":
        assert page.status_code == 404
        return
    assert page.status_code == 200
    link = reverse("project_brief", args=[walk_world.code])
    assert (link in page.content.decode()) == (role in GETS_IT), role


def test_the_zone_wide_briefings_stay_closed_to_project_managers(
    client, manager, leader, walk_world, today
):
    briefing = factories.published_briefing(today=today)
    client.force_login(manager)
    assert client.get(reverse("briefing_list")).status_code == 403
    assert client.get(reverse("briefing_download", args=[briefing.pk])).status_code == 403
    _token, key = services.api_token_create(user=manager, name="测试")
    api = client.get(
        reverse("api:briefing_pdf", args=[briefing.pk]), headers={"Authorization": f"Bearer {key}"}
    )
    assert api.status_code == 403
    client.force_login(leader)
    assert client.get(reverse("briefing_download", args=[briefing.pk])).status_code == 200


# ---------------------------------------------------------------- what it says


@pytest.fixture
def hand_made(official, settings, tmp_path):
    """GX-HB, continuing (planned start 2025-03-01), 2026 plan 12,000 万元, no monthly
    plan. Worked out by hand for 2026年1–10月 (as of 2026-11-18):

    - completed 1–10月: 2,500 + 3,500 = 6,000 万元 (November's 900 is after the period);
      6,000 / 12,000 = 50.0 % of the plan;
    - due by October (序时进度): 10/12 of 12,000 = 10,000 万元, 83.3 %;
    - 50.0 − 83.3 = −33.3 points: more than 30 behind, so the light is red;
    - 开工: baseline 2026-03-01, reached 2026-03-10: 9 days late;
      主体封顶: baseline 2026-10-01, not reached: 2026-11-18 − 2026-10-01 = 48 days late;
    - issue 招工缺口 assigned with a deadline on Saturday 2026-11-07: due the next working
      day, Monday 11-09; working days after it up to 11-18: 10–13 (4) and 16–18 (3) = 7.
    """
    settings.MEDIA_ROOT = tmp_path
    leader = factories.UserFactory(username="t-yao", full_name="姚丽英")
    person = factories.UserFactory(username="t-chen", full_name="陈华瑞")
    project = factories.ProjectFactory(
        code="GX-HB",
        name="氢能示范项目",
        company="江苏氢能示范有限公司",
        park=factories.ParkFactory(code="h2", name="氢能源汽车产业园"),
        total_investment=Decimal("200000"),
        responsible_person=person,
        leader_in_charge=leader,
    )
    factories.AnnualPlanFactory(project=project, year=2026, planned_investment=Decimal("12000"))
    for month, amount in ((3, "2500"), (9, "3500"), (11, "900")):
        factories.MonthlyInvestmentFactory(
            project=project, year=2026, month=month, completed_amount=Decimal(amount)
        )
    factories.MilestoneFactory(
        project=project,
        sequence=1,
        name="开工",
        baseline_date=date(2026, 3, 1),
        actual_date=date(2026, 3, 10),
    )
    factories.MilestoneFactory(
        project=project, sequence=2, name="主体封顶", baseline_date=date(2026, 10, 1)
    )
    department = factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    factories.IssueFactory(
        project=project,
        title="招工缺口",
        category=factories.issue_category(Issue.Category.HIRING),
        status=Issue.Status.ASSIGNED,
        department=department,
        deadline=date(2026, 11, 7),
        raised_by=official,
        assigned_by=official,
    )
    factories.IssueFactory(
        project=project,
        title="已销号的问题",
        status=Issue.Status.CLOSED,
        department=department,
        deadline=date(2026, 10, 9),
        closed_at=timezone.now(),
        raised_by=official,
    )
    visit = factories.SiteVisitFactory(
        project=project,
        visited_on=date(2026, 11, 12),
        created_by=official,
        notes="一期设备安装调试中\n高校未开学，招工渠道有限\n组织人事劳动局对接招聘会\n第四行不印",
    )
    attach_photos(visit, [jpeg()], keep_location=False)
    return project


def test_the_brief_of_a_hand_made_project(official, hand_made, today):
    assert today == date(2026, 11, 18)
    project = brief_project(official, "GX-HB", as_of=today)
    brief = project_brief(official, project, today)
    reader, text = pdf_text(project_brief_pdf(brief))
    assert len(reader.pages) == 1
    # The light and the reporting period, in the common rule's words.
    assert brief["light"] == "red"
    assert squeeze(str(Light.RED.label)) in text
    assert squeeze(progress.ReportingPeriod(2026, 10).label) in text
    # The figures, worked out by hand (see the fixture).
    investment = brief["investment"]
    assert investment["completed_ytd"] == Decimal("6000")
    assert investment["due_ytd"] == Decimal("10000")
    assert investment["points"] == Decimal("-33.3")
    for literal in ("12,000", "6,000", "10,000", "50.0%", "83.3%", "33.3"):
        assert literal in text, literal
    assert "900" not in text.replace("2,900", "")  # November is after the period
    # Milestones: 9 and 48 days late.
    assert [row["late_days"] for row in brief["milestones"].rows] == [9, 48]
    assert re.search(r"开工3月1日\D*3月10日\D*9(?!\d)", text), text
    assert re.search(r"主体封顶10月1日\D*48(?!\d)", text), text
    # The open issue with its department, deadline and 7 working days overdue; not the
    # closed one.
    assert [row["overdue_workdays"] for row in brief["issues"].rows] == [7]
    assert "招工缺口" in text and "组织人事劳动局" in text
    assert re.search(r"招工缺口\D*组织人事劳动局11月7日\D*7(?!\d)", text), text
    assert "已销号的问题" not in text
    # People, company, park, total investment in 亿元.
    for literal in ("陈华瑞", "姚丽英", "江苏氢能示范有限公司", "氢能源汽车产业园", "20.0"):
        assert literal in text, literal
    # The last visit: its first three lines and its photo.
    assert "一期设备安装调试中" in text and "组织人事劳动局对接招聘会" in text
    assert "第四行不印" not in text
    assert len(reader.pages[0].images) == 1
    # The font ships with the code and is embedded.
    fonts = embedded_fonts(reader)
    assert fonts and all(embedded for _, embedded in fonts), fonts


def test_a_missing_thumbnail_prints_no_photo(official, hand_made, today):
    photo = SiteVisit.objects.get(project=hand_made).photos.get()
    Path(photo.thumbnail.path).unlink()
    project = brief_project(official, "GX-HB", as_of=today)
    brief = project_brief(official, project, today)
    assert brief["visit"]["thumbnail"] is None
    reader, text = pdf_text(project_brief_pdf(brief))
    assert len(reader.pages[0].images) == 0
    assert "一期设备安装调试中" in text


def test_one_page_with_thirty_milestones_and_thirty_issues(official, hand_made, today):
    long = "因上游供应商产能受限导致关键设备及建材到货严重滞后需协调运输与替代货源"
    for n in range(28):
        factories.MilestoneFactory(
            project=hand_made,
            sequence=10 + n,
            name=f"节点{n:02d}{long}",
            baseline_date=date(2026, 1, 1 + n),
            forecast_date=date(2027, 1, 1 + n),
        )
    for n in range(29):
        factories.IssueFactory(
            project=hand_made,
            title=f"问题{n:02d}{long}",
            status=Issue.Status.ASSIGNED,
            department=factories.DepartmentFactory(code=f"d{n}", name=f"测试局{n}{long[:8]}"),
            deadline=date(2026, 10, 1 + n),
            raised_by=official,
        )
    project = brief_project(official, "GX-HB", as_of=today)
    brief = project_brief(official, project, today)
    assert brief["milestones"].more == 30 - MILESTONE_ROWS
    assert brief["issues"].more == 30 - ISSUE_ROWS
    reader, text = pdf_text(project_brief_pdf(brief))
    assert len(reader.pages) == 1
    assert str(30 - MILESTONE_ROWS) in text and str(30 - ISSUE_ROWS) in text
    # The photo and the visit still fit below the lists.
    assert len(reader.pages[0].images) == 1
    assert "一期设备安装调试中" in text


# ---------------------------------------------------------------- the demo


def test_the_demos_refire_brief(today, settings, tmp_path):
    """重塑能源科技项目 (GX-002) as an official would download it, with a photo on its last
    visit. Written to tests/artifacts/ to look at (pdf-check --png)."""
    settings.MEDIA_ROOT = tmp_path
    with transaction.atomic():
        load_demo()
        project = Project.objects.get(name="重塑能源科技项目")
        visit = SiteVisit.objects.filter(project=project).order_by("-visited_on", "-id").first()
        if visit is not None:
            attach_photos(visit, [jpeg("#3a7d44")], keep_location=False)
        annotated = brief_project(SYSTEM, project.code, as_of=today)
        brief = project_brief(SYSTEM, annotated, today)
        pdf = project_brief_pdf(brief, generated_at=timezone.now())
        transaction.set_rollback(True)
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "project-brief-GX-002.pdf").write_bytes(pdf)
    reader, text = pdf_text(pdf)
    assert len(reader.pages) == 1
    assert "重塑能源科技项目" in text and "江苏重塑能源科技有限公司" in text
    assert squeeze(brief["period"].label) in text
    assert "20.0" in text  # 总投资 20 亿元
    assert squeeze(brief["light_label"]) in text
