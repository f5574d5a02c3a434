r"""Text as it is kept: without the invisible characters that change how it reads.

Bidi controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates, and the
Arabic letter mark U+061C) reorder what follows them: '正力新能\u202e电芯' prints as
'正力新能芯电' in a PDF. Zero-width characters (U+200B–U+200F, U+2060, U+FEFF) make two
names that look the same differ, so a lookup or a uniqueness check misses. Both are
removed from every text that comes in:

- forms: `hitech_zone.forms.InputRulesMixin` cleans the submitted data;
- the API: `hitech_zone.api_types.CleanStr`, the type of the input schemas' text;
- imports: every cell read by `projects.imports.cells`;
- the admin, the shell and anything else that saves a model: `clean_model_text`, a
  pre_save receiver (connected in `hitech_zone.apps`), which also backs up the above.
"""

import re
from functools import cache

from django.db import models

INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def clean_text(value: str) -> str:
    """`value` without bidi controls and zero-width characters."""
    return INVISIBLE.sub("", value)


@cache
def _text_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and not field.primary_key
    )


def clean_model_text(sender, instance: models.Model, raw: bool = False, **kwargs) -> None:
    """pre_save: clean every text field of the instance being saved. Fixtures (`raw`) are
    loaded as they are."""
    if raw:
        return
    for name in _text_fields(type(instance)):
        value = getattr(instance, name)
        if isinstance(value, str) and INVISIBLE.search(value):
            setattr(instance, name, clean_text(value))
