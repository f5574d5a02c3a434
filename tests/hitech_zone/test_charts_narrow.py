"""Each chart also drawn NARROW_WIDTH (300) wide for a phone: a web page carries both
drawings (CSS shows one), a PDF, rendered without a request, only the desk's, unchanged."""

from dataclasses import replace
from decimal import Decimal

from django.template.loader import render_to_string
from django.test import RequestFactory

from hitech_zone import charts


def plan() -> charts.ProgressChart:
    return charts.progress_chart(
        title="本年投资完成情况",
        description="已完成 37.5 亿元",
        value=Decimal("37.5"),
        value_label="已完成 37.5",
        maximum=Decimal("50"),
        markers=[charts.ReferenceLine("序时进度 40.2", Decimal("40.2"), charts.YELLOW)],
    )


def test_a_pdf_gets_the_desk_drawing_alone_as_before():
    chart = plan()
    assert chart.width == 640 and chart.narrow.width == charts.NARROW_WIDTH
    pdf = render_to_string("charts/progress.svg.html", {"chart": chart})
    before = render_to_string("charts/progress.svg.html", {"chart": replace(chart, narrow=None)})
    assert pdf == before
    assert pdf.count("<svg") == 1 and 'class="chart"' in pdf


def test_a_web_page_gets_both_drawings():
    request = RequestFactory().get("/")
    page = render_to_string("charts/progress.svg.html", {"chart": plan(), "request": request})
    assert page.count("<svg") == 2
    assert 'viewBox="0 0 640 ' in page and 'class="chart chart-wide"' in page
    assert 'viewBox="0 0 300 ' in page and 'class="chart-narrow"' in page


def test_the_narrow_bar_chart_keeps_its_labels_inside():
    """Park names are cut to 8 characters on a phone (7 and an ellipsis): 12 units each
    (the ellipsis is measured as wide as a CJK character), 8 × 12 = 96 units, inside the
    40 % of 300 (120 units) left for labels."""
    chart = charts.bar_chart(
        title="各园区/载体计划与完成",
        description="",
        categories=["高端装备产业园（演示）", "加氢站"],
        series=[charts.BarSeries("年度计划", [Decimal("16.2"), Decimal("0.5")])],
        unit="亿元",
    ).narrow
    assert [label.text for label in chart.labels] == ["高端装备产业园…", "加氢站"]
    assert all(label.x - charts.text_width(label.text) >= 0 for label in chart.labels)
    assert max(t.x for t in chart.tick_labels) < chart.width
