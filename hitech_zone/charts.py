"""Server-side SVG charts shared by the web pages and the PDF briefings.

Python computes the geometry here; templates/charts/*.svg.html draw it, so a chart on
screen and in a PDF come from the same numbers. No domain models: plain labels, Decimals
and dates in, frozen dataclasses of numbers and strings out. Usage in a template:
``{% include "charts/bar.svg.html" with chart=dashboard_chart %}``.
"""

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import dateformat
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

FALLBACK_FONTS = ("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif")
PAD = 10
FONT = 12
SMALL = 11
LINE = 16  # height of one row of text
ELLIPSIS = "…"
CENTRED = "0.35em"  # dy that centres a line of text on its y
MIN_PLOT = 60  # a narrow chart with long labels still draws forwards, if cramped

ValueFormat = Callable[[Decimal], str]


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
    kind: str  # diamond | circle | dot (dot is filled, the others hollow)
    x: float
    y: float
    r: float
    colour: str
    fill: str
    points: tuple[Point, ...] = ()  # the diamond's corners
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


@dataclass(frozen=True, kw_only=True)
class BarChart(Chart):
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
    track: Rect | None = None
    bar: Rect | None = None
    value_label: Text | None = None
    markers: tuple[Line, ...] = ()
    marker_labels: tuple[Text, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LineChart(Chart):
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
    segments: tuple[Rect, ...] = ()
    segment_labels: tuple[Text, ...] = ()


# ---------------------------------------------------------------- helpers


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
    points = ()
    if kind == "diamond":
        d = r + 1.5  # a diamond looks smaller than a circle of the same radius
        points = (Point(_r(x), _r(y - d)), Point(_r(x + d), _r(y)))
        points += (Point(_r(x), _r(y + d)), Point(_r(x - d), _r(y)))
    fill = colour if kind == "dot" else WHITE
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


def bar_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[BarSeries],
    unit: str = "",
    reference_lines: Sequence[ReferenceLine] = (),
    width: int = 640,
    row_height: int | None = None,
    value_format: ValueFormat = decimal_text,
    label_max_chars: int = 14,
) -> BarChart:
    """Horizontal grouped bars, one band per category, with optional vertical reference lines.
    Shows the no-data text when there is nothing above zero to draw."""
    frame = _frame("bar", title, description, width, categories, series, unit, reference_lines)
    values = [
        [_clamp(s.values[i] if i < len(s.values) else None) for i in range(len(categories))]
        for s in series
    ]
    highest = max(
        [v for vs in values for v in vs] + [_clamp(r.value) for r in reference_lines],
        default=Decimal(0),
    )
    if not categories or not series or highest <= 0:
        return BarChart(**frame, **_no_data(width))

    top, step = nice_scale(highest)
    ticks = [step * i for i in range(int(top / step) + 1)]
    shown = [truncate(c, label_max_chars) for c in categories]
    label_width = min(max(text_width(s) for s in shown), width * 0.4)
    texts = [[value_format(v) for v in vs] for vs in values]
    value_width = max(text_width(t, SMALL) for vs in texts for t in vs)
    x0 = PAD + label_width + 8
    # Room on the right for the longest value label, and for the unit after the last tick.
    unit_width = text_width(unit, SMALL) + 6 if unit else 0
    x1 = width - PAD - max(value_width + 6, text_width(value_format(top), SMALL) / 2 + unit_width)
    plot_width = max(x1 - x0, MIN_PLOT)
    x1 = x0 + plot_width

    def x_of(value: Decimal) -> float:
        return _r(x0 + float(_clamp(value) / top) * plot_width)

    legend, y = _legend(
        [(s.name, s.colour, "rect") for s in series if s.name], x0=x0, y0=PAD, x_max=width - PAD
    )
    placed = _stagger(
        [(x_of(r.value), r.label) for r in reference_lines], left=PAD, right=width - PAD, size=SMALL
    )
    plot_top = y + 6 + LINE * (max((p[2] for p in placed), default=-1) + 1)
    band = row_height or max(24, 16 * len(series) + 10)
    plot_bottom = plot_top + band * len(categories)

    labels, bars, value_labels = [], [], []
    inset = max(3, band * 0.12)
    bar_height = (band - 2 * inset) / len(series)
    gap = 1 if len(series) > 1 else 0
    size = max(8, min(SMALL, int(bar_height)))
    for ci, category in enumerate(categories):
        band_top = plot_top + ci * band
        labels.append(
            _label(x0 - 8, band_top + band / 2, category, label_max_chars, anchor="end", dy=CENTRED)
        )
        for si, s in enumerate(series):
            y_bar = band_top + inset + si * bar_height
            length = x_of(values[si][ci]) - x0
            tooltip = _tooltip(category, s.name, f"{texts[si][ci]}{unit}")
            bars.append(
                Rect(_r(x0), _r(y_bar), _r(length), _r(bar_height - gap), s.colour, tooltip)
            )
            centre = y_bar + (bar_height - gap) / 2
            label = Text(_r(x0 + length + 4), _r(centre), texts[si][ci], size=size, dy=CENTRED)
            value_labels.append(_halo(label, max_height=bar_height - gap))

    gridlines = tuple(Line(x_of(t), plot_top, x_of(t), plot_bottom) for t in ticks[1:])
    tick_y = plot_bottom + 15
    tick_labels = tuple(
        Text(x_of(t), tick_y, value_format(t), "middle", SMALL, MUTED) for t in ticks
    )
    unit_label = None
    if unit:
        after_ticks = x1 + text_width(value_format(top), SMALL) / 2 + 6
        unit_label = Text(_r(after_ticks), tick_y, unit, "start", SMALL, MUTED)

    references, reference_labels = [], []
    for ref, (tx, anchor, level) in zip(reference_lines, placed, strict=True):
        baseline = plot_top - 6 - level * LINE
        x = x_of(ref.value)
        references.append(Line(x, baseline + 3, x, plot_bottom, ref.colour, 2, ref.dashed))
        reference_labels.append(_halo(Text(tx, baseline, ref.label, anchor, SMALL)))

    return BarChart(
        **frame,
        height=_r(tick_y + 4 + PAD),
        legend=legend,
        plot=Rect(_r(x0), _r(plot_top), _r(plot_width), _r(plot_bottom - plot_top), WHITE),
        labels=tuple(labels),
        bars=tuple(bars),
        value_labels=tuple(value_labels),
        gridlines=gridlines,
        tick_labels=tick_labels,
        axis=Line(_r(x0), _r(plot_top), _r(x0), _r(plot_bottom), AXIS),
        references=tuple(references),
        reference_labels=tuple(reference_labels),
        unit_label=unit_label,
    )


# ---------------------------------------------------------------- progress chart


def progress_chart(
    *,
    title: str,
    description: str,
    value: Decimal,
    value_label: str,
    maximum: Decimal | None = None,
    markers: Sequence[ReferenceLine] = (),
    colour: str = COMPLETED,
    width: int = 640,
) -> ProgressChart:
    """One bar from 0 to `value` on a track to `maximum`, with labelled vertical markers."""
    frame = _frame("progress", title, description, width, value, value_label, maximum, markers)
    highest = max([_clamp(value), _clamp(maximum)] + [_clamp(m.value) for m in markers])
    if highest <= 0:
        return ProgressChart(**frame, **_no_data(width))

    # Without a maximum, round up so the largest item does not sit on the edge.
    top = highest if maximum else nice_scale(highest)[0]
    x0, plot_width = PAD, width - 2 * PAD

    def x_of(amount: Decimal | None) -> float:
        return _r(x0 + float(_clamp(amount) / top) * plot_width)

    placed = _stagger(
        [(x_of(m.value), m.label) for m in markers], left=PAD, right=width - PAD, size=SMALL
    )
    # Levels alternate above and below the bar: 0 above, 1 below, 2 above (second row), …
    rows_above = max((p[2] // 2 + 1 for p in placed if p[2] % 2 == 0), default=0)
    rows_below = max((p[2] // 2 + 1 for p in placed if p[2] % 2 == 1), default=0)
    bar_top = PAD + rows_above * LINE + (4 if rows_above else 0)
    bar_height = 22
    bar_bottom = bar_top + bar_height
    track_end = x_of(maximum) if maximum else x0 + plot_width
    bar_end = x_of(value)

    label_width = text_width(value_label, FONT)
    centre = bar_top + bar_height / 2
    if bar_end - x0 >= label_width + 12:
        shown = Text(
            bar_end - 6, centre, value_label, "end", FONT, text_on(colour), "bold", CENTRED
        )
    elif bar_end + 6 + label_width <= width - PAD:
        shown = Text(bar_end + 6, centre, value_label, "start", FONT, INK, "bold", CENTRED)
    else:
        shown = Text(width - PAD, centre, value_label, "end", FONT, INK, "bold", CENTRED)

    lines, labels = [], []
    for marker, (tx, anchor, level) in zip(markers, placed, strict=True):
        x = x_of(marker.value)
        row = level // 2
        if level % 2 == 0:
            baseline = bar_top - 6 - row * LINE
            lines.append(Line(x, baseline + 3, x, bar_bottom + 3, marker.colour, 2, marker.dashed))
        else:
            baseline = bar_bottom + 15 + row * LINE
            lines.append(Line(x, bar_top - 3, x, baseline - SMALL, marker.colour, 2, marker.dashed))
        labels.append(_halo(Text(tx, baseline, marker.label, anchor, SMALL)))

    return ProgressChart(
        **frame,
        height=bar_bottom + rows_below * LINE + (4 if rows_below else 0) + PAD,
        plot=Rect(x0, bar_top, plot_width, bar_height, WHITE),
        track=Rect(x0, bar_top, _r(track_end - x0), bar_height, TRACK),
        bar=Rect(x0, bar_top, _r(bar_end - x0), bar_height, colour, value_label),
        value_label=shown,
        markers=tuple(lines),
        marker_labels=tuple(labels),
    )


# ---------------------------------------------------------------- line chart


def line_chart(
    *,
    title: str,
    description: str,
    x_labels: Sequence[str],
    series: Sequence[LineSeries],
    unit: str = "",
    width: int = 640,
    plot_height: int = 220,
    value_format: ValueFormat = decimal_text,
) -> LineChart:
    """Lines over evenly spaced x labels; None values leave a gap in the line."""
    frame = _frame("line", title, description, width, x_labels, series, unit)
    n = len(x_labels)
    values = [
        [
            None if i >= len(s.values) or s.values[i] is None else _clamp(s.values[i])
            for i in range(n)
        ]
        for s in series
    ]
    highest = max((v for vs in values for v in vs if v is not None), default=Decimal(0))
    if not n or highest <= 0:
        return LineChart(**frame, **_no_data(width))

    top, step = nice_scale(highest)
    ticks = [step * i for i in range(int(top / step) + 1)]
    tick_texts = [value_format(t) for t in ticks]
    x0 = PAD + max(text_width(t, SMALL) for t in tick_texts) + 6
    last_known = [
        max((i for i, v in enumerate(vs) if v is not None), default=None) for vs in values
    ]
    end_texts = [
        value_format(vs[i]) if i is not None else ""
        for vs, i in zip(values, last_known, strict=True)
    ]
    reserve = max(
        [
            text_width(t, SMALL) + 10
            for t, i in zip(end_texts, last_known, strict=True)
            if i == n - 1
        ],
        default=0,
    )
    x1 = width - PAD - max(reserve, text_width(x_labels[-1], SMALL) / 2)
    x1 = x0 + max(x1 - x0, MIN_PLOT)
    band = (x1 - x0) / n

    legend, y = _legend(
        [(s.name, s.colour, "dashed" if s.dashed else "line") for s in series if s.name],
        x0=x0,
        y0=PAD,
        x_max=width - PAD,
    )
    unit_label = None
    if unit:
        unit_label = Text(PAD, _r(y + 12), unit, "start", SMALL, MUTED)
        y += LINE
    plot_top = y + 10
    plot_bottom = plot_top + plot_height

    def x_of(i: int) -> float:
        return _r(x0 + (i + 0.5) * band)

    def y_of(amount: Decimal) -> float:
        return _r(plot_bottom - float(amount / top) * plot_height)

    gridlines = tuple(Line(_r(x0), y_of(t), _r(x1), y_of(t)) for t in ticks[1:])
    tick_labels = tuple(
        Text(_r(x0 - 6), y_of(t), text, "end", SMALL, MUTED, dy=CENTRED)
        for t, text in zip(ticks, tick_texts, strict=True)
    )
    shown = [truncate(label, 10) for label in x_labels]
    every = max(1, math.ceil((max(text_width(s, SMALL) for s in shown) + 8) / band))
    x_label_texts = tuple(
        _label(x_of(i), plot_bottom + 16, label, 10, anchor="middle", size=SMALL, colour=MUTED)
        for i, label in enumerate(x_labels)
        if i % every == 0
    )

    lines, points, ends = [], [], []
    for s, vs, last, end_text in zip(series, values, last_known, end_texts, strict=True):
        run: list[Point] = []
        for i, v in enumerate([*vs, None]):
            if v is None:
                if len(run) > 1:
                    lines.append(Polyline(tuple(run), s.colour, s.dashed))
                run = []
                continue
            run.append(Point(x_of(i), y_of(v)))
            tooltip = _tooltip(s.name, x_labels[i], f"{value_format(v)}{unit}")
            points.append(_marker("dot", x_of(i), y_of(v), s.colour, tooltip, r=3))
        if last is not None:
            ends.append((y_of(vs[last]), x_of(last) + 6, end_text))

    # End labels that share a column are pushed apart so they stay readable.
    end_labels: list[Text] = []
    for y_end, x_end, text in sorted(ends):
        if any((t.x, t.y, t.text) == (_r(x_end), _r(y_end), text) for t in end_labels):
            continue  # two lines ending on the same value need one label
        w = text_width(text, SMALL)
        clash = [t.y for t in end_labels if abs(t.x - x_end) < w + 4]
        y_end = max([y_end, *(c + 13 for c in clash)])
        end_labels.append(Text(_r(x_end), _r(y_end), text, "start", SMALL, INK, dy=CENTRED))

    return LineChart(
        **frame,
        height=_r(plot_bottom + 20 + PAD),
        legend=legend,
        plot=Rect(_r(x0), _r(plot_top), _r(x1 - x0), plot_height, WHITE),
        gridlines=gridlines,
        tick_labels=tick_labels,
        x_labels=x_label_texts,
        axis=Line(_r(x0), _r(plot_bottom), _r(x1), _r(plot_bottom), AXIS),
        lines=tuple(lines),
        points=tuple(points),
        end_labels=tuple(end_labels),
        unit_label=unit_label,
    )


# ---------------------------------------------------------------- timeline


def _month_ticks(start: date, end: date, plot_width: float) -> tuple[list[date], int]:
    """Month starts inside [start, end], every 1, 2, 3, 6 or 12 months (or more years),
    the first step that leaves room for the labels; and that step."""
    days = (end - start).days
    label_room = text_width("十二月", SMALL) + 12
    steps = (1, 2, 3, 6, 12, 24, 60, 120)
    step = next((s for s in steps if plot_width * 30.44 * s / days >= label_room), steps[-1])
    ticks, month = [], date(start.year, start.month, 1)
    while month <= end:
        index = month.year * 12 + month.month - 1
        if month >= start and index % step == 0:
            ticks.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks, step


def timeline_chart(
    *,
    title: str,
    description: str,
    rows: Sequence[TimelineRow],
    today: date,
    width: int = 640,
    row_height: int = 26,
    label_max_chars: int = 14,
) -> TimelineChart:
    """Milestones on a date axis: planned (hollow diamond), forecast (hollow circle, dashed
    from the plan), actual (filled circle) and a line for today."""
    frame = _frame("timeline", title, description, width, rows, today)
    if not rows:
        return TimelineChart(**frame, **_no_data(width))

    dates = [today] + [d for r in rows for d in (r.baseline, r.forecast, r.actual) if d]
    low, high = min(dates), max(dates)
    margin = max(7, (high - low).days // 20)
    start, end = low - timedelta(days=margin), high + timedelta(days=margin)
    if (end - start).days < 60:  # a short range still gets a couple of month ticks
        widen = (60 - (end - start).days + 1) // 2
        start, end = start - timedelta(days=widen), end + timedelta(days=widen)

    shown = [truncate(r.label, label_max_chars) for r in rows]
    label_width = min(max(text_width(s) for s in shown), width * 0.4)
    x0 = PAD + label_width + 10
    plot_width = max(width - PAD - 12 - x0, MIN_PLOT)
    span = (end - start).days

    def x_of(day: date) -> float:
        return _r(x0 + (day - start).days / span * plot_width)

    legend, y = _legend(
        [
            (_("Baseline"), INK, "diamond"),
            (_("Forecast"), INK, "circle"),
            (_("Actual"), INK, "dot"),
            (_("Today"), INK, "line"),
        ],
        x0=x0,
        y0=PAD,
        x_max=width - PAD,
    )
    today_baseline = y + 14
    plot_top = today_baseline + 6
    plot_bottom = plot_top + row_height * len(rows)

    stripes, labels, connectors, markers = [], [], [], []
    for i, row in enumerate(rows):
        cy = plot_top + i * row_height + row_height / 2
        if i % 2 == 0:
            stripes.append(
                Rect(PAD, plot_top + i * row_height, width - 2 * PAD, row_height, STRIPE)
            )
        labels.append(_label(x0 - 10, cy, row.label, label_max_chars, anchor="end", dy=CENTRED))
        xb = x_of(row.baseline)
        tip = f"{row.label} · {_('Baseline')}: {row.baseline.isoformat()}"
        later = []
        if row.forecast and row.forecast != row.baseline:
            connectors.append(Line(xb, _r(cy), x_of(row.forecast), _r(cy), row.colour, 1.5, True))
            tip_f = f"{row.label} · {_('Forecast')}: {row.forecast.isoformat()}"
            later.append(_marker("circle", x_of(row.forecast), cy, row.colour, tip_f))
        if row.actual:
            if row.actual != row.baseline:
                connectors.append(Line(xb, _r(cy), x_of(row.actual), _r(cy), row.colour, 1.5))
            tip_a = f"{row.label} · {_('Actual')}: {row.actual.isoformat()}"
            # Smaller when on the diamond, so the planned marker stays visible around it.
            radius = 3.5 if row.actual == row.baseline else 5
            later.append(_marker("dot", x_of(row.actual), cy, row.colour, tip_a, r=radius))
        markers += [_marker("diamond", xb, cy, row.colour, tip), *later]

    months, step = _month_ticks(start, end, plot_width)
    ticks, tick_labels = [], []
    for n, month in enumerate(months):
        x = x_of(month)
        ticks.append(Line(x, _r(plot_top), x, _r(plot_bottom + 3), GRID))
        text = str(month.year) if step >= 12 else dateformat.format(month, "M")
        tick_labels.append(Text(x, _r(plot_bottom + 15), text, "middle", SMALL, MUTED))
        if step < 12 and (n == 0 or month.month == 1):
            tick_labels.append(
                Text(x, _r(plot_bottom + 28), str(month.year), "middle", SMALL, MUTED)
            )

    xt = x_of(today)
    [(tx, anchor, _level)] = _stagger([(xt, _("Today"))], left=PAD, right=width - PAD, size=SMALL)
    return TimelineChart(
        **frame,
        height=_r(plot_bottom + 32 + PAD),
        legend=legend,
        plot=Rect(_r(x0), _r(plot_top), _r(plot_width), _r(plot_bottom - plot_top), WHITE),
        start=start,
        end=end,
        stripes=tuple(stripes),
        labels=tuple(labels),
        ticks=tuple(ticks),
        tick_labels=tuple(tick_labels),
        connectors=tuple(connectors),
        markers=tuple(markers),
        today=Line(xt, _r(today_baseline + 3), xt, _r(plot_bottom), INK, 1.5),
        today_label=Text(tx, _r(today_baseline), _("Today"), anchor, SMALL, weight="bold"),
    )


# ---------------------------------------------------------------- stacked bar


def stacked_bar(
    *,
    title: str,
    description: str,
    segments: Sequence[Segment],
    width: int = 640,
    bar_height: int = 28,
) -> StackedBar:
    """One full-width bar split by count; empty segments stay in the legend only."""
    frame = _frame("stacked", title, description, width, segments)
    counts = [max(s.value or 0, 0) for s in segments]
    total = sum(counts)
    if not total:
        return StackedBar(**frame, **_no_data(width))

    full = width - 2 * PAD
    rects, labels, done = [], [], 0
    for segment, count in zip(segments, counts, strict=True):
        if not count:
            continue
        # Edges from the running total, so the widths add up to the full bar exactly.
        x = _r(PAD + full * done / total)
        done += count
        x_next = _r(PAD + full * done / total)
        tooltip = f"{segment.label}: {count} ({round(100 * count / total)}%)"
        rects.append(Rect(x, PAD, _r(x_next - x), bar_height, segment.colour, tooltip))
        if x_next - x >= text_width(str(count), FONT) + 8:
            centre, colour = PAD + bar_height / 2, text_on(segment.colour)
            label = Text(_r((x + x_next) / 2), centre, str(count), "middle", colour=colour)
            labels.append(replace(label, weight="bold", dy=CENTRED))

    legend, bottom = _legend(
        [(f"{s.label} {c}", s.colour, "rect") for s, c in zip(segments, counts, strict=True)],
        x0=PAD,
        y0=PAD + bar_height + 6,
        x_max=width - PAD,
    )
    return StackedBar(
        **frame,
        height=bottom + PAD,
        legend=legend,
        plot=Rect(PAD, PAD, full, bar_height, WHITE),
        segments=tuple(rects),
        segment_labels=tuple(labels),
    )
