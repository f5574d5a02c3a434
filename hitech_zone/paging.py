"""One page of a heavily annotated queryset, cheaply."""

from django.db.models import Model, QuerySet


def page_rows(queryset: QuerySet, *, offset: int, limit: int) -> list[Model]:
    """Rows offset..offset+limit of `queryset`, in its order. The page's ids are chosen
    first, so per-row annotations (the lights) are worked out for the page alone: asked
    for a slice of the whole, PostgreSQL works out every signal for every row before it
    cuts the page (make bench, province scale: 0.5 s against 10 ms). Two queries."""
    if limit < 1:
        return []
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids]
