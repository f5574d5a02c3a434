"""The dates the product accepts: from 2000-01-01 to 2100-12-31, wherever a date comes in
(web forms, the admin, the import, the API).

Why a range at all: working-day counts, forecasts and charts walk from one date to
another, and ``date + timedelta`` fails past 9999-12-31, so a typo such as 2206 or 0026 would
make a page or the nightly detection run for millions of days or stop. No record of the
zone's key projects predates 2000 and no plan reaches past the century.

The rule is here once: web forms get it through `hitech_zone.forms.InputRulesMixin`, the
admin through `AdminDateRange`, the API through `hitech_zone.api_types.ApiDate`, the
forecast clamps its projections to `LATEST`.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# Kept to the one message every form already shows for it.
OUT_OF_RANGE = _("Enter a date between %(earliest)s and %(latest)s.")


def in_range(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def out_of_range_message() -> str:
    """The message, in the active language."""
    return str(OUT_OF_RANGE) % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}


def refuse_out_of_range(value) -> None:
    """A validator: a date outside EARLIEST..LATEST is refused (anything else passes)."""
    if isinstance(value, date) and not in_range(value):
        raise ValidationError(
            OUT_OF_RANGE,
            code="date_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


class DateField(forms.DateField):
    """A form's date field that keeps to the range."""

    default_validators = [refuse_out_of_range]


class AdminDateRange:
    """Put first among a ModelAdmin's (or an inline's) bases: every date field of its form
    keeps to the range. (A DateTimeField keeps the admin's own field: the admin's defaults
    name DateTimeField, which comes before DateField in its class's lookup.)"""

    formfield_overrides = {models.DateField: {"form_class": DateField}}
