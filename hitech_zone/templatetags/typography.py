"""Typesetting for print: dates the Chinese way, numbers kept with their units.

``{% load typography %}`` then ``{{ milestone.baseline|cn_day }}`` -> '11月30日' (in English
'30 Nov'), ``{{ text|nowrap }}``, or ``{% filter keep_units %}…{% endfilter %}`` around
translated sentences whose numbers and units must not be split across lines."""

import re
from datetime import date, datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

NO_BREAK_SPACE = "\u00a0"

# A number, the space after it, and a unit: Chinese measure words and units (any CJK
# character, since a number is always followed by its measure word in Chinese) or an
# English unit. The space may then not break a line, and it stays a space to the reader.
_NUMBER_UNIT = re.compile(
    r"(?<=\d)(%?) (?=[\u4e00-\u9fff]|(?:billion|million|working days?|days?|percentage points?|"
    r"projects?|hundred million yuan|ten thousand yuan)\b)"
)
# 'CNY 15.25 billion': the currency and its amount are one word too.
_CURRENCY_NUMBER = re.compile(r"\b(CNY) (?=\d)")


def _is_chinese() -> bool:
    return (get_language() or "").startswith("zh")


@register.filter(expects_localtime=True, is_safe=False)
def cn_day(value: date | datetime | None, arg: str | date = "") -> str:
    """A day as a briefing prints it: '11月30日' in Chinese, '30 Nov' in English.
    `cn_day:"time"` adds the time of day ('11月30日 17:05'); `cn_day:period_end` adds the
    year when the day is in another year than that date ('2025年12月15日'): the year is
    in the period's name at the head of every briefing, so most days leave it out."""
    if value in (None, ""):
        return ""
    other_year = isinstance(arg, date) and arg.year != value.year
    if _is_chinese():
        # Month and day without leading zeros, as official documents print them.
        text = date_format(value, "Y年n月j日" if other_year else "n月j日")
    else:
        text = date_format(value, "j M Y" if other_year else "j M")
    if arg == "time" and isinstance(value, datetime):
        text = f"{text} {date_format(value, 'H:i')}"
    return text


@register.filter(is_safe=True)
def nowrap(value: object) -> SafeString:
    """The value in a span that never breaks across lines: '12.7 亿元' stays on one."""
    return format_html('<span class="nowrap">{}</span>', value)


@register.filter(is_safe=True, needs_autoescape=True)
def keep_units(value: object, autoescape: bool = True) -> SafeString:
    """Text (or HTML already safe) whose number-unit spaces cannot break a line:
    '12 个工作日', '28 个', '83.3% 完成', 'CNY 15.25 billion'."""
    text = str(conditional_escape(value) if autoescape else value)
    text = _NUMBER_UNIT.sub(lambda m: m.group(1) + NO_BREAK_SPACE, text)
    text = _CURRENCY_NUMBER.sub(r"\1" + NO_BREAK_SPACE, text)
    if not autoescape:
        return text
    # The text was escaped above and the substitutions only swap a space for U+00A0,
    # which is a character, not markup: what was safe stays safe.
    return mark_safe(text)  # noqa: S308  # nosec B308 B703
