"""The visit form on a phone when a photo is refused: the summary of errors is on screen
at the top without scrolling and its link leads to the photos field; the photos that
passed are kept, and the next tap on the submit button records the visit with them.
Screenshot: tests/artifacts/visit-form-refused-phone.png."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from inspections.models import SiteVisit
from tests.e2e.conftest import PHONE, log_in, new_context, wait_for_fonts

pytestmark = pytest.mark.e2e


def jpeg(name: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#1a7f37").save(buffer, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_refused_photo_on_a_phone(browser: Browser, live_server, demo, artifacts):
    context = new_context(browser, live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, "pm")
        page.goto("/visits/new/?new=1")
        page.locator("#id_notes").fill("一期设备已安装，正在调试。")
        bad = {"name": "c.jpg", "mimeType": "image/jpeg", "buffer": b"<html>no photo</html>"}
        page.locator("#id_photos").set_input_files([jpeg("a.jpg"), bad, jpeg("b.jpg")])
        page.locator("form.visit-form button.primary").tap()

        summary = page.locator('[data-testid="error-summary"]')
        expect(summary).to_be_in_viewport()
        expect(summary).to_contain_text("c.jpg")
        expect(page.locator('[data-testid="held-photos"]').first).to_contain_text("a.jpg")
        expect(page.locator('[data-testid="held-photos"]').first).to_be_in_viewport()
        wait_for_fonts(page)
        page.screenshot(path=artifacts / "visit-form-refused-phone.png", full_page=False)
        summary.locator('a[href="#id_photos"]').tap()
        expect(page.locator("#id_photos")).to_be_in_viewport()

        page.locator("form.visit-form button.primary").tap()
        page.wait_for_url(re.compile(r"/visits/\d+/$"))
        visit = SiteVisit.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))
        assert [photo.original_name for photo in visit.photos.all()] == ["a.jpg", "b.jpg"]
    finally:
        context.close()
