"""Forms of the account pages, and the input rules every form of the application shares.

`InputRulesMixin` holds what no form may accept, whatever it is for:

- text with control characters: NUL is refused by PostgreSQL (a server error instead of a
  message), and the others cannot be written to an .xlsx export or shown sensibly;
- dates outside 2000–2099: working-day counts, forecasts, charts and ``date + timedelta``
  would run for millions of days or past 9999-12-31.

`CodeChoiceField` is a choice of a reference row by its code that refuses NUL before the
database is asked, which a plain ModelChoiceField does not.
"""

import unicodedata
from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from hitech_zone.models import ApiToken

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
# Tab, line feed and carriage return are what a textarea sends; every other C0/C1 control
# character (NUL included) is refused.
ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS for char in text)


def refuse_control_characters(value) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            _("Remove the control characters (such as NUL) from this text."),
            code="control_characters",
        )


def without_control_characters(text: str) -> str:
    """The text with the characters `refuse_control_characters` refuses taken out."""
    return "".join(
        char for char in text if unicodedata.category(char) != "Cc" or char in ALLOWED_CONTROLS
    )


def refuse_dates_out_of_range(value) -> None:
    if isinstance(value, date) and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


class InputRulesMixin:
    """Put first among a form's bases: adds the shared rules to every field it has."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.validators.append(refuse_dates_out_of_range)
            elif isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)


class CodeChoiceField(forms.ModelChoiceField):
    """A reference row chosen by its code (`to_field_name`); a code with NUL in it is
    refused as an invalid choice, not sent to the database."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class FilterForm(InputRulesMixin, forms.Form):
    """The form of a FilterSet (its `Meta.form`): a filter value the shared rules refuse
    (a date past 2099, whose next day would not exist) is ignored like any invalid one."""


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the user name's length checked: Django sets only the
    input's maxlength, and a longer name reached the sign-in lockout's table (255
    characters on PostgreSQL) as a server error instead of a failed sign-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class ApiTokenForm(InputRulesMixin, forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
