"""Form widgets for long lists."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class LongSelect(forms.Select):
    """A <select> of many options (every project of a province) rendered in one pass:
    Django's Select renders a template per option, ~0.1 ms each (make bench, issue list).
    Same HTML, same name and value handling; no option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (
                    option_value,
                    " selected" if str(option_value) in selected else "",
                    label,
                )
                for option_value, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
