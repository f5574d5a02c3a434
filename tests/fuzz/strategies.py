"""Hostile inputs for the fuzz tests, and the verdicts that say which of them a form must
accept, must refuse, or may do either with.

Every strategy yields strings, as a browser or a script would send them. A verdict is
True (must be accepted), False (must be refused) or None (either is fine, as long as
nothing breaks and a refusal changes nothing): values such as full-width digits
("１２３") are read as numbers by Python and Django alike, and the tests do not insist
either way.
"""

import re
import string
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from hypothesis import strategies as st

from hitech_zone.forms import EARLIEST_DATE, LATEST_DATE
from hitech_zone.text import clean_text

# ---------------------------------------------------------------- text

SCRIPT = "<script>alert(1)</script>"
SAMPLES = [
    # Simplified and Traditional Chinese, as people on site write them.
    "建材供应不足，施工进度放缓",
    "建材供應不足，施工進度放緩",
    "组织人事劳动局协助招聘",
    "江蘇正力新能電芯項目",
    # 4-byte characters: emoji and CJK extension B.
    "🚧🏗️👷‍♀️🔋",
    "𠀀𠮷𩸽",
    # Markup and injections, shown as text and stored as typed.
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% debug %}",
    "'; DROP TABLE projects_project; --",
    "' OR '1'='1",
    '=HYPERLINK("http://evil")',
    "../../etc/passwd",
    "%00%2e%2e",
    # Control characters, NUL first: PostgreSQL refuses NUL in text.
    "\x00",
    "abc\x00def",
    "\x07\x08\x1b[31m",
    "line\x0bbreak",
    "\u202eevil\u202c",
    "\ufeffbom",
    "",
    " ",
    "\t\r\n",
]
CONTROL = "".join(chr(code) for code in range(32)) + "\x7f\x85"

hostile_text = st.one_of(
    st.sampled_from(SAMPLES),
    # Any unicode character but lone surrogates (they cannot be sent as UTF-8).
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.sampled_from(CONTROL + "ab中文𠮷🚧 "), max_size=20),
    st.builds(
        lambda sample, count: sample * count, st.sampled_from(SAMPLES[:6]), st.integers(1, 800)
    ),
    # Very long: up to 10,000 characters.
    st.builds(lambda char, length: char * length, st.sampled_from("a中🚧"), st.integers(1, 10_000)),
)


def normalised(value: str) -> str:
    """What a form's CharField keeps: the value without bidi controls and zero-width
    characters (hitech_zone.text), then without surrounding whitespace."""
    return clean_text(value).strip()


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in "\t\n\r" for char in value)


def text_verdict(
    value: str | None, *, max_length: int, min_length: int = 0, required: bool = False
) -> bool:
    """Exactly what a text field must do with the value (after stripping)."""
    text = normalised(value or "")
    if not text:
        return not required
    if has_control_characters(text):
        return False
    return min_length <= len(text) <= max_length


# ---------------------------------------------------------------- numbers

HOSTILE_NUMBERS = [
    "-1",
    "0",
    "1",
    "-0",
    "1e309",
    "-1e309",
    "1e2",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "１２３",
    "٣",
    "9" * 40,
    "-" + "9" * 40,
    "0x10",
    "1,000",
    "1_000",
    "1.5",
    "0.001",
    "12345678901234.56",
    "1" + "0" * 14,
    str(2**31),
    str(2**63),
    str(2**64),
    "",
    " ",
    "\x00",
    "1\x00",
    "𝟙𝟚𝟛",
]

hostile_numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats().map(repr),
    st.text(st.sampled_from("0123456789.-+eE, "), max_size=30),
    hostile_text,
)
ASCII_INTEGER = re.compile(r"^[0-9]+$")


def integer_verdict(
    value: str, *, min_value: int | None = None, max_value: int | None = None
) -> bool | None:
    text = value.strip()
    if not text:
        return False
    if ASCII_INTEGER.match(text):
        number = int(text)
        too_small = min_value is not None and number < min_value
        too_big = max_value is not None and number > max_value
        return not (too_small or too_big)
    if not any(char.isdigit() for char in text) or "\x00" in text:
        return False
    if re.match(r"^-[0-9]*[1-9][0-9]*$", text) and min_value is not None and min_value >= 0:
        return False
    if any(word in text.lower() for word in ("nan", "inf", "0x")):
        return False
    return None


ASCII_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def decimal_verdict(
    value: str, *, max_digits: int, decimal_places: int, min_value: Decimal | None = None
) -> bool | None:
    text = value.strip()
    if not text or "\x00" in text:
        return False
    if any(word in text.lower() for word in ("nan", "inf", "0x")):
        return False
    if ASCII_DECIMAL.match(text):
        whole, _dot, fraction = text.partition(".")
        whole = whole.lstrip("0")
        return len(fraction) <= decimal_places and len(whole) <= max_digits - decimal_places
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False if not any(char.isdigit() for char in text) else None
    if min_value is not None and number.is_finite() and number < min_value:
        return False
    return None


# ---------------------------------------------------------------- dates

HOSTILE_DATES = [
    "0001-01-01",
    "1899-12-31",
    "1999-12-31",
    EARLIEST_DATE.isoformat(),
    LATEST_DATE.isoformat(),
    "2100-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-02-29",
    "2028-02-29",
    "2026-13-01",
    "2026-00-10",
    "9999-99-99",
    "0000-00-00",
    "2026/05/01",
    "2026年5月1日",
    "２０２６-０５-０１",
    "05/01/2026",
    "-2026-05-01",
    "2026-05-01T00:00:00",
    "2026-05-01\x00",
    "",
    " ",
    "today",
    SCRIPT,
]

hostile_dates = st.one_of(
    st.sampled_from(HOSTILE_DATES),
    st.dates().map(date.isoformat),
    st.dates(EARLIEST_DATE, LATEST_DATE).map(date.isoformat),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.integers(0, 99_999),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
    hostile_text,
)
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_iso(value: str) -> date | None:
    text = value.strip()
    if not ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def date_verdict(
    value: str,
    *,
    required: bool = False,
    earliest: date = EARLIEST_DATE,
    latest: date = LATEST_DATE,
) -> bool | None:
    """True for an ISO date within [earliest, latest]; False for no date at all when one
    is required, impossible ISO dates, dates out of range, and text without a digit."""
    text = value.strip()
    if not text:
        return not required
    if "\x00" in text:
        return False
    if ISO_DATE.match(text):
        parsed = parse_iso(text)
        return parsed is not None and earliest <= parsed <= latest
    if not any(char.isdigit() for char in text):
        return False
    return None


# ---------------------------------------------------------------- ids

# Filled in by each test with the ids of its world: its own rows and other owners' rows.
HOSTILE_IDS = [
    "0",
    "-1",
    "1.0",
    "1e3",
    "abc",
    "",
    " ",
    "\x00",
    "１",
    str(2**31),
    str(2**63),
    str(2**64),
    "9" * 40,
    SCRIPT,
]


def hostile_ids(*known: int) -> st.SearchStrategy[str]:
    """Ids that exist (`known`, e.g. other owners' rows), ids that cannot, and garbage."""
    strategies = [
        st.sampled_from(HOSTILE_IDS),
        st.integers(-(2**70), 2**70).map(str),
        st.text(string.printable, max_size=12),
    ]
    if known:
        strategies.insert(0, st.sampled_from([str(pk) for pk in known]))
    return st.one_of(*strategies)


def path_ids() -> st.SearchStrategy[int]:
    """Ids that an <int:...> URL converter lets through: non-negative, of any size."""
    return st.one_of(st.integers(0, 10_000), st.sampled_from([2**31, 2**63 - 1, 2**63, 10**40]))


# ---------------------------------------------------------------- combining verdicts


def all_of(*verdicts: bool | None) -> bool | None:
    """False if any part must be refused, True if every part must be accepted."""
    if any(verdict is False for verdict in verdicts):
        return False
    if all(verdict is True for verdict in verdicts):
        return True
    return None


@st.composite
def mutated(
    draw,
    usual: dict[str, st.SearchStrategy],
    hostile: dict[str, st.SearchStrategy],
    max_changes: int = 2,
) -> dict:
    """A usual submission with up to `max_changes` fields made hostile: a form of many
    fields is then valid often enough for its success path to be fuzzed as well."""
    data = {name: draw(strategy) for name, strategy in usual.items()}
    for name in draw(st.lists(st.sampled_from(sorted(hostile)), max_size=max_changes, unique=True)):
        data[name] = draw(hostile[name])
    return data
