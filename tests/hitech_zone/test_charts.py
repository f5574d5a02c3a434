"""The SVG charts: geometry, awkward inputs, well-formed SVG, and Chinese text in the PDF."""

import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from hitech_zone import charts
from hitech_zone.charts import (
    BarSeries,
    LineSeries,
    ReferenceLine,
    Segment,
    TimelineRow,
    bar_chart,
    line_chart,
    progress_chart,
    stacked_bar,
    timeline_chart,
)

ARTIFACTS = Path(settings.BASE_DIR) / "tests" / "artifacts" / "charts"
SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def sample_bar() -> charts.BarChart:
    return bar_chart(
        title="重点项目年度投资",
        description="各项目年度计划投资与已完成投资，单位亿元。",
        categories=[
            "江苏正力新能电芯项目",
            "重塑能源科技项目（氢燃料电池汽车产业园旗舰项目一期）",
            "昆承湖日航国际中心",
            "人工智能科技产业园",
        ],
        series=[
            BarSeries("年度计划", [D("3.5"), D("6"), D("2.2"), D("1.8")], charts.NEUTRAL),
            BarSeries("已完成", [D("1.25"), D("2.8"), D("0"), D("2.05")], charts.COMPLETED),
        ],
        unit="亿元",
        reference_lines=[
            ReferenceLine("序时进度 1.5", D("1.5"), charts.YELLOW),
            ReferenceLine("目标 5", D("5"), charts.RED),
        ],
    )


def sample_progress() -> charts.ProgressChart:
    return progress_chart(
        title="工业投资完成情况",
        description="工业投资年内已完成 18.6 亿元，确保 55 亿元，力争 70 亿元。",
        value=D("18.6"),
        value_label="18.6 亿元",
        maximum=D("70"),
        markers=[
            ReferenceLine("序时进度 22.9", D("22.9"), charts.YELLOW),
            ReferenceLine("年度计划 50", D("50"), charts.NEUTRAL),
            ReferenceLine("确保 55 亿元", D("55"), charts.GREEN),
            ReferenceLine("力争 70 亿元", D("70"), charts.COMPLETED),
        ],
    )


def sample_line() -> charts.LineChart:
    plan = [D(50) * m / 12 for m in range(1, 13)]
    return line_chart(
        title="累计完成投资",
        description="按月累计完成投资与年度计划、序时进度对比。",
        x_labels=[f"{m}月" for m in range(1, 13)],
        series=[
            LineSeries("序时进度", [p.quantize(D("0.1")) for p in plan], charts.NEUTRAL, True),
            LineSeries("年度计划", [D(50)] * 12, charts.GREEN, True),
            LineSeries(
                "累计完成",
                [D("2.1"), D("4.0"), None, D("12.6"), D("17.9")] + [None] * 7,
                charts.COMPLETED,
            ),
        ],
        unit="亿元",
    )


def sample_timeline() -> charts.TimelineChart:
    return timeline_chart(
        title="关键节点",
        description="计划、预计和实际完成日期。",
        rows=[
            TimelineRow("复工", date(2026, 2, 20), date(2026, 2, 24), date(2026, 2, 24)),
            TimelineRow(
                "主体结构封顶（建材短缺，湖北供货不足）",
                date(2026, 4, 30),
                date(2026, 6, 15),
                None,
                charts.RED,
            ),
            TimelineRow("一期设备安装", date(2026, 3, 31), None, date(2026, 3, 31), charts.GREEN),
            TimelineRow("试生产", date(2026, 6, 30), date(2026, 6, 30), None),
        ],
        today=date(2026, 5, 12),
    )


def sample_stacked() -> charts.StackedBar:
    return stacked_bar(
        title="预警灯分布",
        description="28 个市级重点项目：绿灯 20，黄灯 5，红灯 3。",
        segments=[
            Segment("绿灯", 20, charts.GREEN),
            Segment("黄灯", 5, charts.YELLOW),
            Segment("红灯", 3, charts.RED),
            Segment("停工", 0, charts.NEUTRAL),
        ],
    )


SAMPLES = {
    "bar": sample_bar,
    "progress": sample_progress,
    "line": sample_line,
    "timeline": sample_timeline,
    "stacked_bar": sample_stacked,
}


def render(name: str, chart: charts.Chart) -> str:
    return render_to_string(f"charts/{name}.svg.html", {"chart": chart})


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# ---------------------------------------------------------------- geometry


def test_bar_lengths_are_proportional_to_values():
    chart = sample_bar()
    plan, done = chart.bars[0], chart.bars[1]  # 正力新能: 3.5 planned, 1.25 completed
    assert done.width / plan.width == pytest.approx(1.25 / 3.5, abs=0.002)
    assert chart.bars[5].width == 0  # 昆承湖日航国际中心 completed nothing yet
    # Scale 0..6 in steps of 2: the longest bar (6) spans the plot.
    assert chart.bars[2].width == pytest.approx(chart.plot.width, abs=0.01)


def test_reference_line_x_matches_its_value():
    chart = sample_bar()
    target = chart.references[1]
    assert target.x1 == target.x2
    assert target.x1 == pytest.approx(chart.plot.x + chart.plot.width * 5 / 6, abs=0.01)
    # …and it lines up with a bar of the same value would end.
    plan = chart.bars[0]
    assert chart.references[0].x1 - chart.plot.x == pytest.approx(plan.width * 1.5 / 3.5, abs=0.02)


def test_bar_scale_has_four_or_five_round_gridlines():
    chart = sample_bar()
    labels = [t.text for t in chart.tick_labels]
    assert labels[0] == "0"
    assert labels == ["0", "2", "4", "6"]


@pytest.mark.parametrize(
    ("highest", "top", "step"),
    [("100", "100", "20"), ("55", "60", "20"), ("70", "80", "20"), ("0.3", "0.3", "0.1"),
     ("1", "1", "0.2"), ("101", "125", "25"), ("152.5", "200", "50"), ("6", "6", "2")],
)  # fmt: skip
def test_nice_scale(highest, top, step):
    assert charts.nice_scale(D(highest)) == (D(top), D(step))


def test_long_labels_are_truncated_with_the_full_label_as_tooltip():
    chart = sample_bar()
    long = chart.labels[1]
    assert long.text.endswith("…") and len(long.text) == 14
    assert long.tooltip.startswith("重塑能源科技项目（氢燃料电池")
    assert chart.labels[0].tooltip == ""
    svg = render("bar", chart)
    assert "<title>重塑能源科技项目（氢燃料电池汽车产业园旗舰项目一期）</title>" in svg


def test_progress_markers_are_placed_by_value_and_their_labels_do_not_overlap():
    chart = sample_progress()
    plot = chart.plot
    for marker, value in zip(chart.markers, ("22.9", "50", "55", "70"), strict=True):
        assert marker.x1 == pytest.approx(plot.x + plot.width * float(value) / 70, abs=0.01)
    assert chart.bar.width == pytest.approx(plot.width * 18.6 / 70, abs=0.01)
    boxes = []
    for label in chart.marker_labels:
        width = charts.text_width(label.text, label.size)
        left = {"start": label.x, "middle": label.x - width / 2, "end": label.x - width}
        boxes.append((label.y, left[label.anchor], left[label.anchor] + width))
    for i, (y, lo, hi) in enumerate(boxes):
        for y2, lo2, hi2 in boxes[i + 1 :]:
            assert y != y2 or hi <= lo2 or hi2 <= lo, (boxes[i], (y2, lo2, hi2))
    # 50 and 55 are close: one label goes above the bar, the other below.
    assert chart.marker_labels[1].y != chart.marker_labels[2].y
    for label in chart.marker_labels:
        assert 0 <= label.x <= chart.width


def test_line_chart_breaks_at_missing_values():
    chart = sample_line()
    completed = [line for line in chart.lines if line.colour == charts.COMPLETED]
    assert [len(line.points) for line in completed] == [2, 2]  # Jan–Feb, Apr–May
    dots = [p for p in chart.points if p.colour == charts.COMPLETED]
    assert len(dots) == 4
    # Values are drawn upwards from the bottom of the plot, on a 0..50 scale.
    april = dots[2]
    bottom = chart.plot.y + chart.plot.height
    assert bottom - april.y == pytest.approx(chart.plot.height * 12.6 / 50, abs=0.02)


def test_line_chart_end_labels_do_not_collide():
    # 序时进度 and 年度计划 both end at 50 in December: one label says it for both.
    december = [t for t in sample_line().end_labels if t.text == "50"]
    assert len(december) == 1
    close = line_chart(
        title="t",
        description="d",
        x_labels=["11月", "12月"],
        series=[LineSeries("a", [D(40), D(50)]), LineSeries("b", [D(40), D(49)])],
    )
    first, second = close.end_labels
    assert first.x == second.x
    assert abs(first.y - second.y) >= 13


def x_for(chart: charts.TimelineChart, day: date) -> float:
    span = (chart.end - chart.start).days
    return chart.plot.x + (day - chart.start).days / span * chart.plot.width


def test_timeline_markers_sit_on_their_dates():
    with translation.override("en"):
        chart = sample_timeline()
    by_tip = {m.tooltip: m for m in chart.markers}
    slipping = by_tip["主体结构封顶（建材短缺，湖北供货不足） · Baseline: 2026-04-30"]
    forecast = by_tip["主体结构封顶（建材短缺，湖北供货不足） · Forecast: 2026-06-15"]
    assert slipping.kind == "diamond" and forecast.kind == "circle"
    assert slipping.x == pytest.approx(x_for(chart, date(2026, 4, 30)), abs=0.01)
    assert forecast.x == pytest.approx(x_for(chart, date(2026, 6, 15)), abs=0.01)
    assert slipping.colour == charts.RED
    # The slip is joined by a dashed line from the plan to the forecast.
    dashed = [c for c in chart.connectors if c.dashed and c.colour == charts.RED]
    assert [(c.x1, c.x2) for c in dashed] == [(slipping.x, forecast.x)]
    actual = by_tip["复工 · Actual: 2026-02-24"]
    assert actual.kind == "dot" and actual.fill == actual.colour


def test_timeline_today_line_sits_between_the_right_dates():
    with translation.override("en"):
        chart = sample_timeline()
    assert x_for(chart, date(2026, 4, 30)) < chart.today.x1 < x_for(chart, date(2026, 6, 15))
    assert chart.today.x1 == pytest.approx(x_for(chart, date(2026, 5, 12)), abs=0.01)
    assert chart.today_label.text == "Today"
    # The range covers every date with a margin.
    assert chart.start < date(2026, 2, 20) and chart.end > date(2026, 6, 30)


def test_timeline_month_ticks_do_not_crowd_and_show_the_year_at_january():
    with translation.override("zh-hans"):
        chart = timeline_chart(
            title="t",
            description="d",
            rows=[TimelineRow("甲", date(2025, 3, 1)), TimelineRow("乙", date(2027, 9, 1))],
            today=date(2026, 5, 1),
        )
    months = [t.text for t in chart.tick_labels if not t.text.isdigit()]
    years = [t.text for t in chart.tick_labels if t.text.isdigit()]
    xs = [t.x for t in chart.tick_labels if not t.text.isdigit()]
    assert all(b - a >= charts.text_width("十二月", charts.SMALL) for a, b in pairwise(xs))
    assert "一月" in months
    assert {"2026", "2027"} <= set(years)


def test_stacked_segments_fill_the_full_width_and_skip_zeros():
    chart = stacked_bar(
        title="t",
        description="d",
        segments=[
            Segment("绿", 20, charts.GREEN),
            Segment("黄", 0, charts.YELLOW),
            Segment("红", 3, charts.RED),
            Segment("灰", 7, charts.NEUTRAL),
        ],
    )
    assert len(chart.segments) == 3
    assert sum(s.width for s in chart.segments) == pytest.approx(chart.plot.width, abs=1e-9)
    assert chart.segments[0].width == pytest.approx(chart.plot.width * 20 / 30, abs=0.01)
    assert [i.text.text for i in chart.legend] == ["绿 20", "黄 0", "红 3", "灰 7"]
    # Numbers keep their contrast: dark on yellowish, white on green.
    assert charts.text_on(charts.GREEN) == charts.WHITE
    assert charts.text_on("#f2c94c") == charts.INK


def test_decimal_text_trims_trailing_zeros():
    assert charts.decimal_text(D("12.50")) == "12.5"
    assert charts.decimal_text(D("1E+2")) == "100"
    assert charts.decimal_text(D("0.00")) == "0"


# ---------------------------------------------------------------- awkward inputs

EMPTY = {
    "bar (empty)": ("bar", lambda: bar_chart(title="t", description="d", categories=[], series=[])),
    "bar (zeros)": (
        "bar",
        lambda: bar_chart(
            title="t",
            description="d",
            categories=["甲", "乙"],
            series=[BarSeries("完成", [D(0), D(0)])],
        ),
    ),
    "progress (zeros)": (
        "progress",
        lambda: progress_chart(
            title="t", description="d", value=D(0), value_label="0", maximum=None, markers=[]
        ),
    ),
    "line (empty)": (
        "line",
        lambda: line_chart(title="t", description="d", x_labels=[], series=[]),
    ),
    "line (all None)": (
        "line",
        lambda: line_chart(
            title="t", description="d", x_labels=["1月", "2月"], series=[LineSeries("x", [None])]
        ),
    ),
    "timeline (empty)": (
        "timeline",
        lambda: timeline_chart(title="t", description="d", rows=[], today=date(2026, 5, 1)),
    ),
    "stacked (zeros)": (
        "stacked_bar",
        lambda: stacked_bar(title="t", description="d", segments=[Segment("绿", 0, "#1a7f37")]),
    ),
    "stacked (empty)": (
        "stacked_bar",
        lambda: stacked_bar(title="t", description="d", segments=[]),
    ),
}


@pytest.mark.parametrize("case", EMPTY)
def test_empty_and_zero_inputs_show_no_data(case):
    name, build = EMPTY[case]
    with translation.override("en"):
        root = parse(render(name, build()))
    assert texts(root) == ["No data"]
    assert root.get("font-family").startswith(settings.PDF_FONT_FAMILY)


def test_single_category_single_point_and_negative_values():
    bar = bar_chart(
        title="t",
        description="d",
        categories=["甲"],
        series=[BarSeries("完成", [D("-5")]), BarSeries("计划", [D("2")])],
    )
    assert bar.bars[0].width == 0
    assert bar.no_data is None
    line = line_chart(
        title="t", description="d", x_labels=["1月"], series=[LineSeries("x", [D("3")])]
    )
    assert line.lines == () and len(line.points) == 1
    assert line.points[0].x == pytest.approx(line.plot.x + line.plot.width / 2, abs=0.01)
    one_day = timeline_chart(
        title="t",
        description="d",
        rows=[TimelineRow("甲", date(2026, 5, 1))],
        today=date(2026, 5, 1),
    )
    assert (one_day.end - one_day.start).days >= 60
    assert one_day.ticks  # a short range still gets month ticks
    progress = progress_chart(
        title="t", description="d", value=D(0), value_label="0 亿元", maximum=D(50), markers=[]
    )
    assert progress.no_data is None and progress.bar.width == 0
    for name, chart in (
        ("bar", bar),
        ("line", line),
        ("timeline", one_day),
        ("progress", progress),
    ):
        parse(render(name, chart))


def test_narrow_charts_with_long_labels_still_draw_forwards():
    long = "很长的项目名称" * 5
    bar = bar_chart(
        title="t",
        description="d",
        categories=[long],
        series=[BarSeries(long, [D("123456789.5")])],
        unit=long,
        width=200,
    )
    assert bar.plot.width > 0 and bar.bars[0].width > 0
    line = line_chart(
        title="t",
        description="d",
        x_labels=[long] * 40,
        series=[LineSeries(long, [D(1)] * 40)],
        width=200,
    )
    assert line.plot.width > 0
    timeline = timeline_chart(
        title="t",
        description="d",
        rows=[TimelineRow(long, date(2026, 1, 1))],
        today=date(2026, 1, 1),
        width=200,
    )
    assert timeline.plot.width > 0
    for name, chart in (("bar", bar), ("line", line), ("timeline", timeline)):
        parse(render(name, chart))


def test_charts_with_the_same_title_get_different_ids():
    first = stacked_bar(title="t", description="d", segments=[Segment("绿", 1, charts.GREEN)])
    second = stacked_bar(title="t", description="d", segments=[Segment("绿", 2, charts.GREEN)])
    assert first.chart_id != second.chart_id
    again = stacked_bar(title="t", description="d", segments=[Segment("绿", 1, charts.GREEN)])
    assert first.chart_id == again.chart_id  # stable output for the same chart


def test_labels_are_escaped():
    chart = bar_chart(
        title="<研发> & 生产",
        description="d",
        categories=["A&B <C>"],
        series=[BarSeries("'x'", [D(1)])],
    )
    root = parse(render("bar", chart))
    assert root.find(f"{SVG}title").text == "<研发> & 生产"
    assert "A&B <C>" in texts(root)


def test_ui_words_are_translated():
    with translation.override("zh-hans"):
        chart = sample_timeline()
    assert chart.today_label.text == "今天"
    assert [i.text.text for i in chart.legend][:3] == ["计划日期", "预计日期", "实际日期"]


def test_numbers_in_the_svg_ignore_the_active_locale():
    # German writes 1,5; an SVG coordinate must stay 1.5 whatever the page language.
    with translation.override("de"):
        svg = render("bar", sample_bar())
    root = parse(svg)
    assert all("," not in rect.get("x") for rect in root.iter(f"{SVG}rect"))
    assert "," not in root.get("viewBox")


# ---------------------------------------------------------------- rendering


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, build in SAMPLES.items():
        out[name] = render(name, build())
        (ARTIFACTS / f"{name}.svg").write_text(out[name], encoding="utf-8")
    return out


@pytest.mark.parametrize("name", SAMPLES)
def test_every_template_renders_well_formed_accessible_svg(rendered, name):
    root = parse(rendered[name])
    assert root.tag == f"{SVG}svg"
    assert root.get("font-family") == (
        "WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"
    )
    assert root.get("width") == "100%"
    assert root.get("role") == "img"
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert width == 640 and height > 0
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # Colours are attributes, never classes or styles, so WeasyPrint and browsers agree.
    for element in root.iter():
        assert "style" not in element.attrib
        assert element.tag != f"{SVG}foreignObject"
    # Everything stays inside the view box.
    for element in root.iter(f"{SVG}text"):
        assert 0 <= float(element.get("y")) <= height


def test_all_charts_in_one_pdf_keep_their_chinese_text(rendered):
    from reports.pdf import html_to_pdf

    body = "".join(f"<section><h2>{name}</h2>{svg}</section>" for name, svg in rendered.items())
    pdf = html_to_pdf(
        f"<html lang='zh'><body>{body}</body></html>", extra_css="@page { size: A4; margin: 15mm; }"
    )
    (ARTIFACTS / "charts.pdf").write_bytes(pdf)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    for label in ("序时进度", "确保55亿元", "江苏正力新能电芯项目", "绿灯20", "累计完成"):
        assert label in compact, label


def test_a_bars_tooltip_keeps_a_space_between_the_figure_and_its_unit():
    """1.25 亿元, never "1.25亿元" run together (in English that read "1.25100M yuan")."""
    tips = [bar.tooltip for bar in sample_bar().bars]
    assert "江苏正力新能电芯项目 · 已完成: 1.25 亿元" in tips
