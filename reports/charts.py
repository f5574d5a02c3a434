"""The dashboard's pictures, drawn by the shared SVG module, so the web page and the PDF
briefings show the same charts from the same numbers."""

from decimal import Decimal

from django.utils.translation import gettext as _

from hitech_zone import charts
from hitech_zone.money import format_yi, wan_to_yi
from projects.lights import Light
from reports.selectors import Dashboard

LIGHT_COLOURS = {Light.RED: charts.RED, Light.YELLOW: charts.YELLOW, Light.GREEN: charts.GREEN}


def _yi(amount_wan: Decimal) -> Decimal:
    return wan_to_yi(amount_wan).quantize(Decimal("0.1"))


def dashboard_charts(dashboard: Dashboard) -> dict[str, object]:
    summary = dashboard.summary
    result: dict[str, object] = {
        "plan": charts.progress_chart(
            title=_("Investment completed this year"),
            description=_(
                "Completed %(done)s against %(due)s due by now and a plan of %(plan)s (100M yuan)."
            )
            % {
                "done": format_yi(summary.completed_ytd),
                "due": format_yi(summary.due_by_now),
                "plan": format_yi(summary.annual_plan),
            },
            value=_yi(summary.completed_ytd),
            value_label=_("completed %(amount)s") % {"amount": format_yi(summary.completed_ytd)},
            maximum=_yi(summary.annual_plan),
            markers=[
                charts.ReferenceLine(
                    _("due by now %(amount)s") % {"amount": format_yi(summary.due_by_now)},
                    _yi(summary.due_by_now),
                    charts.YELLOW,
                ),
                charts.ReferenceLine(
                    _("plan %(amount)s") % {"amount": format_yi(summary.annual_plan)},
                    _yi(summary.annual_plan),
                    charts.INK,
                ),
            ],
        ),
        "lights": charts.stacked_bar(
            title=_("Projects by warning light"),
            description=", ".join(f"{label} {count}" for _value, label, count in dashboard.lights),
            segments=[
                charts.Segment(str(label), count, LIGHT_COLOURS[Light(value)])
                for value, label, count in dashboard.lights
            ],
        ),
        "parks": charts.bar_chart(
            title=_("Plan and completion by park or carrier"),
            description=_(
                "Annual plan and investment completed so far, by park or carrier, in 100M yuan."
            ),
            categories=[row.label for row in dashboard.parks],
            series=[
                charts.BarSeries(
                    _("Plan"), [_yi(row.annual_plan) for row in dashboard.parks], charts.NEUTRAL
                ),
                charts.BarSeries(
                    _("Completed"),
                    [_yi(row.completed_ytd) for row in dashboard.parks],
                    charts.COMPLETED,
                ),
            ],
            unit=_("100M yuan"),
        ),
    }
    if summary.target:
        target = summary.target
        result["industrial"] = charts.progress_chart(
            title=_("Industrial investment"),
            description=_(
                "Industrial investment completed %(done)s against the lines to ensure %(ensure)s and strive for %(strive)s (100M yuan)."
            )
            % {
                "done": format_yi(summary.industrial_completed_ytd),
                "ensure": format_yi(target.industrial_ensure),
                "strive": format_yi(target.industrial_strive),
            },
            value=_yi(summary.industrial_completed_ytd),
            value_label=_("completed %(amount)s")
            % {"amount": format_yi(summary.industrial_completed_ytd)},
            maximum=_yi(target.industrial_strive),
            markers=[
                charts.ReferenceLine(
                    _("ensure %(amount)s") % {"amount": format_yi(target.industrial_ensure)},
                    _yi(target.industrial_ensure),
                    charts.YELLOW,
                ),
                charts.ReferenceLine(
                    _("strive %(amount)s") % {"amount": format_yi(target.industrial_strive)},
                    _yi(target.industrial_strive),
                    charts.GREEN,
                ),
            ],
        )
    return result
