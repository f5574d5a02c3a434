"""Inserts of job-sized batches: the nightly slip job writes tens of thousands of alerts,
escalation steps, notices and projections at province scale in one run.

On PostgreSQL the rows go through COPY into a staging table, then one INSERT ... SELECT
with the conflict rule: Django's bulk_create quotes every value in Python, which made
these inserts most of the job's time (make bench: 57,000 alerts took 4.8 s, about 1 s
this way). Elsewhere (the embedded SQLite) it is bulk_create with the same rule.
"""

from collections.abc import Sequence
from functools import partial
from uuid import uuid4

from django.db import connections, models, router, transaction


def insert_rows(
    rows: Sequence[models.Model],
    *,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> None:
    """Insert new model instances (all of one model, primary key unset). A row that would
    break a unique constraint is skipped, or, with `unique_fields` and `update_fields`,
    updates those fields of the row it meets. Signals are not sent, as with bulk_create."""
    if not rows:
        return
    model = type(rows[0])
    database = connections[router.db_for_write(model)]
    if database.vendor != "postgresql":
        if update_fields:
            model.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=unique_fields,
                update_fields=update_fields,
            )
        else:
            model.objects.bulk_create(rows, ignore_conflicts=True)
        return
    _copy_insert(database, model, rows, unique_fields=unique_fields, update_fields=update_fields)


def _as_is(value):
    return value


def _prepare(field: models.Field, database, value):
    return field.get_db_prep_save(value, database)


def _copy_insert(database, model, rows, *, unique_fields, update_fields) -> None:
    opts = model._meta
    fields = [field for field in opts.concrete_fields if field is not opts.pk]
    # Django's preparation per value cost more than the COPY (make bench). psycopg adapts
    # numbers, text, dates and aware datetimes itself; JSON and decimals keep Django's.
    fields_prepared = [
        (
            field,
            partial(_prepare, field, database)
            if isinstance(field, models.JSONField | models.DecimalField)
            else _as_is,
        )
        for field in fields
    ]
    quote = database.ops.quote_name
    table = quote(opts.db_table)
    # Its own name, dropped at commit: another batch in the same transaction has another.
    staging = quote(f"staging_{opts.db_table}_{uuid4().hex[:12]}")
    columns = ", ".join(quote(field.column) for field in fields)
    if update_fields:
        by_name = {field.name: field for field in fields}
        target = ", ".join(quote(opts.get_field(name).column) for name in unique_fields)
        assignments = ", ".join(
            f"{quote(by_name[name].column)} = EXCLUDED.{quote(by_name[name].column)}"
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
    # A transaction for the staging table to live in; no savepoint of its own.
    with transaction.atomic(using=database.alias, savepoint=False), database.cursor() as cursor:
        cursor.execute(create)
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [prepare(field.pre_save(row, add=True)) for field, prepare in fields_prepared]
                )
        cursor.execute(insert)
