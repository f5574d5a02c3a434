"""The 400, 403, 404 and 500 pages under DEBUG off: in the app's layout and the user's
language, each saying what happened and where to go next; the 403 page with the
permission layer's reason, the 500 page with the request id and without the database."""

import pytest
from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from hitech_zone import views
from hitech_zone.urls import handler400, handler403, handler404, handler500  # noqa: F401

pytestmark = pytest.mark.django_db


def bad_request_view(request):
    raise BadRequest("malformed")


def failing_view(request):
    raise RuntimeError("a bug")


# This module is the URLconf of the tests that need a view to fail: the app's URLs, two
# failing views, and the app's handlers (imported above).
urlpatterns = [
    path("test-errors/400/", bad_request_view),
    path("test-errors/500/", failing_view),
    path("", include("hitech_zone.urls")),
]


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def failing_client(client):
    # As a browser sees it: the handler's page, not the exception raised into the test.
    client.raise_request_exception = False
    return client


def in_english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def translated(message: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def test_a_refusal_in_chinese_gives_the_permission_layers_reason(client, leader):
    """A leader changes no project, so the visit form refuses them with the reason
    inspections.views.visit_create gives (translated in the catalogue already)."""
    client.force_login(leader)
    response = client.get("/visits/new/")
    body = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in body
    assert 'class="topbar"' in body and 'class="mainnav"' in body  # the layout, signed in
    assert "退出" in body  # the layout's own Chinese
    assert f"<h1>{translated('Not allowed', 'zh-hans')}</h1>" in body
    assert "您没有可记录走访的项目。" in body
    assert 'href="/"' in body  # where to go next: the overview


def test_a_refusal_in_english(client, manager):
    """A manager may not read the operations metrics: require_role's reason."""
    client.force_login(manager)
    in_english(client)
    response = client.get("/metrics/")
    body = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="en">' in body
    assert "<h1>Not allowed</h1>" in body
    assert '<p data-testid="error-reason">Reason: Your role does not allow this.</p>' in body
    assert "Sign out" in body
    assert "403 Forbidden" not in body


def test_a_missing_page_in_chinese_and_english(client, official):
    client.force_login(official)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body and "退出" in body
    assert f"<h1>{translated('Page not found', 'zh-hans')}</h1>" in body
    in_english(client)
    body = client.get("/projects/NO-SUCH/").content.decode()
    assert "<h1>Page not found</h1>" in body
    assert "Go to the overview" in body and 'href="/projects/"' in body
    assert "Not Found" not in body


def test_a_row_out_of_reach_answers_the_same_404_page(client, manager, other_project):
    client.force_login(manager)
    in_english(client)
    response = client.get(f"/projects/{other_project.code}/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()


def test_a_missing_page_for_someone_signed_out_keeps_the_layout(client):
    in_english(client)
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in body
    assert 'class="mainnav"' not in body  # no menu for a visitor
    assert 'id="language"' in body


def test_a_bad_request_in_english(failing_client, official):
    failing_client.force_login(official)
    in_english(failing_client)
    response = failing_client.get("/test-errors/400/")
    assert response.status_code == 400
    assert "<h1>Request not understood</h1>" in response.content.decode()


def test_a_server_error_gives_the_request_id_in_chinese_and_english(failing_client, official):
    failing_client.force_login(official)
    response = failing_client.get("/test-errors/500/", headers={"X-Request-ID": "req-500-zh"})
    body = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in body
    assert f"<h1>{translated('Something went wrong', 'zh-hans')}</h1>" in body
    assert "req-500-zh" in body
    assert 'class="mainnav"' not in body  # drawn without the user
    in_english(failing_client)
    body = failing_client.get("/test-errors/500/", headers={"X-Request-ID": "req-500-en"})
    body = body.content.decode()
    assert "<h1>Something went wrong</h1>" in body
    assert "Reference for the administrator: req-500-en" in body
    assert 'class="topbar"' in body and 'id="language"' in body


def test_the_500_page_needs_no_database_and_no_user():
    """Drawn for a request whose user, if touched, would fail: no query is made."""

    def no_user():
        raise AssertionError("the 500 page loaded the user")

    request = RequestFactory().get("/somewhere/")
    request.user = SimpleLazyObject(no_user)
    request.request_id = "abc123"
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        with CaptureQueriesContext(connection) as queries:
            response = views.server_error(request)
    assert response.status_code == 500
    assert len(queries) == 0
    assert "abc123" in response.content.decode()


def test_a_form_refused_by_the_csrf_check_says_to_reload(official):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(official)
    in_english(client)
    response = client.post("/account/tokens/new/", {"name": "x"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in body
    assert "Reload the page and try again." in body


def test_a_bad_host_gets_the_400_page_without_a_user(failing_client, settings):
    """Refused in CommonMiddleware, before the user is loaded: the page is drawn without
    the context processors (no menu), still in the layout."""
    settings.ALLOWED_HOSTS = ["testserver"]
    in_english(failing_client)
    response = failing_client.get("/", HTTP_HOST="evil.example")
    body = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Request not understood</h1>" in body
    assert 'class="topbar"' in body and 'class="mainnav"' not in body
