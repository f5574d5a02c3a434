"""Building blocks every app's API router uses: money and percent types, error bodies,
pagination. The API itself is wired in `hitech_zone.api`; each app keeps its router in
its own `api.py` (projects ← inspections ← reports), so this module knows no app."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase
from pydantic import AfterValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from hitech_zone import dates
from hitech_zone.money import quantize_money, round_half_up
from hitech_zone.paging import page_rows
from hitech_zone.text import clean_text

# Largest id a database integer column holds; larger ones are refused (422), not looked up.
MAX_ID = 2**63 - 1
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


def _money(value: Decimal) -> str:
    return format(quantize_money(value), "f")


Money = Annotated[
    Decimal,
    PlainSerializer(_money, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+\.\d{2}$",
            "description": "An amount in 万元 (10,000 yuan) as a decimal string with two "
            "places, e.g. 1525000.00 for 152.5 亿元.",
        }
    ),
]


def _percent(value: Decimal) -> str:
    return format(round_half_up(value, 1), "f")


Percent = Annotated[
    Decimal,
    PlainSerializer(_percent, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+\.\d$",
            "description": "A percentage as a decimal string with one place, e.g. 37.5.",
        }
    ),
]


def _date_in_range(value: date) -> date:
    if not dates.in_range(value):
        # The web forms' message, in the request's language, as the 422 body's `msg`.
        raise PydanticCustomError("date_range", dates.out_of_range_message())
    return value


# Every date an API input takes: the range the web forms and the admin keep to.
ApiDate = Annotated[
    date,
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"A date from {dates.EARLIEST} to {dates.LATEST}, e.g. 2026-05-01.",
        }
    ),
]


# Every text an API input takes: without bidi controls and zero-width characters.
CleanStr = Annotated[str, AfterValidator(clean_text)]


def choice(choices: type[Enum] | Iterable[str]) -> Any:
    """A Literal of a Django choices class's values (or of the given strings): an inline
    enum in the schema. Enum classes would become components named after the class, and
    Project.Status and Issue.Status would collide."""
    if isinstance(choices, type) and issubclass(choices, Enum):
        choices = [member.value for member in choices]
    return Literal[tuple(choices)]


class Message(Schema):
    detail: str = Field(description="What went wrong, in the active language.")


class ValidationErrors(Schema):
    detail: list[dict[str, Any]] = Field(
        description="One entry per invalid parameter: its location (`loc`), the message "
        "(`msg`) and the kind of error (`type`)."
    )


ERROR_BODIES: dict[int, type[Schema]] = {
    401: Message,
    403: Message,
    404: Message,
    422: ValidationErrors,
}


def errors(*codes: int) -> dict[int, type[Schema]]:
    """Response declarations for the error codes an operation may answer."""
    return {code: ERROR_BODIES[code] for code in codes}


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Rows per page (at most 100)."
    )


class PageNumber(PaginationBase):
    """Numbered pages of at most MAX_PAGE_SIZE rows; the view gives the stable order."""

    Input = PageParams

    class Output(Schema):
        count: int = Field(description="Rows matching the filters, over all pages.")
        page: int = Field(description="This page's number.")
        page_size: int = Field(description="Rows per page.")
        items: list[Any]

    def paginate_queryset(
        self, queryset: QuerySet, pagination: PageParams, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "count": self._items_count(queryset),
            "page": pagination.page,
            "page_size": pagination.page_size,
            "items": page_rows(queryset, offset=offset, limit=pagination.page_size),
        }
