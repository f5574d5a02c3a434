"""The form renderer: Django's widget templates, but the plain <input> is drawn in Python.

A project page carries about a hundred inputs (each milestone's and each month's small
form); drawn through the widget templates they took about 40 % of the page's render when
its content is not cached (make bench: the page right after a write). The markup is the
same as the template's, character for character (tests/hitech_zone/test_form_renderer.py).
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

# Django's widget templates that are nothing but an include of input.html.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
    )
)


def input_html(widget: dict) -> str:
    """What django/forms/widgets/input.html (with attrs.html) renders for `widget`."""
    parts = [
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"'
    ]
    if widget["value"] is not None:
        parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(str(value))}"')
    parts.append(">")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return input_html(context["widget"])
        return super().render(template_name, context, request)
