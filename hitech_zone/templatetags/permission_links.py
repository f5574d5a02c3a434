"""Ask the permission layer from a template whether a link may be shown: a row link shows
only to those who may open the row (`{% may_open issue "site_visit" as shown %}`)."""

from django import template
from django.db import models

from hitech_zone import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def may_open(context, obj: models.Model, field: str = "") -> bool:
    """May the signed-in user open `obj`, or, with `field`, the row `obj.<field>` points
    to? That row is not loaded: its id is enough (one EXISTS query)."""
    if field:
        relation = obj._meta.get_field(field)
        pk = getattr(obj, relation.attname)
        if pk is None:
            return False
        obj = relation.related_model(pk=pk)
    return permissions.can(context["request"].user, permissions.Action.VIEW, obj)
