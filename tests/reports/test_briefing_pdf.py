"""The monthly briefing as a PDF, on the demo data: the figures printed are the database's,
every project is in it, the font is embedded, and every page has its running header and
footer. Rendered once for the module (WeasyPrint takes seconds)."""

import io
import re
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from pypdf import PdfReader

from hitech_zone.demo.loader import load_demo
from hitech_zone.money import format_wan, format_yi
from projects.models import MonthlyInvestment, Project
from reports import periods
from reports.briefings import pdf_render, snapshot_build
from tests.reports.test_pdf import embedded_fonts


@dataclass(frozen=True)
class Rendered:
    reader: PdfReader
    pages: list[str]  # each page's text, whitespace removed
    snapshot: dict
    names: list[str]
    completed_ytd: object
    seconds: float


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker) -> Rendered:
    """Demo data loaded in a transaction that is rolled back once the PDF is made, so the
    module leaves the test database as it found it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        period = periods.containing(periods.MONTHLY, timezone.localdate())
        snapshot = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())
        names = list(Project.objects.values_list("name", flat=True))
        completed_ytd = MonthlyInvestment.objects.filter(
            year=period.start.year, month__lte=period.start.month
        ).aggregate(total=Sum("completed_amount", default=Decimal(0)))["total"]
        transaction.set_rollback(True)
    started = time.monotonic()
    pdf = pdf_render(snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[])
    seconds = time.monotonic() - started
    reader = PdfReader(io.BytesIO(pdf))
    return Rendered(
        reader=reader,
        pages=[squeeze(page.extract_text()) for page in reader.pages],
        snapshot=snapshot,
        names=names,
        completed_ytd=completed_ytd,
        seconds=seconds,
    )


def test_the_totals_printed_are_the_database_totals(rendered):
    text = "".join(rendered.pages)
    # Key figures right after the leader's decisions, on the first two pages, in 亿元.
    first = "".join(rendered.pages[:2])
    assert "152.5亿元" in first
    assert "50.0亿元" in first
    assert f"{format_yi(rendered.completed_ytd)}亿元" in first
    assert rendered.snapshot["summary"]["project_count"] == 28
    # The table of every project ends with the totals, in 万元.
    assert "1,525,000" in text
    assert "500,000" in text
    assert format_wan(rendered.completed_ytd.quantize(1)) in text


def test_every_project_is_in_it(rendered):
    text = "".join(rendered.pages)
    assert len(rendered.names) == 28
    missing = [name for name in rendered.names if squeeze(name) not in text]
    assert not missing
    assert "正力新能" in text


def test_the_font_is_embedded(rendered):
    fonts = embedded_fonts(rendered.reader)
    assert fonts
    assert all(embedded for _, embedded in fonts), fonts
    assert all("WenQuanYi" in name for name, _ in fonts), fonts


def test_every_page_has_the_running_header_and_footer(rendered):
    as_of = datetime.fromisoformat(rendered.snapshot["as_of"]).strftime("%Y-%m-%d%H:%M")
    assert len(rendered.pages) >= 3
    for number, page in enumerate(rendered.pages, 1):
        assert as_of in page, number  # footer: data as of
        if number > 1:
            assert page.count("常熟高新区") >= 1, number  # header: the zone


def test_the_render_is_quick_enough(rendered):
    assert rendered.seconds < 30


def test_the_zone_monthly_stays_within_eight_pages(rendered):
    """The demo zone's 28 projects, the register printed as the appendix: at most 8 A4
    pages (tests/reports/test_monthly_sections.py holds the city and province sizes)."""
    assert len(rendered.pages) <= 8, len(rendered.pages)
