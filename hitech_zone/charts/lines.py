"""Charts along an axis of time: monthly lines and milestone timelines."""

import math
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.utils import dateformat
from django.utils.translation import gettext as _

from hitech_zone.charts.base import (
    AXIS,
    CENTRED,
    GRID,
    INK,
    LINE,
    MIN_PLOT,
    MUTED,
    PAD,
    SMALL,
    STRIPE,
    WHITE,
    Line,
    LineChart,
    LineSeries,
    Point,
    Polyline,
    Rect,
    Text,
    TimelineChart,
    TimelineRow,
    ValueFormat,
    _clamp,
    _frame,
    _label,
    _legend,
    _marker,
    _no_data,
    _r,
    _stagger,
    _tooltip,
    decimal_text,
    nice_scale,
    text_width,
    truncate,
    with_narrow,
)


@with_narrow()
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
            tooltip = _tooltip(s.name, x_labels[i], f"{value_format(v)} {unit}".rstrip())
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


@with_narrow()
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
