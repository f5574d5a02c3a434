import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hitech_zone import permissions
from hitech_zone.forms import CodeChoiceField, FilterForm
from hitech_zone.widgets import LongSelect
from inspections import deadlines
from inspections.models import Department, Issue, IssueCategory, SiteVisit, VisitParticipant
from projects.models import Park, Project

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


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


class VisitFilterSet(django_filters.FilterSet):
    """The list of visits: by project (those in the user's reach), park, dates and a
    visitor's name. The page fills in this month's dates when none are given."""

    project = django_filters.ModelChoiceFilter(
        queryset=Project.objects.none(),
        label=_("Project"),
        empty_label=_("All"),
        widget=LongSelect(label_field="name"),
    )
    park = django_filters.ModelChoiceFilter(
        field_name="project__park",
        queryset=Park.objects.all(),
        label=_("Park or carrier"),
        empty_label=_("All"),
    )
    visited_from = django_filters.DateFilter(
        field_name="visited_on", lookup_expr="gte", label=_("From (date)"), widget=DATE_INPUT
    )
    visited_to = django_filters.DateFilter(
        field_name="visited_on", lookup_expr="lte", label=_("To (date)"), widget=DATE_INPUT
    )
    visitor = django_filters.CharFilter(
        method="filter_visitor",
        label=_("Visitor"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name")}),
    )

    class Meta:
        model = SiteVisit
        fields = ["project", "park", "visited_from", "visited_to", "visitor"]
        # Refuses control characters (NUL) and dates outside 2000–2100: such a filter is
        # ignored, never sent to the database.
        form = FilterForm

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["project"].queryset = permissions.scope(
            user, Project.objects.only("pk", "code", "name")
        ).order_by("code")

    def for_page(self) -> "VisitFilterSet":
        """As IssueFilterSet.for_page: the project options in one query, or a hidden field
        when there are more than a list can usefully offer."""
        project = self.filters["project"]
        rows = list(
            project.queryset.values_list("pk", "name")[: IssueFilterSet.PROJECT_SELECT_MAX + 1]
        )
        if len(rows) > IssueFilterSet.PROJECT_SELECT_MAX:
            project.extra["widget"] = forms.HiddenInput()
        else:
            project.extra["widget"] = LongSelect(label_field="name", rows=rows)
        return self

    def filter_visitor(
        self, queryset: QuerySet[SiteVisit], name: str, value: str
    ) -> QuerySet[SiteVisit]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Exists(
                VisitParticipant.objects.filter(
                    visit=OuterRef("pk"),
                    side=VisitParticipant.Side.VISITOR,
                    name__icontains=value,
                )
            )
        )
