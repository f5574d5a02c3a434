"""The dashboard's pictures, drawn by the shared SVG module, so the web page and the PDF
briefings show the same charts from the same numbers. Each chart takes plain numbers
(Decimal 万元, counts): the dashboard passes its live figures, a briefing its snapshot's."""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.translation import gettext as _

from hitech_zone import charts
from hitech_zone.money import format_yi, round_half_up, wan_to_yi
from projects.lights import Light
from reports.selectors import Dashboard

LIGHT_COLOURS = {
    Light.RED: charts.LIGHT_RED,
    Light.YELLOW: charts.LIGHT_YELLOW,
    Light.GREEN: charts.LIGHT_GREEN,
    Light.UNASSESSED: charts.LIGHT_NONE,
}
# The same shapes as the lights in the tables (● ▲ ■ ○), for a black-and-white print.
LIGHT_SHAPES = {
    Light.RED: "dot",
    Light.YELLOW: "triangle",
    Light.GREEN: "square",
    Light.UNASSESSED: "circle",
}


def _yi(amount_wan: Decimal) -> Decimal:
    return round_half_up(wan_to_yi(amount_wan), 1)


def plan_chart(
    *, completed: Decimal, due: Decimal, plan: Decimal, due_label: str | None = None
) -> charts.ProgressChart:
    """Investment completed this year against the part of the plan due (序时进度) and the
    plan. `due_label` replaces "due by now …" (a briefing says by when)."""
    return charts.progress_chart(
        title=_("Investment completed this year"),
        description=_(
            "Completed %(done)s against %(due)s due by now and a plan of %(plan)s (100M yuan)."
        )
        % {"done": format_yi(completed), "due": format_yi(due), "plan": format_yi(plan)},
        value=_yi(completed),
        value_label=_("completed %(amount)s") % {"amount": format_yi(completed)},
        maximum=_yi(plan),
        markers=[
            charts.ReferenceLine(
                due_label or _("due by now %(amount)s") % {"amount": format_yi(due)},
                _yi(due),
                charts.YELLOW,
            ),
            charts.ReferenceLine(
                _("plan %(amount)s") % {"amount": format_yi(plan)}, _yi(plan), charts.INK
            ),
        ],
    )


def industrial_chart(
    *, completed: Decimal, ensure: Decimal, strive: Decimal
) -> charts.ProgressChart:
    """Industrial investment against the lines to ensure (确保) and strive for (力争)."""
    return charts.progress_chart(
        title=_("Industrial investment"),
        description=_(
            "Industrial investment completed %(done)s against the lines to ensure %(ensure)s and strive for %(strive)s (100M yuan)."
        )
        % {
            "done": format_yi(completed),
            "ensure": format_yi(ensure),
            "strive": format_yi(strive),
        },
        value=_yi(completed),
        value_label=_("completed %(amount)s") % {"amount": format_yi(completed)},
        maximum=_yi(strive),
        markers=[
            charts.ReferenceLine(
                _("ensure %(amount)s") % {"amount": format_yi(ensure)}, _yi(ensure), charts.YELLOW
            ),
            charts.ReferenceLine(
                _("strive %(amount)s") % {"amount": format_yi(strive)}, _yi(strive), charts.GREEN
            ),
        ],
    )


def lights_chart(lights: Sequence[tuple[str, str, int]]) -> charts.StackedBar:
    """Projects by warning light, from (light, label, count), red first."""
    return charts.stacked_bar(
        title=_("Projects by warning light"),
        description=", ".join(f"{label} {count}" for _value, label, count in lights),
        segments=[
            charts.Segment(
                str(label),
                count,
                LIGHT_COLOURS[Light(value)],
                LIGHT_SHAPES[Light(value)],
                # The pale 'not assessed' fill needs an edge on white paper.
                charts.AXIS if value == Light.UNASSESSED else "",
            )
            for value, label, count in lights
        ],
    )


def parks_chart(rows: Sequence[tuple[str, Decimal, Decimal]]) -> charts.BarChart:
    """Annual plan and completion by park, from (park, plan, completed) in 万元."""
    return charts.bar_chart(
        title=_("Plan and completion by park or carrier"),
        description=_(
            "Annual plan and investment completed so far, by park or carrier, in 100M yuan."
        ),
        categories=[label for label, _plan, _completed in rows],
        series=[
            charts.BarSeries(
                _("Plan"), [_yi(plan) for _label, plan, _completed in rows], charts.NEUTRAL
            ),
            charts.BarSeries(
                _("Completed"),
                [_yi(completed) for _label, _plan, completed in rows],
                charts.COMPLETED,
            ),
        ],
        unit=_("100M yuan"),
    )


def dashboard_charts(dashboard: Dashboard) -> dict[str, object]:
    summary = dashboard.summary
    result: dict[str, object] = {
        "plan": plan_chart(
            completed=summary.completed_ytd, due=summary.due_by_now, plan=summary.annual_plan
        ),
        "lights": lights_chart(dashboard.lights),
        "parks": parks_chart(
            [(row.label, row.annual_plan, row.completed_ytd) for row in dashboard.parks]
        ),
    }
    # The targets are the whole zone's: measured against its published figure, never
    # against the key projects' own part.
    if summary.target and summary.zone_industrial is not None:
        result["industrial"] = industrial_chart(
            completed=summary.zone_industrial_ytd,
            ensure=summary.target.industrial_ensure,
            strive=summary.target.industrial_strive,
        )
    return result
