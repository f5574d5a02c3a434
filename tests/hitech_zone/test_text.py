r"""Bidi controls and zero-width characters are taken out of every text that comes in: web
forms, the admin, the API, imports (tests/projects/test_imports.py) and any other save.

'正力新能\u202e电芯' printed as '正力新能芯电' in the briefing PDF: the right-to-left
override reverses what follows it. Each expected value below is the input with the
invisible characters deleted by hand."""

import pytest
from django.http import QueryDict

from hitech_zone import services
from hitech_zone.forms import without_invisible_characters
from hitech_zone.text import clean_text
from projects.api import ProjectFilters
from projects.forms import ProgressNoteForm
from projects.models import Park, ProgressNote, Sector
from tests import factories

REVERSED = "正力新能\u202e电芯"  # U+202E RIGHT-TO-LEFT OVERRIDE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (REVERSED, "正力新能电芯"),
        ("\u202a左\u202b右\u202c\u202d强\u202e制", "左右强制"),  # embeddings and overrides
        ("\u2066隔\u2067离\u2068区\u2069", "隔离区"),  # isolates
        ("零\u200b宽\u200c字\u200d符\u200e标\u200f记", "零宽字符标记"),
        ("\ufeff词\u2060连接\u061c", "词连接"),  # BOM, word joiner, Arabic letter mark
        ("周　明\t甲\n乙", "周　明\t甲\n乙"),  # spaces, tabs and line ends are text
    ],
)
def test_clean_text_removes_bidi_controls_and_zero_width_characters(text, expected):
    assert clean_text(text) == expected


@pytest.mark.django_db
def test_a_web_form_takes_them_out_before_it_is_checked(client, official):
    project = factories.ProjectFactory(code="T-1")
    form = ProgressNoteForm({"note-body": f"{REVERSED}已封顶"}, prefix="note")
    assert form.is_valid() and form.cleaned_data["body"] == "正力新能电芯已封顶"
    # The submitted QueryDict itself is cleaned (a copy: the request's stays as it came).
    posted = QueryDict(mutable=True)
    posted.setlist("name", ["甲\u200b", "乙"])
    assert without_invisible_characters(posted).getlist("name") == ["甲", "乙"]
    assert posted.getlist("name") == ["甲\u200b", "乙"]

    client.force_login(official)
    client.post(f"/projects/{project.code}/notes/", {"note-body": f"{REVERSED}，主体封顶"})
    assert ProgressNote.objects.get(project=project).body == "正力新能电芯，主体封顶"


@pytest.mark.django_db
def test_the_admin_stores_them_out(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/projects/sector/add/",
        {"code": "battery", "name": f"新\u2067能源\u2069{REVERSED}", "sort_order": "0"},
    )
    assert response.status_code == 302
    assert Sector.objects.get(code="battery").name == "新能源正力新能电芯"


@pytest.mark.django_db
def test_any_other_save_stores_them_out():
    """A shell, a management command, a service: the pre_save receiver cleans every text
    field of every model."""
    park = Park.objects.create(code="ai", name=f"\ufeff人工智能\u200b产业园{REVERSED}")
    park.refresh_from_db()
    assert park.name == "人工智能产业园正力新能电芯"


@pytest.mark.django_db
def test_the_api_takes_them_out_of_its_inputs(client, official):
    """The API writes nothing yet; its text inputs (the search here) are cleaned all the
    same, so 正力新能电芯 with a zero-width space and an override in it finds 正力新能电芯项目."""
    assert ProjectFilters(q=f"{REVERSED}\u200b").q == "正力新能电芯"
    factories.ProjectFactory(code="Z-1", name="正力新能电芯项目")
    factories.ProjectFactory(code="Z-2", name="重塑能源科技项目")
    _token, key = services.api_token_create(user=official, name="测试")
    response = client.get(
        "/api/v1/projects",
        {"q": "正力新能\u200b电\u202e芯"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    assert [item["code"] for item in response.json()["items"]] == ["Z-1"]
