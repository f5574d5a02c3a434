from datetime import date

from django import template

from projects.models import Milestone

register = template.Library()


@register.filter
def slip_days(milestone: Milestone, as_of: date) -> int:
    return milestone.slip_days(as_of)
