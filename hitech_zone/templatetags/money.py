from decimal import Decimal

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hitech_zone import money

register = template.Library()


@register.filter
def yi(amount_wan: Decimal | None) -> str:
    """{{ project.total_investment|yi }} -> '10 亿元' in Chinese."""
    if (get_language() or "").startswith("zh"):
        return _("%(amount)s hundred million yuan") % {"amount": money.format_yi(amount_wan)}
    # 1 亿 is 100 million: English readers get billions rather than a unit they lack.
    return _("CNY %(amount)s billion") % {"amount": money.format_billion(amount_wan)}


@register.filter
def wan(amount_wan: Decimal | None) -> str:
    return _("%(amount)s ten thousand yuan") % {"amount": money.format_wan(amount_wan)}


@register.filter
def yi_number(amount_wan: Decimal | None, places: int = 1) -> str:
    return money.format_yi(amount_wan, places)


@register.filter
def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def wan_number(amount_wan: Decimal | None) -> str:
    return money.format_wan(amount_wan)


@register.filter
def wan_column(amount_wan: Decimal | None) -> str:
    return money.format_wan_column(amount_wan)
