"""The form renderer draws <input> widgets in Python: exactly what Django's templates draw."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from hitech_zone import form_renderer
from hitech_zone.form_renderer import FormRenderer, input_html


class EveryInput(forms.Form):
    title = forms.CharField(
        max_length=20, widget=forms.TextInput(attrs={"placeholder": 'a "b" <c>'})
    )
    amount = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "autofocus": True}))
    moment = forms.DateTimeField(required=False)
    at = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"disabled": False}))
    version = forms.IntegerField(widget=forms.HiddenInput)
    mail = forms.EmailField(required=False)
    site = forms.URLField(required=False, assume_scheme="https")
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    query = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    safe = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"data-x": mark_safe("&amp;")})
    )
    notes = forms.CharField(required=False, widget=forms.Textarea)
    choice = forms.ChoiceField(choices=[("a", "甲 <1>"), ("b", "乙")], required=False)
    agree = forms.BooleanField(required=False)


KINDS = {
    "empty": {},
    "initial": {
        "initial": {
            "title": "钢材 & <到货>",
            "amount": Decimal("1234.50"),
            "day": datetime.date(2026, 3, 1),
            "version": 7,
        }
    },
    "bound with errors": {
        "data": {
            "title": 'x" onfocus="alert(1)',
            "amount": "-3",
            "day": "not a date",
            "version": "2",
            "secret": "p<w>",
            "safe": "&",
            "agree": "on",
        }
    },
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_widget_renders_as_django_s_templates_render_it(kind, monkeypatch):
    drawn = []
    monkeypatch.setattr(
        form_renderer, "input_html", lambda widget: drawn.append(widget) or input_html(widget)
    )
    ours = EveryInput(renderer=FormRenderer(), **KINDS[kind])
    django_s = EveryInput(renderer=DjangoTemplates(), **KINDS[kind])
    for mine, theirs in zip(ours, django_s, strict=True):
        assert str(mine) == str(theirs), mine.name
    assert ours.as_div() == django_s.as_div()
    assert 'type="date"' in ours.as_div()
    # Eleven of the fields are plain inputs, drawn without a template each time (each
    # field, then the form twice); the text area, select and checkbox use the templates.
    assert len(drawn) == 3 * 11


def test_the_markup_escapes_what_it_must():
    html = input_html(
        {"type": "text", "name": "t", "value": '"><script>', "attrs": {"required": True}}
    )
    assert html == '<input type="text" name="t" value="&quot;&gt;&lt;script&gt;" required>'


def test_the_app_uses_it(settings):
    assert settings.FORM_RENDERER == "hitech_zone.form_renderer.FormRenderer"
