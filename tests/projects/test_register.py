"""The project register: filters, search, sorting, paging, htmx partials and export."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from projects import progress
from projects.models import Project
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]


@pytest.fixture
def register(official, today):
    ai = factories.ParkFactory(code="ai", name="人工智能产业园")
    h2 = factories.ParkFactory(code="h2", name="氢能源汽车产业园")
    battery = factories.SectorFactory(code="battery", name="新能源电池")
    hydrogen = factories.SectorFactory(code="hydrogen", name="氢能源汽车")
    zhou = factories.UserFactory(username="zhou", full_name="周明")
    projects = {
        "A": factories.ProjectFactory(
            code="A-1",
            name="正力新能电芯项目",
            company="江苏正力新能电池技术有限公司",
            park=ai,
            sector=battery,
            total_investment=Decimal("100000"),
            responsible_person=zhou,
        ),
        "B": factories.ProjectFactory(
            code="B-2",
            name="重塑能源科技项目",
            company="江苏重塑能源科技有限公司",
            park=h2,
            sector=hydrogen,
            total_investment=Decimal("200000"),
            category=Project.Category.INDUSTRIAL,
        ),
        "C": factories.ProjectFactory(
            code="C-3",
            name="金融科技岛总部楼",
            company="常熟金融投资有限公司",
            park=ai,
            sector=hydrogen,
            total_investment=Decimal("50000"),
            status=Project.Status.SUSPENDED,
            category=Project.Category.SERVICE,
        ),
    }
    # A has a plan for the year on show and did it all in January: green on any day. B
    # has no plan: not yet assessed (未到考核期).
    year = progress.reporting_period(today).year
    factories.AnnualPlanFactory(
        project=projects["A"], year=year, planned_investment=Decimal("1200")
    )
    factories.MonthlyInvestmentFactory(
        project=projects["A"], year=year, month=1, completed_amount=Decimal("1200")
    )
    return projects


def codes(response) -> list[str]:
    return [project.code for project in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A-1", "B-2", "C-3"]),
        ("?q=重塑", ["B-2"]),
        ("?q=正力新能电池", ["A-1"]),
        ("?status=suspended", ["C-3"]),
        ("?category=service", ["C-3"]),
        ("?light=red", ["C-3"]),
        ("?light=green", ["A-1"]),
        ("?light=unassessed", ["B-2"]),
        ("?sort=-total", ["B-2", "A-1", "C-3"]),
        ("?sort=-code", ["C-3", "B-2", "A-1"]),
        ("?sort=nonsense", ["A-1", "B-2", "C-3"]),
    ],
)
def test_filters_search_and_sort(client, official, register, query, expected):
    client.force_login(official)
    assert codes(client.get(f"/projects/{query}")) == expected


def test_each_money_column_has_one_unit_and_the_same_decimals(client, official, register):
    """A plans 1,200 万元 and did 1,200; B and C have no plan (0). The 万元 columns print
    two decimals on every row: 1,200.00 and 0.00, never 1,200 beside 19,685.9."""
    client.force_login(official)
    rows = re.findall(r"<tr>(.*?)</tr>", client.get("/projects/").content.decode(), re.S)
    cells = [re.findall(r'<td class="num hide-phone">([^<]*)</td>', row) for row in rows]
    assert [c for c in cells if c] == [["1,200.00", "1,200.00"], ["0.00", "0.00"], ["0.00", "0.00"]]


def test_filters_by_park_sector_and_responsible_person(client, official, register):
    client.force_login(official)
    park = register["A"].park_id
    assert codes(client.get(f"/projects/?park={park}")) == ["A-1", "C-3"]
    assert codes(client.get(f"/projects/?sector={register['B'].sector_id}")) == ["B-2", "C-3"]
    assert codes(
        client.get(f"/projects/?responsible_person={register['A'].responsible_person_id}")
    ) == ["A-1"]


def test_htmx_gets_only_the_table(client, official, register):
    client.force_login(official)
    full = client.get("/projects/?status=suspended").content.decode()
    partial = client.get(
        "/projects/?status=suspended", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" in full and 'id="register-filters"' in full
    assert "<html" not in partial and partial.lstrip().startswith('<section id="project-table"')
    assert "金融科技岛总部楼" in partial and "重塑能源科技项目" not in partial


def test_the_filter_form_pushes_its_state_into_the_url(client, official, register):
    client.force_login(official)
    body = client.get("/projects/").content.decode()
    assert 'hx-push-url="true"' in body
    assert 'method="get"' in body  # and works as a plain form without JavaScript


def test_paging_keeps_the_filters(client, official, today):
    for index in range(30):
        factories.ProjectFactory(code=f"P-{index:02d}", status=Project.Status.CONSTRUCTION)
    client.force_login(official)
    first = client.get("/projects/?status=construction&sort=code&per_page=25")
    assert len(codes(first)) == 25
    assert "status=construction&amp;sort=code&amp;per_page=25&amp;page=2" in first.content.decode()
    second = client.get("/projects/?status=construction&sort=code&per_page=25&page=2")
    assert codes(second) == [f"P-{index:02d}" for index in range(25, 30)]


def test_one_page_holds_a_zones_projects_and_the_size_is_a_choice(client, official, today):
    """The default of 50 rows holds the 28 key projects of the demo's zone (issue 22);
    25, 50 and 100 are offered, anything else falls back to 50."""
    for index in range(55):
        factories.ProjectFactory(code=f"P-{index:02d}")
    client.force_login(official)
    default = client.get("/projects/")
    assert len(codes(default)) == 50
    body = default.content.decode()
    assert '<option value="50" selected>50</option>' in body
    assert '<option value="25" >25</option>' in body and '<option value="100" >100</option>' in body
    assert len(codes(client.get("/projects/?per_page=100"))) == 55
    assert len(codes(client.get("/projects/?per_page=25"))) == 25
    assert len(codes(client.get("/projects/?per_page=7"))) == 50


def read_export(response) -> list[list]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_is_the_current_view_with_chinese_headers(client, official, register):
    client.force_login(official)
    rows = read_export(
        client.get("/projects/export.xlsx?park=" + str(register["A"].park_id) + "&sort=-total")
    )
    # Two header rows, Chinese then English: the import template's columns.
    assert rows[0][:3] == ["项目编号", "项目名称", "建设单位"]
    assert rows[1][:3] == ["Project code", "Project name", "Company"]
    assert [row[0] for row in rows[2:]] == ["A-1", "C-3"]
    assert rows[0][8] == "总投资（万元）" and rows[2][8] == 100000


def test_a_manager_exports_and_lists_only_their_projects(
    client, manager, own_project, other_project
):
    client.force_login(manager)
    assert codes(client.get("/projects/")) == ["T-OWN"]
    rows = read_export(client.get("/projects/export.xlsx"))
    assert [row[0] for row in rows[2:]] == ["T-OWN"]
    body = client.get("/projects/").content.decode()
    assert other_project.name not in body
    assert (
        other_project.responsible_person.full_name not in body
    )  # not even in the filter's choices
