"""The site-visit form on a small screen: every error summed up at its top, linked to its
field; photos that passed kept server-side when another is refused, and recorded with the
next submission; one message for one problem in an issue row."""

import io
import re
import time
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from hitech_zone.celery import app
from inspections import photos
from inspections.models import Issue, SiteVisit
from inspections.tasks import held_photos_purge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def english(user) -> Client:
    client = Client()
    client.force_login(user)
    # English: the msgids themselves, whatever the catalogue says.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def jpeg(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#1a7f37").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def forged(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<html>not a photo</html>", content_type="image/jpeg")


def visit_data(project, key: str, **overrides) -> dict:
    return {
        "submission_key": key,
        "project": project.pk,
        "visited_on": timezone.localdate().isoformat(),
        "notes": "一期设备已安装，正在调试。",
        **overrides,
    }


def held_files(root) -> list[str]:
    return sorted(
        path.name for path in (root / photos.HELD_PHOTOS_DIR).rglob("*") if path.is_file()
    )


def summary_of(body: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', body, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_a_refused_photo_is_summed_up_above_the_form_with_a_link(manager, own_project):
    key = str(uuid.uuid4())
    response = english(manager).post(
        "/visits/new/", {**visit_data(own_project, key), "photos": [forged("c.jpg")]}
    )
    assert response.status_code == 422
    body = response.content.decode()
    summary = summary_of(body)
    assert '<a href="#id_photos">Photos: c.jpg is not a JPEG, PNG or WebP image.</a>' in summary
    assert body.index('data-testid="error-summary"') < body.index('class="card stack-form')


def test_issue_rows_errors_are_named_by_row_in_the_summary(manager, own_project):
    key = str(uuid.uuid4())
    response = english(manager).post(
        "/visits/new/",
        visit_data(own_project, key, **{"issue-1-description": "no title"}),
    )
    assert response.status_code == 422
    summary = summary_of(response.content.decode())
    assert '<a href="#id_issue-1-title">Issue 2 · Issue: Give the issue a title.</a>' in summary


def test_the_good_photos_are_kept_when_one_is_refused(manager, own_project, media):
    """3 files, c.jpg forged: a.jpg and b.jpg are held (2 files and a manifest) and named;
    the same form sent again without files records the visit with those two."""
    client = english(manager)
    key = str(uuid.uuid4())
    files = [jpeg("a.jpg"), forged("c.jpg"), jpeg("b.jpg")]
    response = client.post("/visits/new/", {**visit_data(own_project, key), "photos": files})

    assert response.status_code == 422
    body = response.content.decode()
    assert "2 photos kept: a.jpg, b.jpg." in body
    assert "c.jpg is not a JPEG, PNG or WebP image." in summary_of(body)
    assert "a.jpg is" not in body and "b.jpg is" not in body
    assert SiteVisit.objects.count() == 0
    assert len(held_files(media)) == 3

    response = client.post("/visits/new/", visit_data(own_project, key))

    assert response.status_code == 302, response.content.decode()[-3000:]
    visit = SiteVisit.objects.get(idempotency_key=key)
    assert [photo.original_name for photo in visit.photos.all()] == ["a.jpg", "b.jpg"]
    assert held_files(media) == []


def test_photos_are_kept_when_the_form_comes_back_for_another_reason(manager, own_project):
    client = english(manager)
    key = str(uuid.uuid4())
    future = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = client.post(
        "/visits/new/",
        {**visit_data(own_project, key, visited_on=future), "photos": [jpeg("a.jpg")]},
    )
    assert response.status_code == 422
    assert "1 photo kept: a.jpg." in response.content.decode()

    response = client.post("/visits/new/", visit_data(own_project, key))
    assert response.status_code == 302
    assert [p.original_name for p in SiteVisit.objects.get().photos.all()] == ["a.jpg"]


def test_a_restored_draft_shows_the_photos_held_for_it(manager, own_project):
    client = english(manager)
    key = str(uuid.uuid4())
    data = visit_data(own_project, key)
    client.post("/visits/new/", {**data, "photos": [jpeg("a.jpg"), forged("c.jpg")]})
    client.post("/visits/draft/", data, HTTP_HX_REQUEST="true")

    body = client.get("/visits/new/").content.decode()

    assert f'value="{key}"' in body
    assert "1 photo kept: a.jpg." in body
    assert "Photos must be chosen again" not in body


def test_held_photos_are_the_uploader_s_own(manager, official, own_project, media):
    """Another user sending the same submission key records none of them."""
    key = str(uuid.uuid4())
    english(manager).post(
        "/visits/new/",
        {**visit_data(own_project, key), "photos": [jpeg("a.jpg"), forged("c.jpg")]},
    )
    response = english(official).post("/visits/new/", visit_data(own_project, key))
    assert response.status_code == 302
    assert SiteVisit.objects.get().photos.count() == 0
    assert len(held_files(media)) == 2  # still the manager's: a.jpg and the manifest


def test_an_abandoned_form_s_photos_expire(manager, own_project, media):
    """Held at t; kept at t + HELD_PHOTOS_KEPT_FOR - 1 s, deleted one second past it."""
    key = str(uuid.uuid4())
    english(manager).post(
        "/visits/new/",
        {**visit_data(own_project, key), "photos": [jpeg("a.jpg"), forged("c.jpg")]},
    )
    assert len(held_files(media)) == 2
    kept_for = photos.HELD_PHOTOS_KEPT_FOR.total_seconds()
    assert photos.purge_held_photos(now=time.time() + kept_for - 1) == 0
    assert len(held_files(media)) == 2
    assert photos.purge_held_photos(now=time.time() + kept_for + 1) == 1
    assert held_files(media) == []
    # Beat runs the purge every night, so a form abandoned for good leaves nothing behind.
    entry = app.conf.beat_schedule["held-photos-purge"]
    assert entry["task"] == held_photos_purge.name == "inspections.tasks.held_photos_purge"


def test_a_too_long_issue_title_gets_one_message(manager, own_project):
    """200 emoji against 120 characters: the length message alone, no "give it a title"."""
    key = str(uuid.uuid4())
    response = english(manager).post(
        "/visits/new/",
        visit_data(
            own_project,
            key,
            **{
                "issue-0-title": "😀" * 200,
                "issue-0-category": Issue.Category.MATERIAL_SUPPLY,
                "issue-0-severity": Issue.Severity.NORMAL,
                "issue-0-description": "建材供应不足",
            },
        ),
    )
    assert response.status_code == 422
    summary = summary_of(response.content.decode())
    assert summary.count('<li class="form-error">') == 1, summary
    assert "at most 120 characters (it has 200)" in summary
    assert "Give the issue a title" not in response.content.decode()
