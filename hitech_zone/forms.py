"""Forms of the account pages, and the input rules every form of the application shares.

`InputRulesMixin` holds what no form may accept, whatever it is for:

- text with control characters: NUL is refused by PostgreSQL (a server error instead of a
  message), and the others cannot be written to an .xlsx export or shown sensibly;
- dates outside 2000–2100 (`hitech_zone.dates`, the rule for every way a date comes in).

It also takes bidi controls and zero-width characters out of the submitted data
(`hitech_zone.text`).

`CodeChoiceField` is a choice of a reference row by its code that refuses NUL before the
database is asked, which a plain ModelChoiceField does not.
"""

import unicodedata
from collections.abc import Mapping

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from hitech_zone import dates
from hitech_zone.models import ApiToken
from hitech_zone.text import INVISIBLE, clean_text

# The range's ends under the names the forms have always used.
EARLIEST_DATE = dates.EARLIEST
LATEST_DATE = dates.LATEST
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


refuse_dates_out_of_range = dates.refuse_out_of_range


def without_invisible_characters(data):
    """Submitted data with `hitech_zone.text.clean_text` applied to every text in it: the
    same object when there is nothing to take out, else a copy."""

    def cleaned(value):
        if isinstance(value, str):
            return clean_text(value)
        if isinstance(value, list | tuple):
            return [cleaned(item) for item in value]
        return value

    if isinstance(data, MultiValueDict):
        lists = list(data.lists())
        if not any(isinstance(v, str) and INVISIBLE.search(v) for _k, vs in lists for v in vs):
            return data
        copy = data.copy()
        for key, values in lists:
            copy.setlist(key, cleaned(values))
        return copy
    if isinstance(data, Mapping):
        return {key: cleaned(value) for key, value in data.items()}
    return data


class InputRulesMixin:
    """Put first among a form's bases: adds the shared rules to every field it has."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # Bidi controls and zero-width characters go before any field or check sees them.
            self.data = without_invisible_characters(self.data)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                # A dates.DateField has the rule already: one message, not two.
                if refuse_dates_out_of_range not in field.validators:
                    field.validators.append(refuse_dates_out_of_range)
            elif isinstance(field, forms.CharField):
                field.validators.append(refuse_control_characters)


def error_summary(*forms_: forms.BaseForm) -> list[tuple[str, str, str]]:
    """(anchor, label, message) for every error of the forms, in the order of their fields,
    for the summary at the top of a page; the anchor is "" for a form-wide error or one of
    a hidden field."""
    rows: list[tuple[str, str, str]] = []
    for form in forms_:
        rows += [("", "", str(message)) for message in form.non_field_errors()]
        for name, field in form.fields.items():
            if name not in form.errors:
                continue
            bound = form[name]
            anchor = "" if field.widget.is_hidden else bound.auto_id
            label = "" if field.widget.is_hidden else str(bound.label)
            rows += [(anchor, label, str(message)) for message in bound.errors]
    return rows


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
    (a date past 2100) is ignored like any invalid one."""


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
