"""Reading one value of an uploaded sheet the way people write it: numbers stored as text,
full-width digits and commas (１２，３４５), amounts with their unit, Excel date serials and
dates written as text (2026-03-01, 2026/3/1, 2026年3月1日) or a month alone (2026年4月,
2026-04, 2026.4), choices by either language's label. Bidi controls and zero-width
characters are taken out of every text (hitech_zone.text). A value that cannot be read, or
could be read more than one way, raises CellProblem with the reason for the user.

Amounts: a unit written in the cell wins over the column's. '3000万' in a 亿元 column is
3,000 万元 (0.3 亿元), '5000000元' in a 万元 column is 500 万元, '0.3亿' is 3,000 万元
anywhere. Amounts are kept in 万元 to two places (100 yuan), rounded half up.

Dates: a month alone means its first day for a start and its last day for a completion
(`date_value(..., month_end=True)`). Dates outside 2000-01-01..2100-12-31
(hitech_zone.dates) are refused.
"""

import calendar
import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models.fields import Field
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from hitech_zone import dates
from hitech_zone.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, WAN_PER_YI
from hitech_zone.spreadsheets import FORMULA_TRIGGERS, NEUTRALISING_PREFIX
from hitech_zone.text import clean_text
from projects.imports.columns import CHOICE_ALIASES
from projects.models import Project

EMPTY_MARKERS = {"", "-", "—", "–", "/", "无"}
MONEY_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)
CENT = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)
# A unit written after an amount, in 万元 per unit; the longer spellings first.
CELL_UNITS = (
    ("亿元", WAN_PER_YI),
    ("亿", WAN_PER_YI),
    ("万元", Decimal(1)),
    ("万", Decimal(1)),
    ("元", Decimal(1) / Decimal(10_000)),
)

UNIT_PATTERN = re.compile(
    r"(单位[:：]?)?[(（\[【/]?\s*(万元|亿元|10k yuan|100m yuan|10,000 yuan)\s*[)）\]】]?"
)
SEPARATORS = re.compile(r"[\s*:：/()（）\[\]【】、]")
MONTH_HEADER = re.compile(r"^(\d{4})(?:年|[-./])(\d{1,2})月?(?:完成投资|完成|投资)?$")
DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?)?$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Excel serials of 1 January 1950 and 31 December 2199: a number outside is not a date.
SERIAL_RANGE = (18264, 109574)


class CellProblem(ValueError):
    """A value that cannot be read; the message is the reason shown to the user."""


def normal(value: Any) -> str:
    """Full-width letters, digits and punctuation as their ASCII forms, trimmed, without
    invisible characters."""
    return unicodedata.normalize("NFKC", clean_text(str(value))).strip()


def label_key(value: Any) -> tuple[str, Decimal | None]:
    """A header reduced to what identifies it, and the money unit it states (万元 -> 1,
    亿元 -> 10,000, none -> None)."""
    text = normal(value).lower()
    factor = None
    if "亿元" in text or "100m yuan" in text:
        factor = WAN_PER_YI
    elif "万元" in text or "10k yuan" in text or "10,000 yuan" in text:
        factor = Decimal(1)
    text = UNIT_PATTERN.sub("", text)
    return SEPARATORS.sub("", text), factor


def month_header(value: Any) -> tuple[int, int] | None:
    """(year, month) of a one-column-per-month header: 2026年3月, 2026-03, a date."""
    if isinstance(value, datetime | date):
        return value.year, value.month
    if value is None:
        return None
    match = MONTH_HEADER.match("".join(UNIT_PATTERN.sub("", normal(value).lower()).split()))
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    return (year, month) if 1 <= month <= 12 else None


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    text = clean_text(str(value))
    # Undo the exports' formula neutralising, so an exported file imports unchanged.
    if text.startswith(NEUTRALISING_PREFIX) and text[1:2] and text[1] in FORMULA_TRIGGERS:
        text = text[1:]
    return text.strip()


def money_value(value: Any, factor: Decimal) -> Decimal:
    if isinstance(value, bool):
        raise CellProblem(_("Not an amount."))
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = normal(value).replace(",", "").replace(" ", "")
        # The cell's own unit wins: '3000万' in a 亿元 column is 3,000 万元, not 3,000 亿元.
        for suffix, unit in CELL_UNITS:
            if text.endswith(suffix):
                text, factor = text.removesuffix(suffix), unit
                break
        if text.startswith("(") and text.endswith(")"):  # accounting style negative
            text = f"-{text[1:-1]}"
        if not NUMBER_TEXT.match(text):
            raise CellProblem(_("“%(value)s” is not a number.") % {"value": value})
        number = Decimal(text)
    if not number.is_finite():
        raise CellProblem(_("“%(value)s” is not a number.") % {"value": value})
    if number < 0:
        raise CellProblem(_("An amount cannot be negative (%(value)s).") % {"value": value})
    amount = (number * factor).quantize(CENT, rounding=ROUND_HALF_UP)
    if amount >= MONEY_LIMIT:
        raise CellProblem(_("The amount %(value)s is too large.") % {"value": value})
    return amount


def date_value(value: Any, *, month_end: bool = False) -> date:
    """A date; a month alone (2026年4月, 2026-04, 2026.4) is its first day, or its last
    with `month_end`."""
    found = _date(value, month_end=month_end)
    if not dates.in_range(found):
        raise CellProblem(
            _("%(value)s is outside the dates accepted, %(earliest)s to %(latest)s.")
            % {
                "value": found.isoformat(),
                "earliest": dates.EARLIEST.isoformat(),
                "latest": dates.LATEST.isoformat(),
            }
        )
    return found


def _date(value: Any, *, month_end: bool) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and 1000 <= value < 10_000 and not value.is_integer():
        # 2026.4 typed into a number cell. 2026.1 is January or October (2026.10): the
        # cell cannot tell, so it is not guessed.
        text = repr(value)
        if text.endswith(".1"):
            raise CellProblem(
                _(
                    "%(value)s could be January or October: write the month as text, "
                    "e.g. 2026-01 or 2026-10."
                )
                % {"value": value}
            )
        return _month_date(text, month_end=month_end, value=value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial_date(value)
    text = normal(value)
    if text.isdigit() and len(text) == 5:
        return _serial_date(int(text))
    if MONTH_TEXT.match(text):
        return _month_date(text, month_end=month_end, value=value)
    match = DATE_TEXT.match(text) or COMPACT_DATE.match(text)
    if not match:
        raise CellProblem(
            _("“%(value)s” is not a date; write it as 2026-03-01.") % {"value": value}
        )
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellProblem(_("“%(value)s” is not a valid date.") % {"value": value}) from None


def _month_date(text: str, *, month_end: bool, value: Any) -> date:
    match = MONTH_TEXT.match(text)
    year, month = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= month <= 12 or year < 1:
        raise CellProblem(_("“%(value)s” is not a valid date.") % {"value": value})
    if not month_end:
        return date(year, month, 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def _serial_date(serial: float) -> date:
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        raise CellProblem(_("%(value)s is not a date.") % {"value": serial})
    return from_excel(serial).date()


def _whole_number(value: Any, suffix: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = normal(value).removesuffix(suffix).strip()
    if not text.isdigit():
        raise CellProblem(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(text)


def year_value(value: Any) -> int:
    year = _whole_number(value, "年")
    if not 2000 <= year <= 2100:
        raise CellProblem(_("%(value)s is not a plausible year.") % {"value": value})
    return year


def month_value(value: Any) -> tuple[int | None, int]:
    """(year or None, month): a month number, or a year and month (2026-03, a date)."""
    if isinstance(value, datetime | date):
        return value.year, value.month
    if isinstance(value, str) and (period := month_header(value)) is not None:
        return period
    month = _whole_number(value, "月")
    if not 1 <= month <= 12:
        raise CellProblem(_("%(value)s is not a month from 1 to 12.") % {"value": value})
    return None, month


def choice_table(field_name: str) -> dict[str, str]:
    """Every spelling of the field's choices -> the stored value: value, label in each
    language, and the aliases the city's sheets use."""
    model_field: Field = Project._meta.get_field(field_name)
    table: dict[str, str] = {}
    for value, label in model_field.choices:
        table[choice_key(value)] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                table[choice_key(label)] = value
    for alias, value in CHOICE_ALIASES.get(field_name, {}).items():
        table.setdefault(choice_key(alias), value)
    return table


def choice_key(value: Any) -> str:
    return "".join(normal(value).lower().split())
