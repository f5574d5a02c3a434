"""Filters of the audit log page (and its CSV export): action, user, date range, address."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone.forms import FilterForm
from hitech_zone.models import AuditEntry

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _start_of(day: date) -> datetime:
    # Days are the zone's (Asia/Shanghai); entries are stored in UTC.
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEntryFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        choices=AuditEntry.Action.choices, label=_("Action"), empty_label=_("All")
    )
    user = django_filters.CharFilter(method="filter_user", label=_("User"))
    occurred_from = django_filters.DateFilter(
        method="filter_from", label=_("From (date)"), widget=DATE_INPUT
    )
    occurred_to = django_filters.DateFilter(
        method="filter_to", label=_("To (date)"), widget=DATE_INPUT
    )
    ip_address = django_filters.CharFilter(
        method="filter_ip", label=_("IP address (or its beginning)")
    )

    class Meta:
        model = AuditEntry
        fields = ["action", "user", "occurred_from", "occurred_to", "ip_address"]
        form = FilterForm

    def filter_user(self, queryset: QuerySet[AuditEntry], name: str, value: str):
        """By the name recorded (kept for deleted users and unknown names) or the user's
        full name."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(user__full_name__icontains=value))

    def filter_from(self, queryset: QuerySet[AuditEntry], name: str, value: date):
        return queryset.filter(occurred_at__gte=_start_of(value))

    def filter_to(self, queryset: QuerySet[AuditEntry], name: str, value: date):
        return queryset.filter(occurred_at__lt=_start_of(value + timedelta(days=1)))

    def filter_ip(self, queryset: QuerySet[AuditEntry], name: str, value: str):
        value = value.strip()
        return queryset.filter(ip_address__startswith=value) if value else queryset
