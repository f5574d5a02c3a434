"""The disk fills, or turns read-only, while a site visit's photos are written. Nothing is
half-saved: no visit, no issue, no photo row, no file (not even the part of one written
before the disk filled); the form comes back with a plain message and what the user typed.

The failure is real: MEDIA_ROOT is a 64 KiB tmpfs mounted for the test, so the second
photo's write fails with ENOSPC inside Django's own file storage; remounted read-only, the
first write fails with EROFS. Mounting needs root (or CAP_SYS_ADMIN); where it is not
allowed the tests skip, saying so."""

import io
import shutil
import subprocess
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from inspections.models import Issue, SiteVisit, VisitPhoto

pytestmark = pytest.mark.django_db

NOTES = "陈华瑞：一期设备已安装，正在调试，预计六月试生产。"
ISSUE_TITLE = "高校未开学，招工渠道有限"
# What the user reads (zh-hans, the default language).
STORAGE_FAILED = "服务器无法保存照片"
CHOOSE_AGAIN = "请重新选择照片"


def mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def tiny_media(settings, tmp_path):
    """MEDIA_ROOT on a 64 KiB tmpfs: room for a small photo, not for a large one."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small file system with")
    root = tmp_path / "media"
    root.mkdir()
    mounted = mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(root))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    settings.MEDIA_ROOT = root
    yield root
    subprocess.run(["umount", "-l", str(root)], check=False)


def jpeg(size: tuple[int, int], *, noise: bool = False) -> bytes:
    """A photo: a flat colour (a few KiB stored), or noise (hundreds of KiB stored)."""
    if noise:
        image = Image.merge("RGB", [Image.effect_noise(size, 120) for _band in range(3)])
    else:
        image = Image.new("RGB", size, (120, 160, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def visit_post(project, submission_key: str, today) -> dict:
    return {
        "submission_key": submission_key,
        "project": project.pk,
        "visited_on": today.isoformat(),
        "notes": NOTES,
        "issue-0-title": ISSUE_TITLE,
        "issue-0-category": "hiring",
        "issue-0-severity": "serious",
        "issue-0-description": "组织人事劳动局协助联系高校。",
        "photos": [
            SimpleUploadedFile("site.jpg", jpeg((64, 48)), content_type="image/jpeg"),
            SimpleUploadedFile("line.jpg", jpeg((1600, 1200), noise=True), "image/jpeg"),
        ],
    }


def assert_nothing_recorded(submission_key: str, media) -> None:
    assert not SiteVisit.objects.filter(idempotency_key=submission_key).exists()
    assert not Issue.objects.filter(title=ISSUE_TITLE).exists()
    assert not VisitPhoto.objects.exists()
    assert stored_files(media) == [], "files left behind"


def assert_form_kept(response) -> None:
    assert response.status_code == 422
    page = response.content.decode()
    assert STORAGE_FAILED in page and CHOOSE_AGAIN in page
    # What the user typed comes back in the form.
    assert NOTES in page and ISSUE_TITLE in page


def test_a_full_disk_saves_no_half_visit_and_keeps_the_form(
    client, manager, own_project, tiny_media, today
):
    client.force_login(manager)
    submission_key = str(uuid.uuid4())

    response = client.post(reverse("visit_create"), visit_post(own_project, submission_key, today))

    assert_form_kept(response)
    assert_nothing_recorded(submission_key, tiny_media)

    # Space freed, the user chooses the photos again and submits the same form: recorded.
    assert mount("-o", "remount,size=16m", str(tiny_media)).returncode == 0
    response = client.post(reverse("visit_create"), visit_post(own_project, submission_key, today))
    assert response.status_code == 302, response.content.decode()[-2000:]
    visit = SiteVisit.objects.get(idempotency_key=submission_key)
    assert visit.photos.count() == 2
    assert Issue.objects.filter(title=ISSUE_TITLE, site_visit=visit).count() == 1
    assert len(stored_files(tiny_media)) == 4  # each photo and its thumbnail


def test_a_read_only_disk_saves_no_half_visit_and_keeps_the_form(
    client, manager, own_project, tiny_media, today
):
    assert mount("-o", "remount,ro", str(tiny_media)).returncode == 0
    client.force_login(manager)
    submission_key = str(uuid.uuid4())

    response = client.post(reverse("visit_create"), visit_post(own_project, submission_key, today))

    assert_form_kept(response)
    assert_nothing_recorded(submission_key, tiny_media)
