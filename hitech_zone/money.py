"""Money is stored as Decimal 万元 (10,000 yuan) and shown as 亿元 in summaries."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

WAN_PER_YI = Decimal(10_000)
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2


def round_half_up(value: Decimal, places: int) -> Decimal:
    """The one rounding rule of every surface, charts included: 12.65 -> 12.7 at one place."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def rounding_shows(parts, total: Decimal, places: int = 1, *, to_yi: bool = True) -> bool:
    """Whether `parts` (万元), each rounded as printed, fail to add up to `total` rounded:
    then the table says so in a footnote."""
    scale = (lambda v: wan_to_yi(v)) if to_yi else (lambda v: v)
    printed = sum((round_half_up(scale(part), places) for part in parts), Decimal(0))
    return printed != round_half_up(scale(total), places)


def wan_to_yi(amount_wan: Decimal | None) -> Decimal:
    return (amount_wan or Decimal(0)) / WAN_PER_YI


def _fixed(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    # Grouped by thousands in both languages, as official Chinese statistics print them.
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def _trimmed(value: Decimal, places: int) -> str:
    text = _fixed(value, places)
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_yi(amount_wan: Decimal | None, places: int = 1) -> str:
    """Summaries speak 亿元 with one decimal: 1,525,000 万元 -> '152.5', 500,000 -> '50.0'."""
    return _fixed(wan_to_yi(amount_wan), places)


def format_billion(amount_wan: Decimal | None, places: int = 3) -> str:
    """1,525,000 万元 -> '15.25' (billion yuan), for English readers."""
    return _trimmed((amount_wan or Decimal(0)) / WAN_PER_YI / 10, places)


def format_wan(amount_wan: Decimal | None, places: int = 2) -> str:
    return _trimmed(amount_wan or Decimal(0), places)


def format_wan_column(amount_wan: Decimal | None, places: int = 2) -> str:
    """万元 in a table's column: the same decimals on every row (5,000.00 above
    19,685.90), so the figures line up and read alike. None stays a dash."""
    return "—" if amount_wan is None else _fixed(amount_wan, places)


def quantize_money(amount_wan: Decimal | None) -> Decimal:
    """Two decimals, whatever the database returned (SQLite drops trailing zeros)."""
    return round_half_up(amount_wan or Decimal(0), 2)


def percent(part: Decimal | None, whole: Decimal | None, places: int = 1) -> Decimal | None:
    if not whole:
        return None
    return ((part or Decimal(0)) * 100 / whole).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    """A DecimalField for an amount in 万元."""
    return models.DecimalField(
        verbose_name,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        **kwargs,
    )
