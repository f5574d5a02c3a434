import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone import permissions
from hitech_zone.forms import CodeChoiceField
from hitech_zone.widgets import LongSelect
from inspections.models import Department, Issue, IssueCategory
from projects.models import Project


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A reference row by its code; a code with NUL in it is refused, not looked up."""

    field_class = type(
        "CodeChoiceFilterField", (CodeChoiceField, django_filters.fields.ModelChoiceField), {}
    )


class IssueFilterSet(django_filters.FilterSet):
    project = django_filters.ModelChoiceFilter(
        queryset=Project.objects.none(),
        label=_("Project"),
        empty_label=_("All"),
        widget=LongSelect(label_field="name"),
    )
    category = CodeChoiceFilter(
        queryset=IssueCategory.objects.all(),
        to_field_name="code",
        label=_("Issue category"),
        empty_label=_("All"),
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), label=_("Department"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=Issue.Status.choices, label=_("Status"), empty_label=_("All")
    )
    overdue = django_filters.ChoiceFilter(
        method="filter_overdue",
        choices=[("1", _("Overdue only"))],
        label=_("Deadline"),
        empty_label=_("All"),
    )

    class Meta:
        model = Issue
        fields = ["project", "category", "department", "status", "overdue"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["project"].queryset = permissions.scope(
            user, Project.objects.only("pk", "code", "name")
        ).order_by("code")

    def filter_overdue(self, queryset: QuerySet[Issue], name: str, value: str) -> QuerySet[Issue]:
        if value != "1":
            return queryset
        return queryset.filter(
            status__in=[Issue.Status.ASSIGNED, Issue.Status.IN_PROGRESS],
            deadline__lt=timezone.localdate(),
        )
