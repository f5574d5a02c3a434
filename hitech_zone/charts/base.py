"""The building blocks of every chart: palette, shapes, scales, text measuring."""

import functools
import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.utils.translation import gettext as _

# ---------------------------------------------------------------- palette
INK = "#1d2733"
MUTED = "#5b6775"
GRID = "#d5dde6"
AXIS = "#8a96a3"
TRACK = "#e6ecf2"
STRIPE = "#f4f7fa"
WHITE = "#ffffff"
GREEN = "#1a7f37"
YELLOW = "#b7791f"
RED = "#c62828"
NEUTRAL = "#8aa4c2"
COMPLETED = "#0b5cab"
# The warning lights' fills. Red and green of one lightness print as one grey, so these
# step apart in grey_level (68, 117, 182, 230: 25 or more between any two) and the marks
# differ in shape too (SHAPE_GLYPHS). The briefings' CSS and the web's repeat the hues.
LIGHT_RED = "#9f1d1d"
LIGHT_YELLOW = "#f0b429"
LIGHT_GREEN = "#3b9a4f"
LIGHT_NONE = "#e4e7eb"
# Filled shapes, except the ring: 'not yet assessed' is the absence of a light.
SHAPE_GLYPHS = {"dot": "●", "triangle": "▲", "square": "■", "circle": "○"}

FALLBACK_FONTS = ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif")
PAD = 10
FONT = 12
SMALL = 11
LINE = 16  # height of one row of text
ELLIPSIS = "…"
CENTRED = "0.35em"  # dy that centres a line of text on its y
MIN_PLOT = 60  # a narrow chart with long labels still draws forwards, if cramped
# A phone's column is about 300 px wide (375 px less the page's and the card's padding): a
# chart drawn this wide shows its text at the size it is drawn, where the desk's 640 shrank
# it to 5 px. Web pages show one or the other (static/css/app.css, .chart-narrow).
NARROW_WIDTH = 300

ValueFormat = Callable[[Decimal], str]


def grey_level(colour: str) -> float:
    """The grey (0 black to 255 white) a '#rrggbb' colour prints as in black and white."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b


def decimal_text(value: Decimal) -> str:
    """Decimal('12.50') -> '12.5', Decimal('1E+2') -> '100'."""
    text = f"{value.normalize():f}"
    return "0" if text == "-0" else text


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class BarSeries:
    name: str
    values: Sequence[Decimal]
    colour: str = COMPLETED


@dataclass(frozen=True)
class ReferenceLine:
    label: str
    value: Decimal
    colour: str = INK
    dashed: bool = True


@dataclass(frozen=True)
class LineSeries:
    name: str
    values: Sequence[Decimal | None]
    colour: str = COMPLETED
    dashed: bool = False


@dataclass(frozen=True)
class TimelineRow:
    label: str
    baseline: date
    forecast: date | None = None
    actual: date | None = None
    colour: str = COMPLETED


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    colour: str
    shape: str = "rect"  # the legend's mark: rect, or a marker kind (SHAPE_GLYPHS)
    outline: str = ""  # drawn round a fill too pale to stand out from the paper


# ---------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str = ""
    stroke: str = ""


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start | middle | end
    size: int = FONT
    colour: str = INK
    weight: str = "normal"
    dy: str = ""
    tooltip: str = ""  # the full text when `text` is truncated
    box: Rect | None = None  # a white ground, so lines drawn behind stay out of the text


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = GRID
    width: float = 1
    dashed: bool = False


@dataclass(frozen=True)
class Marker:
    kind: str  # diamond | circle (both hollow) | dot | triangle | square (filled)
    x: float
    y: float
    r: float
    colour: str
    fill: str
    points: tuple[Point, ...] = ()  # the corners of a diamond, triangle or square
    tooltip: str = ""


@dataclass(frozen=True)
class Polyline:
    points: tuple[Point, ...]
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class LegendItem:
    text: Text
    rect: Rect | None = None
    line: Line | None = None
    marker: Marker | None = None


# ---------------------------------------------------------------- charts


@dataclass(frozen=True, kw_only=True)
class Chart:
    chart_id: str
    title: str
    description: str
    width: float
    height: float
    font_family: str
    no_data: Text | None = None  # set instead of everything else when there is nothing to draw
    legend: tuple[LegendItem, ...] = ()
    plot: Rect | None = None  # the drawing area, for callers and tests
    # The same chart drawn NARROW_WIDTH wide, for a phone (see `with_narrow`).
    narrow: "Chart | None" = None

    # The template that draws it (charts/<kind>.svg.html), to draw `narrow` with.
    template: ClassVar[str] = ""


@dataclass(frozen=True, kw_only=True)
class BarChart(Chart):
    template: ClassVar[str] = "charts/bar.svg.html"
    labels: tuple[Text, ...] = ()
    bars: tuple[Rect, ...] = ()  # category-major: category 0 series 0, category 0 series 1, …
    value_labels: tuple[Text, ...] = ()
    gridlines: tuple[Line, ...] = ()
    tick_labels: tuple[Text, ...] = ()
    axis: Line | None = None
    references: tuple[Line, ...] = ()
    reference_labels: tuple[Text, ...] = ()
    unit_label: Text | None = None


@dataclass(frozen=True, kw_only=True)
class ProgressChart(Chart):
    template: ClassVar[str] = "charts/progress.svg.html"
    track: Rect | None = None
    bar: Rect | None = None
    value_label: Text | None = None
    markers: tuple[Line, ...] = ()
    marker_labels: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LineChart(Chart):
    template: ClassVar[str] = "charts/line.svg.html"
    gridlines: tuple[Line, ...] = ()
    tick_labels: tuple[Text, ...] = ()
    x_labels: tuple[Text, ...] = ()
    axis: Line | None = None
    lines: tuple[Polyline, ...] = ()
    points: tuple[Marker, ...] = ()
    end_labels: tuple[Text, ...] = ()
    unit_label: Text | None = None


@dataclass(frozen=True, kw_only=True)
class TimelineChart(Chart):
    template: ClassVar[str] = "charts/timeline.svg.html"
    start: date | None = None
    end: date | None = None
    stripes: tuple[Rect, ...] = ()
    labels: tuple[Text, ...] = ()
    ticks: tuple[Line, ...] = ()
    tick_labels: tuple[Text, ...] = ()
    connectors: tuple[Line, ...] = ()
    markers: tuple[Marker, ...] = ()
    today: Line | None = None
    today_label: Text | None = None


@dataclass(frozen=True, kw_only=True)
class StackedBar(Chart):
    template: ClassVar[str] = "charts/stacked_bar.svg.html"
    segments: tuple[Rect, ...] = ()
    segment_labels: tuple[Text, ...] = ()


# ---------------------------------------------------------------- helpers


def with_narrow(**narrow_options):
    """Make a chart function also draw its chart NARROW_WIDTH wide, as `chart.narrow`, with
    `narrow_options` (e.g. shorter labels) in place of the caller's. The wide chart is
    the one drawn before: PDFs, which never draw `narrow`, look as they did."""

    def decorate(draw):
        @functools.wraps(draw)
        def both(*args, **kwargs):
            chart = draw(*args, **kwargs)
            if chart.width > NARROW_WIDTH:
                narrow = draw(*args, **{**kwargs, **narrow_options, "width": NARROW_WIDTH})
                chart = replace(chart, narrow=narrow)
            return chart

        return both

    return decorate


def text_width(text: str, size: float = FONT) -> float:
    """Estimated advance width: CJK (and ambiguous) glyphs one em, the rest 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WFA" else size * 0.6 for c in text)


def truncate(label: str, max_chars: int) -> str:
    return label if len(label) <= max_chars else label[: max(max_chars - 1, 1)] + ELLIPSIS


def nice_scale(maximum: Decimal, max_steps: int = 5) -> tuple[Decimal, Decimal]:
    """(top, step): a round top >= maximum, cut into at most `max_steps` round steps."""
    if maximum <= 0:
        return Decimal(1), Decimal("0.2")
    exponent = maximum.adjusted() - 1
    for exp in range(exponent, exponent + 3):
        for mantissa in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
            step = mantissa.scaleb(exp)
            steps = math.ceil(maximum / step)
            if steps <= max_steps:
                # Plain notation, so a caller's own value_format never sees '2.0E+2'.
                return Decimal(f"{(step * steps).normalize():f}"), Decimal(f"{step.normalize():f}")
    raise AssertionError("unreachable: 10 ** (exponent + 2) always fits")  # pragma: no cover


def text_on(background: str) -> str:
    """White or ink, whichever contrasts more with the background colour."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    bg = luminance(background)
    on_white = 1.05 / (bg + 0.05)
    on_ink = (bg + 0.05) / (luminance(INK) + 0.05)
    return WHITE if on_white >= on_ink else INK


def _clamp(value: Decimal | int | None) -> Decimal:
    # Negative amounts do not occur; if one slips in it must not draw leftwards.
    return max(Decimal(value or 0), Decimal(0))


def _r(value: float) -> float:
    return round(value, 2)


def _frame(kind: str, title: str, description: str, width: int, *data: object) -> dict:
    # Ids from the content: stable output, and two charts on one page only share an id
    # when they are the same chart.
    seed = repr((kind, title, description, width, data)).encode()
    digest = hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:10]
    return {
        "chart_id": f"chart-{kind}-{digest}",
        "title": title,
        "description": description,
        "width": width,
        "font_family": ", ".join((settings.PDF_FONT_FAMILY, *FALLBACK_FONTS)),
    }


def _no_data(width: int) -> dict:
    text = Text(width / 2, 24, _("No data"), "middle", FONT, MUTED, dy=CENTRED)
    return {"height": 48, "no_data": text}


def _label(x: float, y: float, label: str, max_chars: int, **kwargs) -> Text:
    shown = truncate(label, max_chars)
    return Text(_r(x), _r(y), shown, tooltip=label if shown != label else "", **kwargs)


def _halo(text: Text, max_height: float = LINE) -> Text:
    """The text with a white box behind it, sized from the estimated width."""
    width = text_width(text.text, text.size) + 4
    left = {"start": text.x - 2, "middle": text.x - width / 2, "end": text.x - width + 2}
    height = min(text.size + 3, max_height)
    top = text.y - height / 2 if text.dy == CENTRED else text.y - text.size * 0.9
    box = Rect(_r(left[text.anchor]), _r(top), _r(width), _r(height), WHITE)
    return replace(text, box=box)


def _tooltip(*parts: str) -> str:
    head = " · ".join(p for p in parts[:-1] if p)
    return f"{head}: {parts[-1]}" if head else parts[-1]


def _marker(kind: str, x: float, y: float, colour: str, tooltip: str = "", r: float = 5) -> Marker:
    points: tuple[Point, ...] = ()
    if kind == "diamond":
        d = r + 1.5  # a diamond looks smaller than a circle of the same radius
        points = (Point(_r(x), _r(y - d)), Point(_r(x + d), _r(y)))
        points += (Point(_r(x), _r(y + d)), Point(_r(x - d), _r(y)))
    elif kind == "triangle":
        d = r + 1  # pointing up, its centre of area on (x, y)
        points = (Point(_r(x), _r(y - d)), Point(_r(x + d), _r(y + d * 0.8)))
        points += (Point(_r(x - d), _r(y + d * 0.8)),)
    elif kind == "square":
        d = r * 0.85  # a square looks bigger than a circle of the same radius
        points = (Point(_r(x - d), _r(y - d)), Point(_r(x + d), _r(y - d)))
        points += (Point(_r(x + d), _r(y + d)), Point(_r(x - d), _r(y + d)))
    fill = colour if kind in ("dot", "triangle", "square") else WHITE
    return Marker(kind, _r(x), _r(y), r, colour, fill, points, tooltip)


def _legend(
    entries: Sequence[tuple[str, str, str]], *, x0: float, y0: float, x_max: float
) -> tuple[tuple[LegendItem, ...], float]:
    """(label, colour, mark) entries flowed into rows from (x0, y0); returns items, bottom y."""
    items: list[LegendItem] = []
    x, row = x0, 0
    for label, colour, mark in entries:
        shown = truncate(label, 24)
        item_width = 20 + text_width(shown, SMALL) + 14
        if x > x0 and x + item_width > x_max:
            x, row = x0, row + 1
        cy = y0 + row * LINE + LINE / 2
        text = _label(x + 20, cy, label, 24, size=SMALL, dy=CENTRED)
        if mark == "rect":
            items.append(LegendItem(text, rect=Rect(_r(x), _r(cy - 5), 14, 10, colour)))
        elif mark in ("line", "dashed"):
            swatch = Line(_r(x), _r(cy), _r(x + 14), _r(cy), colour, 2, mark == "dashed")
            items.append(LegendItem(text, line=swatch))
        else:
            items.append(LegendItem(text, marker=_marker(mark, x + 7, cy, colour, r=4)))
        x += item_width
    return tuple(items), (y0 + (row + 1) * LINE if entries else y0)


def _stagger(
    labels: Sequence[tuple[float, str]], *, left: float, right: float, size: int
) -> list[tuple[float, str, int]]:
    """(x, anchor, level) per (x, text) label: centred on x but kept inside [left, right],
    on the lowest level where it overlaps no label already placed."""
    levels: list[list[tuple[float, float]]] = []
    placed: list[tuple[float, str, int]] = [(0, "start", 0)] * len(labels)
    for i in sorted(range(len(labels)), key=lambda i: labels[i][0]):
        x, text = labels[i]
        w = text_width(text, size)
        if x - w / 2 < left:
            lo, tx, anchor = left, left, "start"
        elif x + w / 2 > right:
            lo, tx, anchor = right - w, right, "end"
        else:
            lo, tx, anchor = x - w / 2, x, "middle"
        hi = lo + w
        level = next(
            (
                k
                for k, taken in enumerate(levels)
                if all(hi + 6 <= a or lo >= b + 6 for a, b in taken)
            ),
            len(levels),
        )
        if level == len(levels):
            levels.append([])
        levels[level].append((lo, hi))
        placed[i] = (_r(tx), anchor, level)
    return placed


# ---------------------------------------------------------------- bar chart
