"""The briefings' site visits: each with the leader's instruction in full and up to two
photos, stored in the snapshot by the thumbnail's storage name and printed as images."""

import copy

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count
from django.utils import timezone

from hitech_zone.demo import load_demo
from inspections.models import SiteVisit, VisitPhoto
from reports import periods
from reports.briefings import html_render, snapshot_build
from reports.briefings.render import pdf_render

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db]

IMG = '<img src="data:image/jpeg;base64,'


@pytest.fixture
def snapshot(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path
    load_demo()
    # The month of the demo's latest visit with an instruction and two photos: on the 1st,
    # the month that has just begun may have none yet.
    visit = (
        SiteVisit.objects.exclude(leader_instruction="")
        .annotate(photo_count=Count("photos"))
        .filter(photo_count__gte=2)
        .latest("visited_on", "id")
    )
    period = periods.containing(periods.MONTHLY, visit.visited_on)
    return snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())


def render(snapshot: dict) -> str:
    return html_render(
        snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[], preview=False
    )


def with_photos(snapshot: dict) -> dict:
    """The month's visit with an instruction and two photos (the demo lays one out)."""
    return next(v for v in snapshot["visits"]["items"] if v["instruction"] and v["photos"][1:])


def test_the_snapshot_keeps_the_instruction_and_two_thumbnails(snapshot):
    item = with_photos(snapshot)
    visit = SiteVisit.objects.get(pk=item["id"])
    assert item["instruction"] == visit.leader_instruction
    thumbnails = list(visit.photos.order_by("id").values_list("thumbnail", flat=True))
    assert [photo["thumbnail"] for photo in item["photos"]] == thumbnails[:2]
    assert all(default_storage.exists(photo["thumbnail"]) for photo in item["photos"])


def test_no_more_than_two_photos_per_visit(snapshot):
    item = with_photos(snapshot)
    visit = SiteVisit.objects.get(pk=item["id"])
    VisitPhoto.objects.create(
        visit=visit, image="visits/x.jpg", thumbnail="visits/x-thumb.jpg", original_name="3.jpg"
    )
    period = periods.parse(periods.MONTHLY, snapshot["period"]["key"])
    again = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())
    assert len(next(v for v in again["visits"]["items"] if v["id"] == item["id"])["photos"]) == 2


def test_the_html_prints_the_instruction_and_the_photos(snapshot):
    item = with_photos(snapshot)
    html = render(snapshot)
    assert item["instruction"] in html
    assert html.count(IMG) >= 2


def test_a_missing_file_prints_no_image_and_old_snapshots_render(snapshot):
    item = with_photos(snapshot)
    default_storage.delete(item["photos"][0]["thumbnail"])
    images = render(snapshot).count(IMG)
    assert images >= 1

    old = copy.deepcopy(snapshot)
    for visit in old["visits"]["items"]:
        del visit["instruction"], visit["photos"]
    html = render(old)
    assert IMG not in html
    assert item["headline"] in html


def test_the_pdf_embeds_the_photos(snapshot):
    with_photos(snapshot)
    without = copy.deepcopy(snapshot)
    for visit in without["visits"]["items"]:
        visit["photos"] = []
    pdf = pdf_render(snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[])
    bare = pdf_render(snapshot=without, generated_at=timezone.now(), version=1, changes=[])
    assert pdf.startswith(b"%PDF")
    assert b"/Image" in pdf and b"/Image" not in bare
