"""Cached page content (hitech_zone.fragments) under the data version
(hitech_zone.data_version): served again while nothing changed, retired by any committed
write whatever made it, per user, and with a live CSRF token."""

import re

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hitech_zone import data_version, fragments
from projects.models import Park, Project
from tests import factories

PAGES = ["/", "/projects/", "/projects/T-OWN/", "/issues/"]


def _triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'hz_data_changed'"
            )
            return {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'hz_data_changed_update_%'"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db
def test_every_table_of_the_watched_apps_has_the_trigger_or_is_listed_as_unwatched():
    tables = {
        model._meta.db_table
        for label in data_version.WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    assert "projects_milestone" in tables and "inspections_issue" in tables
    triggered = _triggered_tables()
    assert tables - data_version.UNWATCHED_TABLES <= triggered
    assert set(data_version.WATCHED_TABLES) <= triggered
    assert not triggered & data_version.UNWATCHED_TABLES


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda park: park.save(), id="save"),
        pytest.param(
            lambda park: Park.objects.filter(pk=park.pk).update(name=F("name")), id="update"
        ),
        pytest.param(lambda park: Park.objects.filter(pk=park.pk).delete(), id="delete"),
        pytest.param(
            lambda park: connection.cursor().execute(
                "UPDATE projects_park SET name = name WHERE id = %s", [park.pk]
            ),
            id="raw SQL",
        ),
    ],
)
def test_a_committed_write_of_any_kind_changes_the_token(write):
    park = factories.ParkFactory()
    before = data_version.current()
    assert before is not None
    write(park)
    after = data_version.current()
    assert after is not None and after != before
    assert data_version.current() == after, "reading changes nothing"


@pytest.mark.django_db(transaction=True)
def test_a_write_to_an_unwatched_table_keeps_the_token():
    user = factories.UserFactory()
    project = factories.ProjectFactory()
    before = data_version.current()
    from inspections.models import Notification

    Notification.objects.create(
        recipient=user,
        project=project,
        kind=Notification.Kind.choices[0][0],
        event_key="t",
        message="x",
    )
    assert data_version.current() == before


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_keeps_the_token_and_a_change_of_name_changes_it(official):
    before = data_version.current()
    Client().force_login(official)
    official.refresh_from_db()
    assert official.last_login is not None
    assert data_version.current() == before
    official.full_name = "王主任"
    official.save()
    assert data_version.current() != before


@pytest.mark.django_db(transaction=True)
def test_installing_again_brings_the_triggers_up_to_date(official, monkeypatch):
    # As if `email` had been ignored when the triggers were made, then no longer is (a
    # column added or named since): the next migrate's install makes them count it.
    monkeypatch.setitem(
        data_version.IGNORED_COLUMNS, "hitech_zone_user", ("last_login", "password", "email")
    )
    data_version.install()
    before = data_version.current()
    type(official).objects.filter(pk=official.pk).update(email="a@example.org")
    assert data_version.current() == before
    monkeypatch.undo()
    data_version.install()
    before = data_version.current()
    type(official).objects.filter(pk=official.pk).update(email="b@example.org")
    assert data_version.current() != before
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'hz_data_committed'")
            assert cursor.fetchone()[0] == 1
        park = factories.ParkFactory()
        before = data_version.current()
        park.save()
        assert data_version.current() != before, "commits still change the token"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_token_as_it_was():
    park = factories.ParkFactory()
    before = data_version.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        Park.objects.filter(pk=park.pk).update(name="改名")
        raise RuntimeError
    assert data_version.current() == before


@pytest.mark.django_db(transaction=True)
def test_a_transaction_reading_its_own_uncommitted_writes_is_not_served_the_cache():
    park = factories.ParkFactory()
    before = data_version.current()
    with transaction.atomic():
        Park.objects.filter(pk=park.pk).update(name="改名")
        inside = data_version.current()
        # PostgreSQL changes the token at commit, so no token names this transaction's
        # view; SQLite (one writer) changes it at once.
        assert inside is None if connection.vendor == "postgresql" else inside != before
    assert data_version.current() not in (None, before)


def _content(response) -> str:
    html = response.content.decode()
    return html[html.index('<main class="page">') :]


def _get(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return _content(response), len(captured)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", PAGES)
def test_a_page_is_served_from_the_cache_until_a_write_changes_what_it_shows(
    url, official, own_project
):
    client = Client()
    client.force_login(official)
    first, first_queries = _get(client, url)
    assert "甲项目" in first or url in ("/", "/issues/")
    again, cached_queries = _get(client, url)
    assert cached_queries < first_queries
    assert _without_tokens(again) == _without_tokens(first)

    Project.objects.filter(pk=own_project.pk).update(name="乙项目")
    factories.IssueFactory(project=Project.objects.get(pk=own_project.pk), title="缺少钢材")
    fresh, fresh_queries = _get(client, url)
    assert fresh_queries > cached_queries
    assert "乙项目" in fresh and "甲项目" not in fresh
    assert "缺少钢材" in fresh or url == "/projects/"


def _without_tokens(html: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"', "", html)


@pytest.mark.django_db(transaction=True)
def test_the_cached_page_runs_the_same_few_queries_at_any_size(official):
    client = Client()
    client.force_login(official)
    counts = []
    for size in (1, 30):
        for index in range(len(counts) * 1, size):
            factories.ProjectFactory(code=f"S-{index:03d}")
        _get(client, "/")
        counts.append(_get(client, "/")[1])
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_each_user_gets_their_own_cached_content(manager, other_manager, own_project):
    factories.ProjectFactory(code="T-OTHER", name="丙项目").managers.add(other_manager)
    mine, theirs = Client(), Client()
    mine.force_login(manager)
    theirs.force_login(other_manager)
    for url in ("/", "/projects/", "/issues/"):
        mine_html, _ = _get(mine, url)
        theirs_html, _ = _get(theirs, url)
        assert "丙项目" not in mine_html, url
        assert "甲项目" not in theirs_html, url
    assert theirs.get("/projects/T-OWN/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_forms_in_cached_content_carry_a_token_the_csrf_check_accepts(official, own_project):
    factories.MilestoneFactory(project=own_project, sequence=1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    client.get("/projects/T-OWN/")
    cached = _content(client.get("/projects/T-OWN/"))
    assert fragments.CSRF_PLACEHOLDER not in cached
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"', cached)
    assert tokens, "the milestone forms carry a token"
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[-1]}
    )
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_cache_is_per_language(official, own_project):
    client = Client()
    client.force_login(official)
    chinese, _ = _get(client, "/projects/")
    client.cookies.load({"django_language": "en"})
    english, _ = _get(client, "/projects/")
    assert "<h1>项目库</h1>" in chinese
    assert "<h1>Project register</h1>" in english
