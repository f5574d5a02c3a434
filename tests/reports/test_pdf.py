"""PDFs carry their own Chinese font: embedded, with a glyph for every character."""

import io

import pytest
from pypdf import PdfReader

from reports.pdf import html_to_pdf

CHINESE = "常熟高新区重点项目周调度：正力新能、重塑能源，总投资152.5亿元"


@pytest.fixture(scope="module")
def rendered() -> PdfReader:
    html = (
        f"<h1>{CHINESE}</h1><svg width='300' height='40'><text x='0' y='20'>序时进度</text></svg>"
    )
    return PdfReader(io.BytesIO(html_to_pdf(html)))


def embedded_fonts(reader: PdfReader) -> list[tuple[str, bool]]:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get(
                "/FontDescriptor"
            )
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.append((str(font["/BaseFont"]), embedded))
    return fonts


def test_every_font_is_embedded_and_is_the_shipped_one(rendered):
    fonts = embedded_fonts(rendered)
    assert fonts, "the PDF has no fonts"
    assert all(embedded for _, embedded in fonts), fonts
    assert any("WenQuanYi" in name for name, _ in fonts), fonts


def test_the_chinese_text_is_there(rendered):
    text = "".join(page.extract_text() for page in rendered.pages)
    assert "正力新能" in text
    assert "152.5亿元" in text.replace(" ", "")
    assert "序时进度" in text


def test_the_shipped_font_has_a_glyph_for_every_character():
    from django.conf import settings
    from fontTools.ttLib import TTFont

    cmap = TTFont(settings.PDF_FONT_PATH).getBestCmap()
    missing = [char for char in CHINESE + "提出交办办理办结销号" if ord(char) not in cmap]
    assert not missing


def test_a_worker_loads_the_renderer_as_it_starts_and_the_web_never_does():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys, django; django.setup()\n"
        "import reports.tasks, reports.pdf\n"
        "from celery.signals import worker_init\n"
        "from PIL import ImageFile\n"
        "print('weasyprint' in sys.modules)\n"
        "worker_init.send(sender=None)\n"
        "print('weasyprint' in sys.modules, ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hitech_zone.settings", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # Importing the jobs (as the web does to ask for them) loads no WeasyPrint; a worker's
    # start does, and leaves truncated photos refused.
    assert result.stdout.split() == ["False", "True", "False"]
