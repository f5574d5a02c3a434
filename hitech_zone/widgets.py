"""Form widgets for long lists."""

from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A <select> of many options (every project of a province) rendered in one pass:
    Django's Select renders a template per option, ~0.1 ms each (make bench, issue list).
    Same HTML, same name and value handling; no option groups."""

    def __init__(
        self, attrs=None, choices=(), *, label_field: str = "", rows: list | None = None
    ) -> None:
        """`label_field`: for a model choice field whose options are labelled by one field
        of the model (its __str__), read as plain values: ten thousand model instances
        cost more than the page's queries (make bench, issue list at province). `rows`:
        those (value, label) pairs when the caller has read them already."""
        super().__init__(attrs, choices)
        self.label_field = label_field
        self.rows = rows

    def _options(self):
        choices = self.choices
        if not (self.label_field and isinstance(choices, ModelChoiceIterator)):
            return choices
        field = choices.field
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        if self.rows is not None:
            return [*empty, *self.rows]
        key = field.to_field_name or "pk"
        return [*empty, *choices.queryset.values_list(key, self.label_field)]

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        # The standard library's escape: format_html per option costs more than the query
        # at province scale (make bench, issue list).
        options = []
        for option_value, label in self._options():
            text = str(option_value)
            mark = " selected" if text in selected else ""
            options.append(f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
        # Safe: every value and label is escaped above.
        markup = mark_safe("".join(options))  # noqa: S308  # nosec B308 B703
        return format_html("<select{}>{}</select>", flatatt(final), markup)
