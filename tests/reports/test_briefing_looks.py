"""How a briefing looks on paper: the lights told apart on a black-and-white print (by
grey and by shape), days written the Chinese way, weekly periods numbered 第N期, and
numbers kept on one line with their units."""

import shutil
import subprocess
import tempfile
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from statistics import median

import pytest
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone, translation
from PIL import Image

from hitech_zone import charts
from hitech_zone.demo.loader import load_demo
from hitech_zone.templatetags.typography import NO_BREAK_SPACE, cn_day, keep_units, nowrap
from reports import periods
from reports.briefings import pdf_render, snapshot_build
from reports.briefings.render import Money
from reports.charts import LIGHT_COLOURS, lights_chart

LIGHTS = {"red": charts.LIGHT_RED, "yellow": charts.LIGHT_YELLOW, "green": charts.LIGHT_GREEN}


# ---------------------------------------------------------------- colours


def test_the_light_colours_print_as_different_greys():
    greys = {name: charts.grey_level(colour) for name, colour in LIGHTS.items()}
    greys["unassessed"] = charts.grey_level(charts.LIGHT_NONE)
    for (a, grey_a), (b, grey_b) in combinations(greys.items(), 2):
        assert abs(grey_a - grey_b) >= 25, (a, b, greys)
    # Red darkest, yellow lightest: the order a reader expects from the colours.
    assert greys["red"] < greys["green"] < greys["yellow"]


def test_the_lights_chart_uses_the_light_colours_and_shapes():
    with translation.override("zh-hans"):
        chart = lights_chart(
            [
                ("red", "红灯", 8),
                ("yellow", "黄灯", 8),
                ("green", "绿灯", 12),
                ("unassessed", "未到考核期", 0),
            ]
        )
    assert [r.colour for r in chart.segments] == [
        LIGHT_COLOURS[light] for light in ("red", "yellow", "green")
    ]
    # Each segment says what it is, shape first: a grey print still reads '▲黄灯 8'.
    assert [t.text for t in chart.segment_labels] == ["●红灯 8", "▲黄灯 8", "■绿灯 12"]
    # The legend lists all four, 未到考核期 too, each with its shape.
    assert [item.text.text for item in chart.legend] == [
        "红灯 8",
        "黄灯 8",
        "绿灯 12",
        "未到考核期 0",
    ]
    assert [item.marker.kind for item in chart.legend] == ["dot", "triangle", "square", "circle"]
    assert chart.legend[3].marker.fill == charts.WHITE  # the ring is hollow


# ---------------------------------------------------------------- the printed page


@pytest.fixture(scope="module")
def monthly_pdf(django_db_setup, django_db_blocker) -> bytes:
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        period = periods.containing(periods.MONTHLY, timezone.localdate())
        snapshot = snapshot_build(kind=periods.MONTHLY, period=period, as_of=timezone.now())
        transaction.set_rollback(True)
    with translation.override("zh-hans"):
        return pdf_render(snapshot=snapshot, generated_at=timezone.now(), version=1, changes=[])


def _page(pdf: bytes, page: int, *, grey: bool) -> Image.Image:
    """One page as poppler rasterises it, in colour or as a black-and-white printer would
    see it (-gray)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "briefing.pdf"
        source.write_bytes(pdf)
        args = ["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-singlefile"]
        args += ["-gray"] if grey else ["-png"]
        subprocess.run([*args, str(source), str(Path(folder) / "page")], check=True)
        image = Image.open(Path(folder) / ("page.pgm" if grey else "page.png"))
        return image.convert("L" if grey else "RGB")


# Marked, so that the test database is set up even when this is the only test run (the
# fixture reaches it through django_db_setup, which sets up only what marked tests use).
@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler's pdftoppm")
def test_the_light_marks_differ_in_grey_on_the_printed_page(monthly_pdf):
    """The ● ▲ ■ of the light counts near the top of the monthly, as a black-and-white
    printer sees them: the pixels drawn in each light's colour, read on the page made
    grey by poppler."""
    wanted = {name: tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for name, c in LIGHTS.items()}
    found: dict[str, list[int]] = {name: [] for name in LIGHTS}
    for page in (1, 2):
        colour, grey = _page(monthly_pdf, page, grey=False), _page(monthly_pdf, page, grey=True)
        assert colour.size == grey.size
        pixels, greys = colour.load(), grey.load()
        for y in range(colour.height):
            for x in range(colour.width):
                rgb = pixels[x, y]
                for name, target in wanted.items():
                    if all(abs(a - b) <= 2 for a, b in zip(rgb, target, strict=True)):
                        found[name].append(greys[x, y])
        if all(len(values) >= 20 for values in found.values()):
            break
    assert all(len(values) >= 20 for values in found.values()), {
        name: len(values) for name, values in found.items()
    }
    levels = {name: median(values) for name, values in found.items()}
    for (a, grey_a), (b, grey_b) in combinations(levels.items(), 2):
        assert abs(grey_a - grey_b) >= 25, (a, b, levels)


# ---------------------------------------------------------------- dates and periods


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "11月30日"), ("en", "30 Nov")])
def test_a_day_is_written_the_chinese_way(language, expected):
    with translation.override(language):
        assert cn_day(date(2026, 11, 30)) == expected
        rendered = Template("{% load typography %}{{ day|cn_day }}").render(
            Context({"day": date(2026, 11, 30)})
        )
    assert rendered == expected


def test_a_day_in_another_year_carries_its_year_and_a_moment_its_time():
    with translation.override("zh-hans"):
        assert cn_day(date(2025, 12, 15), date(2026, 1, 4)) == "2025年12月15日"
        assert cn_day(date(2026, 3, 5), date(2026, 11, 30)) == "3月5日"
        moment = datetime(2026, 11, 30, 17, 5, tzinfo=timezone.get_current_timezone())
        assert cn_day(moment, "time") == "11月30日 17:05"
        assert cn_day(None) == ""
    with translation.override("en"):
        assert cn_day(date(2025, 12, 15), date(2026, 1, 4)) == "15 Dec 2025"


def test_a_weekly_period_is_named_as_a_numbered_issue():
    week = periods.parse(periods.WEEKLY, "2026-W48")
    with translation.override("zh-hans"):
        assert week.label == "2026年第48期"
    with translation.override("en"):
        assert week.label == "Week 48, 2026"
    # The key stays what addresses and storage use.
    assert week.key == "2026-W48"
    assert str(week) == "2026-W48"


# ---------------------------------------------------------------- numbers and units


def test_an_amount_stays_on_one_line_with_its_unit():
    with translation.override("zh-hans"):
        shown = Money(value=Decimal("127000")).yi
    assert shown == '<span class="nowrap">12.7 亿元</span>'
    assert nowrap("83.3%") == '<span class="nowrap">83.3%</span>'
    assert nowrap("<b>") == '<span class="nowrap">&lt;b&gt;</span>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("超期 12 个工作日", f"超期 12{NO_BREAK_SPACE}个工作日"),
        (
            "完成 12.7 亿元，占 83.3% 以上",
            f"完成 12.7{NO_BREAK_SPACE}亿元，占 83.3%{NO_BREAK_SPACE}以上",
        ),
        ("CNY 15.25 billion", f"CNY{NO_BREAK_SPACE}15.25{NO_BREAK_SPACE}billion"),
        ("12 working days overdue", f"12{NO_BREAK_SPACE}working days overdue"),
        # Only between a number and its unit: other spaces still break.
        ("项目 A 延误", "项目 A 延误"),
        ("<x> 3 天", f"&lt;x&gt; 3{NO_BREAK_SPACE}天"),
    ],
)
def test_a_number_and_its_unit_do_not_split(text, expected):
    assert keep_units(text) == expected
