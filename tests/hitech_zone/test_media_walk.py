"""The media walk: every file under MEDIA_ROOT, for every role, anonymous included.

The permission walk (test_permissions.py) covers every named URL and the API walk
(test_api.py) every API operation; this one starts from the disk instead. It stores every
kind of media file the app writes, walks MEDIA_ROOT, maps each file back to the row and
file field it belongs to, and fetches it through every URL the app serves it from, as
every role: readers get exactly the file's bytes, everyone else a refusal without them,
and anonymous visitors the sign-in redirect (the token API: 401), again without them.
MEDIA_ROOT itself is never served: `MEDIA_URL + path` answers 404 or the redirect.

A file field without a serving rule in SERVED_BY, or a file on disk that no row claims,
fails `test_every_media_file_belongs_to_a_row_with_a_serving_rule`, so a new kind of
media cannot be added without deciding who may read it.
"""

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from PIL import Image

from hitech_zone import services
from hitech_zone.permissions import Role
from inspections.models import (
    DepartmentMember,
    Issue,
    MonthlyReport,
    MonthlyReportPhoto,
    ReportingRound,
    VisitPhoto,
)
from inspections.photos import attach_photos, attach_report_photos
from reports.models import Briefing
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "official", "leader", "manager", "other_manager", "dept_user", "admin_user"]
# Who sees every project, and so every photo and every briefing (zone-wide figures).
ZONE_WIDE = {"official", "leader", "admin_user"}


@dataclass(frozen=True)
class Serving:
    """One URL a stored file is served from, and who may read it there."""

    url: str
    readers: frozenset[str]
    refused: int  # what the other signed-in roles get: 404 hides the row, 403 the role's
    api: bool = False  # token-authenticated: anonymous gets 401, never the sign-in redirect


@dataclass(frozen=True)
class StoredFile:
    row: models.Model
    field: str
    servings: tuple[Serving, ...]


def photo_readers(photo: VisitPhoto, users: dict[str, models.Model]) -> frozenset[str]:
    managers = set(photo.visit.project.managers.all())
    # Department users follow their issues, not the visits (as visit_detail): 404.
    return frozenset(ZONE_WIDE | {role for role, user in users.items() if user in managers})


def photo_servings(field: str) -> Callable:
    size = "thumb" if field == "thumbnail" else "full"

    def servings(photo: VisitPhoto, users) -> tuple[Serving, ...]:
        url = reverse("photo_file", args=[photo.pk, size])
        return (Serving(url, photo_readers(photo, users), refused=404),)

    return servings


def report_photo_servings(field: str) -> Callable:
    size = "thumb" if field == "thumbnail" else "full"

    def servings(photo: MonthlyReportPhoto, users) -> tuple[Serving, ...]:
        # As visit photos: who sees the project, but a department (it follows its issues).
        managers = set(photo.report.project.managers.all())
        readers = frozenset(ZONE_WIDE | {role for role, user in users.items() if user in managers})
        url = reverse("round_report_photo", args=[photo.pk, size])
        return (Serving(url, readers, refused=404),)

    return servings


def briefing_servings(briefing: Briefing, users) -> tuple[Serving, ...]:
    readers = frozenset(ZONE_WIDE)
    return (
        Serving(reverse("briefing_download", args=[briefing.pk]), readers, refused=403),
        Serving(reverse("api:briefing_pdf", args=[briefing.pk]), readers, refused=403, api=True),
    )


def register_servings(briefing: Briefing, users) -> tuple[Serving, ...]:
    # The register spreadsheet goes to the same readers as the briefing's PDF.
    readers = frozenset(ZONE_WIDE)
    return (
        Serving(reverse("briefing_register_download", args=[briefing.pk]), readers, refused=403),
    )


# Every file field of every model, and the URLs its files are served from.
SERVED_BY: dict[tuple[str, str], Callable] = {
    ("inspections.VisitPhoto", "image"): photo_servings("image"),
    ("inspections.VisitPhoto", "thumbnail"): photo_servings("thumbnail"),
    ("inspections.MonthlyReportPhoto", "image"): report_photo_servings("image"),
    ("inspections.MonthlyReportPhoto", "thumbnail"): report_photo_servings("thumbnail"),
    ("reports.Briefing", "file"): briefing_servings,
    ("reports.Briefing", "register_file"): register_servings,
}


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, field)
        for model in apps.get_models()
        if not model._meta.label.startswith("simple_history.")
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def stored_files(users: dict[str, models.Model]) -> dict[str, StoredFile]:
    """Stored name (relative to MEDIA_ROOT) -> its row and where it is served."""
    stored = {}
    for model, field in file_fields():
        rule = SERVED_BY.get((model._meta.label, field.name))
        for row in model._default_manager.exclude(**{field.name: ""}):
            name = getattr(row, field.name).name
            servings = rule(row, users) if rule else ()
            stored[name] = StoredFile(row=row, field=field.name, servings=servings)
    return stored


def files_on_disk(media_root: Path) -> dict[str, bytes]:
    found = {}
    for folder, _dirnames, filenames in os.walk(media_root):
        for filename in filenames:
            path = Path(folder) / filename
            found[path.relative_to(media_root).as_posix()] = path.read_bytes()
    return found


def an_image(fmt: str, colour: str) -> SimpleUploadedFile:
    data = io.BytesIO()
    Image.new("RGB", (48, 36), colour).save(data, fmt)
    extension = {"JPEG": "jpg", "PNG": "png"}[fmt]
    return SimpleUploadedFile(f"site.{extension}", data.getvalue(), content_type=f"image/{fmt}")


@pytest.fixture
def dept_user(role_user):
    user = role_user(Role.DEPARTMENT, username="t-dept", full_name="人事科")
    DepartmentMember.objects.create(
        user=user, department=factories.DepartmentFactory(code="hr", name="组织人事劳动局")
    )
    return user


@pytest.fixture
def users(request, dept_user) -> dict[str, models.Model]:
    names = ["official", "leader", "manager", "other_manager", "admin_user"]
    return {name: request.getfixturevalue(name) for name in names} | {"dept_user": dept_user}


@pytest.fixture
def media_root(settings, tmp_path, users, own_project, other_project, today) -> Path:
    """Every kind of media file on disk: photos (a JPEG and a PNG, each with its
    thumbnail) on a visit to each manager's project, a photo sent with own_project's
    monthly report, and a weekly and a monthly briefing."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    official = users["official"]
    visits = {}
    for project, fmt, colour in (
        (own_project, "JPEG", "#0b5cab"),
        (other_project, "PNG", "#c0392b"),
    ):
        visit = factories.SiteVisitFactory(project=project, created_by=official, notes="现场走访")
        saved, rejected = attach_photos(visit, [an_image(fmt, colour)], keep_location=False)
        assert saved and not rejected
        visits[project] = visit
    # dept_user sees own_project through this issue, and still not its visit's photos.
    factories.IssueFactory(
        project=own_project,
        site_visit=visits[own_project],
        status=Issue.Status.ASSIGNED,
        department=users["dept_user"].department_membership.department,
        deadline=today,
        raised_by=official,
        assigned_by=official,
    )
    report = MonthlyReport.objects.create(
        round=ReportingRound.objects.create(year=2026, month=10, deadline=today),
        project=own_project,
    )
    saved, rejected = attach_report_photos(
        report, [an_image("JPEG", "#1a7f37")], keep_location=False
    )
    assert saved and not rejected
    factories.published_briefing(today=today, kind="weekly")
    factories.published_briefing(today=today, kind="monthly")
    return root


def test_every_media_file_belongs_to_a_row_with_a_serving_rule(media_root, users):
    on_disk = files_on_disk(media_root)
    stored = stored_files(users)
    # The fixture did store every kind: three photos, three thumbnails, two briefings.
    kinds = sorted((type(f.row).__name__, f.field) for f in stored.values())
    assert kinds == [
        ("Briefing", "file"),
        ("Briefing", "file"),
        ("MonthlyReportPhoto", "image"),
        ("MonthlyReportPhoto", "thumbnail"),
        ("VisitPhoto", "image"),
        ("VisitPhoto", "image"),
        ("VisitPhoto", "thumbnail"),
        ("VisitPhoto", "thumbnail"),
    ]
    assert {name.rsplit(".", 1)[-1] for name in stored} == {"jpg", "png", "pdf"}
    unclaimed = sorted(set(on_disk) - set(stored))
    assert not unclaimed, f"files under MEDIA_ROOT that no row claims: {unclaimed}"
    missing = sorted(set(stored) - set(on_disk))
    assert not missing, f"rows whose file is not on disk: {missing}"
    unserved = sorted(
        f"{model._meta.label}.{field.name}"
        for model, field in file_fields()
        if (model._meta.label, field.name) not in SERVED_BY
    )
    assert not unserved, f"file fields without a serving rule in SERVED_BY: {unserved}"
    for name, stored_file in stored.items():
        assert stored_file.servings, f"{name} has no URL that serves it"


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def fetch(client: Client, serving: Serving, role: str, users) -> object:
    client.logout()
    if serving.api:
        # The API takes tokens, never the session.
        if role == "anonymous":
            return client.get(serving.url)
        _token, key = services.api_token_create(user=users[role], name="媒体巡检")
        return client.get(serving.url, headers={"Authorization": f"Bearer {key}"})
    if role != "anonymous":
        client.force_login(users[role])
    return client.get(serving.url)


@pytest.mark.parametrize("role", ROLES)
def test_media_walk(client, settings, media_root, users, role):
    """Each file through each URL that serves it, as `role`."""
    login_url = resolve_url(settings.LOGIN_URL)
    on_disk = files_on_disk(media_root)
    stored = stored_files(users)
    assert set(on_disk) == set(stored)
    failures = []
    checked = 0
    for name, content in sorted(on_disk.items()):
        for serving in stored[name].servings:
            response = fetch(client, serving, role, users)
            body = body_of(response)
            seen = f"{serving.url} ({name}) as {role}: {response.status_code}"
            checked += 1
            if role == "anonymous":
                if serving.api:
                    if response.status_code != 401:
                        failures.append(f"{seen}, expected 401")
                elif response.status_code != 302 or not response["Location"].startswith(login_url):
                    failures.append(f"{seen}, expected 302 to {login_url}")
            elif role in serving.readers:
                if response.status_code != 200:
                    failures.append(f"{seen}, expected 200")
                elif hashlib.sha256(body).digest() != hashlib.sha256(content).digest():
                    failures.append(f"{seen}: the bytes served differ from the stored file")
                continue
            elif response.status_code != serving.refused:
                failures.append(f"{seen}, expected {serving.refused}")
            if content in body:
                failures.append(f"{seen}: the refusal carries the file's bytes")
            row = stored[name].row
            if isinstance(row, VisitPhoto | MonthlyReportPhoto):
                project = row.visit.project if isinstance(row, VisitPhoto) else row.report.project
                if project.name.encode() in body:
                    failures.append(f"{seen}: the refusal names the project")
    # Eight files: six photos (one URL each) and two briefings (the web's and the API's).
    assert checked == 10
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("role", ROLES)
def test_media_root_is_never_served_directly(settings, media_root, users, role, debug):
    """Not by a URL pattern, not by WhiteNoise (which in DEBUG also serves the finders'
    folders): `MEDIA_URL + stored name` answers 404, or the sign-in redirect."""
    settings.DEBUG = debug
    client = Client()  # middleware (WhiteNoise's file index) is built on the first request
    if role != "anonymous":
        client.force_login(users[role])
    login_url = resolve_url(settings.LOGIN_URL)
    media_url = "/" + settings.MEDIA_URL.lstrip("/")
    on_disk = files_on_disk(media_root)
    assert on_disk
    for name, content in on_disk.items():
        for url in (media_url + name, "/" + name, "/static/" + name):
            response = client.get(url)
            assert response.status_code in (302, 404), f"{url} as {role}"
            if response.status_code == 302:
                assert role == "anonymous" and response["Location"].startswith(login_url), url
            assert content not in body_of(response), f"{url} as {role} serves the file"
