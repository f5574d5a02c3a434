"""Every parameter of every JSON API operation, fed hostile values by Hypothesis, with a
valid Bearer key: the answer is 200, 400, 404 or 422, always JSON (the PDF aside), never
a 5xx; a list never holds a row out of the key user's reach.

Inventory (`API_INVENTORY`: operation id -> the parameters fuzzed; the coverage test
compares it with the served OpenAPI schema, so a new parameter or operation fails it):

| operation | parameters | fuzzed by |
|---|---|---|
| project_list | q, park, sector, status, light, responsible_person, category, sort, page, page_size | test_list_filters |
| issue_list | project, category, department, status, overdue, page, page_size | test_list_filters |
| alert_list | page, page_size | test_list_filters |
| briefing_list | page, page_size | test_list_filters |
| project_detail | code (path) | test_path_values |
| briefing_pdf | briefing_id (path) | test_path_values |
| project_brief_pdf | code (path) | test_path_values |
| zone_summary | none | (no input) |
| round_list | page, page_size | test_list_filters |
| round_report_list | year, month (path), state, page, page_size | test_path_values, test_every_parameter_with_nul_or_an_edge |
"""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hitech_zone import services
from inspections.models import Issue
from projects.lights import Light
from projects.models import Project
from tests.fuzz.conftest import count_answer, fuzz_settings, rolled_back
from tests.fuzz.strategies import hostile_dates, hostile_ids, hostile_numbers, hostile_text

pytestmark = pytest.mark.django_db

API = "/api/v1"

API_INVENTORY = {
    "project_list": {
        "q", "park", "sector", "status", "light", "responsible_person", "category", "sort",
        "page", "page_size",
    },
    "issue_list": {"project", "category", "department", "status", "overdue", "page", "page_size"},
    "alert_list": {"page", "page_size"},
    "briefing_list": {"page", "page_size"},
    "project_detail": {"code"},
    "briefing_pdf": {"briefing_id"},
    "project_brief_pdf": {"code"},
    # Takes no parameter: the token's user is the whole input.
    "zone_summary": set(),
    "round_list": {"page", "page_size"},
    "round_report_list": {"year", "month", "state", "page", "page_size"},
}  # fmt: skip
LISTS = {
    "project_list": "/projects",
    "issue_list": "/issues",
    "alert_list": "/alerts",
    "briefing_list": "/briefings",
    "round_list": "/rounds",
}
# 403: briefings are for those who see every project; monthly reports not for departments.
ANSWERS = {200, 400, 403, 404, 422}


def test_every_operation_and_parameter_is_fuzzed(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        operation["operationId"]: {
            parameter["name"] for parameter in operation.get("parameters", [])
        }
        for path in schema["paths"].values()
        for operation in path.values()
    }
    assert operations == API_INVENTORY


@pytest.fixture
def keys(world, official, leader, manager, dept_user) -> dict[str, dict[str, str]]:
    """A Bearer header per role, made before any example (each is rolled back)."""
    return {
        role: {"Authorization": f"Bearer {services.api_token_create(user=user, name='fuzz')[1]}"}
        for role, user in {
            "official": official,
            "leader": leader,
            "manager": manager,
            "dept_user": dept_user,
        }.items()
    }


def answer(client, path: str, headers: dict, params: dict | None = None):
    response = client.get(f"{API}{path}", params or {}, headers=headers)
    count_answer(f"answered {response.status_code}")
    assert response.status_code in ANSWERS, (path, params, response.status_code)
    if response["Content-Type"] != "application/pdf":
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        response.json()
    return response


values = st.one_of(hostile_text, hostile_numbers, hostile_dates, hostile_ids())
LIST_PARAMS = {
    "project_list": {
        "q": st.one_of(st.sampled_from(["甲项目", "T-OWN", "T-OTHER", ""]), values),
        "park": values,
        "sector": values,
        "status": st.one_of(st.sampled_from(Project.Status.values), values),
        "light": st.one_of(st.sampled_from(Light.values), values),
        "responsible_person": values,
        "category": st.one_of(st.sampled_from(Project.Category.values), values),
        "sort": st.one_of(st.sampled_from(["code", "-total", "light", "nope"]), values),
    },
    "issue_list": {
        "project": values,
        "category": st.one_of(st.sampled_from(["material_supply", "hiring"]), values),
        "department": values,
        "status": st.one_of(st.sampled_from(Issue.Status.values), values),
        "overdue": st.one_of(st.sampled_from(["true", "false", "1", "0", "yes"]), values),
    },
    "alert_list": {},
    "briefing_list": {},
    "round_list": {},
}
PAGING = {"page": values, "page_size": st.one_of(st.sampled_from(["1", "100", "101"]), values)}


@st.composite
def list_requests(draw):
    operation = draw(st.sampled_from(sorted(LISTS)))
    strategies = {**LIST_PARAMS[operation], **PAGING}
    names = draw(st.sets(st.sampled_from(sorted(strategies)), max_size=3))
    return operation, {name: draw(strategies[name]) for name in sorted(names)}


@fuzz_settings(300)
@given(call=list_requests(), role=st.sampled_from(["official", "leader", "manager", "dept_user"]))
def test_list_filters(client, world, keys, call, role):
    """Any filter value: the list, a 422 naming the parameter, never an error; a manager
    never sees another manager's project, whatever they ask for."""
    operation, params = call
    with rolled_back():
        response = answer(client, LISTS[operation], keys[role], params)
        body = response.json()
        if response.status_code == 422:
            assert body["detail"] and all("loc" in error for error in body["detail"])
            return
        if response.status_code == 403:
            assert (operation, role) in {
                ("briefing_list", "manager"),
                ("briefing_list", "dept_user"),
                ("round_list", "dept_user"),
            }
            return
        assert response.status_code == 200
        assert set(body) == {"count", "page", "page_size", "items"}
        assert 1 <= body["page_size"] <= 100 and len(body["items"]) <= body["page_size"]
        if role == "manager" and operation in {"project_list", "issue_list"}:
            codes = {
                item["code"] if operation == "project_list" else item["project"]["code"]
                for item in body["items"]
            }
            assert codes <= {world.own.code}


@fuzz_settings(100)
@given(
    operation=st.sampled_from(
        ["project_detail", "briefing_pdf", "project_brief_pdf", "round_report_list"]
    ),
    value=st.one_of(
        hostile_text,
        hostile_ids(),
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["T-OWN", "T-OTHER", "0", "1"]),
    ),
    role=st.sampled_from(["official", "manager", "leader"]),
)
def test_path_values(client, world, keys, operation, value, role):
    """Any code or id in the path: the record, 404 (not found, or not the user's), or 422."""
    path = {
        "project_detail": "/projects/{}",
        "briefing_pdf": "/briefings/{}/pdf",
        "project_brief_pdf": "/projects/{}/brief.pdf",
        # The year and the month share a segment: the value stands for both.
        "round_report_list": "/rounds/{}/reports",
    }[operation]
    with rolled_back():
        response = answer(client, path.format(quote(value, safe="")), keys[role])
        if operation.startswith("project_") and role == "manager" and value == world.other.code:
            assert response.status_code == 404
            assert world.other.name not in response.content.decode()


def test_a_manager_asking_for_another_managers_project_by_id_or_code_gets_404(client, world, keys):
    headers = keys["manager"]
    assert answer(client, f"/projects/{world.other.code}", headers).status_code == 404
    assert answer(client, f"/projects/{world.own.code}", headers).status_code == 200
    # By id, through the filters: another manager's project matches nothing.
    for params in ({"project": world.other.pk}, {"project": world.other_issue.project_id}):
        body = answer(client, "/issues", headers, params).json()
        assert body["count"] == 0 and body["items"] == []
    body = answer(client, "/projects", headers, {"q": world.other.code}).json()
    assert body["count"] == 0


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "9999-12-31", "NaN", "1e309", "9" * 40])
def test_every_parameter_with_nul_or_an_edge(client, world, keys, value):
    """Each parameter of each operation, one at a time, given NUL or another edge value
    (Hypothesis may not draw them for each): JSON, and never an error."""
    for operation, path in LISTS.items():
        for name in API_INVENTORY[operation]:
            answer(client, path, keys["official"], {name: value})
    answer(client, f"/projects/{quote(value, safe='')}", keys["official"])
    answer(client, f"/briefings/{quote(value, safe='')}/pdf", keys["official"])
    for path in (
        f"/rounds/{quote(value, safe='')}-10/reports",
        f"/rounds/2025-{quote(value, safe='')}/reports",
    ):
        answer(client, path, keys["official"])
    answer(client, "/rounds/2025-10/reports", keys["official"], {"state": value})
