import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone import permissions
from hitech_zone.forms import CodeChoiceField
from hitech_zone.widgets import LongSelect
from inspections import deadlines
from inspections.models import Department, Issue, IssueCategory
from projects.models import Project


class CodeChoiceFilter(django_filters.ModelChoiceFilter):
    """A reference row by its code; a code with NUL in it is refused, not looked up."""

    field_class = type(
        "CodeChoiceFilterField", (CodeChoiceField, django_filters.fields.ModelChoiceField), {}
    )


class IssueFilterSet(django_filters.FilterSet):
    # Above this many projects in reach, the page finds a project by search instead of a
    # <select>: ten thousand options (a province) made the page ~600 KB and no one scrolls
    # them.
    PROJECT_SELECT_MAX = 500

    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Title, project name or code")}
        ),
    )
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
        fields = ["search", "project", "category", "department", "status", "overdue"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["project"].queryset = permissions.scope(
            user, Project.objects.only("pk", "code", "name")
        ).order_by("code")

    def for_page(self) -> "IssueFilterSet":
        """The filters as the page shows them: with more projects in reach than a list can
        usefully offer, the project is found by search, and a project already chosen (a
        link) stays chosen as a hidden field."""
        project = self.filters["project"]
        # One query either way, so the page's queries do not depend on the number of
        # projects: the options, or one more than the list offers.
        rows = list(project.queryset.values_list("pk", "name")[: self.PROJECT_SELECT_MAX + 1])
        if len(rows) > self.PROJECT_SELECT_MAX:
            project.extra["widget"] = forms.HiddenInput()
        else:
            project.extra["widget"] = LongSelect(label_field="name", rows=rows)
        return self

    def filter_search(self, queryset: QuerySet[Issue], name: str, value: str) -> QuerySet[Issue]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(project__code__iexact=value)
            | Q(project__name__icontains=value)
        )

    def filter_overdue(self, queryset: QuerySet[Issue], name: str, value: str) -> QuerySet[Issue]:
        if value != "1":
            return queryset
        return queryset.filter(
            deadlines.overdue_q(timezone.localdate()), status__in=deadlines.RUNNING
        )
