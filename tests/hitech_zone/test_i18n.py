"""Chinese by default, English on request, every catalogue compiled and complete."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from tests import factories

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_catalogues_compile(tmp_path):
    call_command("compile_translations")
    for language in ("zh_Hans", "en"):
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").stat().st_size > 0


def test_every_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(catalogue) > 50
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []


def test_the_page_is_chinese_by_default(client, official, own_project):
    client.force_login(official)
    body = client.get("/").content.decode()
    assert 'lang="zh-hans"' in body
    assert "重点项目" in body
    assert "退出" in body


def test_an_english_browser_still_gets_chinese_until_the_user_switches(
    client, official, own_project
):
    client.force_login(official)
    body = client.get("/", headers={"accept-language": "en-US,en;q=0.9"}).content.decode()
    assert 'lang="zh-hans"' in body
    assert "退出" in body


def test_the_page_is_english_on_request(client, official, own_project):
    client.force_login(official)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/").content.decode()
    assert 'lang="en"' in body
    assert "Key projects" in body
    assert "Sign out" in body
    assert "CNY 1.2 billion" in body  # 120,000 万元 = 12 亿元


def test_the_language_switch_is_remembered(client, official, own_project):
    client.force_login(official)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Sign out" in client.get("/").content.decode()


def test_the_sign_in_page_can_switch_language_before_sign_in(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "Sign in" in client.get("/accounts/login/").content.decode()


def test_english_pages_say_time_progress_not_the_chinese_term(client, official, own_project):
    """The English overview and project page name 序时进度 "time progress": the Chinese term
    appears only where it is glossed, "Time progress (序时进度)"."""
    factories.AnnualPlanFactory(project=own_project, year=2026, planned_investment=1200)
    client.force_login(official)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in ("/", f"/projects/{own_project.code}/"):
        page = client.get(url).content.decode()
        assert "ime progress" in page, url
        assert "序时进度" not in page.replace("Time progress (序时进度)", ""), url
