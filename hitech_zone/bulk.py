"""Inserts of job-sized batches: the nightly slip job writes tens of thousands of alerts,
escalation steps, notices and projections at province scale in one run.

On PostgreSQL the rows go through COPY into a staging table, then one INSERT ... SELECT
with the conflict rule: Django's bulk_create quotes every value in Python, which made
these inserts most of the job's time (make bench: 57,000 alerts took 4.8 s, about 1 s
this way). Elsewhere (the embedded SQLite) it is bulk_create with the same rule.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import uuid4

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.utils import timezone

Row = Mapping[str, Any]


def insert_rows(
    model: type[models.Model],
    rows: Sequence[Row],
    *,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> None:
    """Insert rows of `model`, each a mapping of field attribute names (`project_id`, not
    `project`) to values, all rows with the same names; a field left out takes its default
    (or now, for an auto timestamp). Plain values, not model instances: building 170,000
    instances was a fifth of the slip job's first run at province scale (make bench).
    A row that would break a unique constraint is skipped, or, with `unique_fields` and
    `update_fields`, updates those fields of the row it meets. No signals are sent."""
    if not rows:
        return
    database = connections[router.db_for_write(model)]
    if database.vendor != "postgresql":
        instances = [model(**row) for row in rows]
        if update_fields:
            model.objects.bulk_create(
                instances,
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
        else:
            model.objects.bulk_create(instances, ignore_conflicts=True)
        return
    _copy_insert(database, model, rows, unique_fields=unique_fields, update_fields=update_fields)


def _default(field: models.Field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    raise ValueError(f"{field.model.__name__}.{field.attname}: no value and no default")


def _json_text(encoder: json.JSONEncoder, value) -> str | None:
    # COPY's text form of jsonb is the JSON text: no adapter object per value.
    return None if value is None else encoder.encode(value)


def _copy_insert(database, model, rows, *, unique_fields, update_fields) -> None:
    opts = model._meta
    given = list(rows[0])
    fields = [field for field in opts.concrete_fields if field is not opts.pk]
    defaults = {f.attname: _default(f) for f in fields if f.attname not in given}
    # One encoder per JSON field for the batch, not one per value (make bench).
    json_encoders = {
        f.attname: (f.encoder or DjangoJSONEncoder)()
        for f in fields
        if isinstance(f, models.JSONField)
    }
    quote = database.ops.quote_name
    table = quote(opts.db_table)
    # Its own name, dropped at commit: another batch in the same transaction has another.
    staging = quote(f"staging_{opts.db_table}_{uuid4().hex[:12]}")
    names = [*given, *defaults]
    # get_field knows attribute names (`project_id`) too.
    columns = ", ".join(quote(opts.get_field(name).column) for name in names)
    if update_fields:
        target = ", ".join(quote(opts.get_field(name).column) for name in unique_fields)
        assignments = ", ".join(
            f"{quote(opts.get_field(name).column)} = EXCLUDED.{quote(opts.get_field(name).column)}"
            for name in update_fields
        )
        conflict = f"({target}) DO UPDATE SET {assignments}"  # nosec B608
    else:
        conflict = "DO NOTHING"
    # Identifiers come from the model's own metadata, quoted; every value goes through COPY.
    create = f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # nosec B608
    insert = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT {conflict}"  # nosec B608
    )
    tail = [
        _json_text(json_encoders[name], value) if name in json_encoders else value
        for name, value in defaults.items()
    ]
    as_json = [
        (index, json_encoders[name]) for index, name in enumerate(given) if name in json_encoders
    ]
    # A transaction for the staging table to live in; no savepoint of its own.
    with transaction.atomic(using=database.alias, savepoint=False), database.cursor() as cursor:
        cursor.execute(create)
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = [row[name] for name in given]
                for index, encoder in as_json:
                    values[index] = _json_text(encoder, values[index])
                copy.write_row(values + tail)
        cursor.execute(insert)
