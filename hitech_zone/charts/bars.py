"""Horizontal bars: grouped bars, a progress bar with markers, a 100% stacked bar."""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from hitech_zone.charts.base import (
    AXIS,
    CENTRED,
    COMPLETED,
    FONT,
    INK,
    LINE,
    MIN_PLOT,
    MUTED,
    PAD,
    SHAPE_GLYPHS,
    SMALL,
    TRACK,
    WHITE,
    BarChart,
    BarSeries,
    Line,
    ProgressChart,
    Rect,
    ReferenceLine,
    Segment,
    StackedBar,
    Text,
    ValueFormat,
    _clamp,
    _frame,
    _halo,
    _label,
    _legend,
    _no_data,
    _r,
    _stagger,
    _tooltip,
    decimal_text,
    nice_scale,
    text_on,
    text_width,
    truncate,
    with_narrow,
)


@with_narrow(label_max_chars=8)
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
            tooltip = _tooltip(category, s.name, f"{texts[si][ci]} {unit}".rstrip())
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


@with_narrow()
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


@with_narrow()
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
        rects.append(
            Rect(x, PAD, _r(x_next - x), bar_height, segment.colour, tooltip, segment.outline)
        )
        # Labelled in the bar as room allows: '●红灯 8', '● 8', '8' (the legend has all).
        glyph = SHAPE_GLYPHS.get(segment.shape, "")
        fitting = [
            text
            for text in (f"{glyph}{segment.label} {count}", f"{glyph} {count}".strip(), str(count))
            if x_next - x >= text_width(text, FONT) + 8
        ]
        if fitting:
            centre, colour = PAD + bar_height / 2, text_on(segment.colour)
            label = Text(_r((x + x_next) / 2), centre, fitting[0], "middle", colour=colour)
            labels.append(replace(label, weight="bold", dy=CENTRED))

    legend, bottom = _legend(
        [
            # A ring is all outline: drawn in the outline colour, if any.
            (
                f"{s.label} {c}",
                (s.outline or s.colour) if s.shape == "circle" else s.colour,
                s.shape,
            )
            for s, c in zip(segments, counts, strict=True)
        ],
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
