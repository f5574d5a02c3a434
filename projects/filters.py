import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from hitech_zone import permissions
from hitech_zone.widgets import LongSelect
from projects.lights import Light, light_filter
from projects.models import Park, Project, Sector

# Columns the register may sort by: URL value -> ordering fields.
SORTS = {
    "code": ("code",),
    "name": ("name", "code"),
    "park": ("park__sort_order", "park__name", "code"),
    "status": ("status", "code"),
    "light": ("light_rank", "investment_assessed", "code"),
    "total": ("total_investment", "code"),
    "plan": ("annual_plan", "code"),
    "completed": ("completed_ytd", "code"),
}


class ProjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search name or company"))
    park = django_filters.ModelChoiceFilter(
        queryset=Park.objects.all(), label=_("Park or carrier"), empty_label=_("All")
    )
    sector = django_filters.ModelChoiceFilter(
        queryset=Sector.objects.all(), label=_("Sector"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=Project.Status.choices, label=_("Status"), empty_label=_("All")
    )
    light = django_filters.ChoiceFilter(
        choices=Light.choices, label=_("Light"), empty_label=_("All"), method="by_light"
    )
    responsible_person = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(),
        label=_("Responsible person"),
        empty_label=_("All"),
        widget=LongSelect,
    )
    category = django_filters.ChoiceFilter(
        choices=Project.Category.choices, label=_("Category"), empty_label=_("All")
    )

    class Meta:
        model = Project
        fields = ["q", "park", "sector", "status", "light", "responsible_person", "category"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Offer only people responsible for projects this user may see.
        visible = permissions.scope(user, Project.objects.all()).values("responsible_person")
        self.filters["responsible_person"].queryset = (
            get_user_model()
            .objects.filter(pk__in=visible)
            .only("pk", "username", "full_name")
            .order_by("full_name", "username")
        )

    def by_light(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(light_filter(Light(value)))

    def search(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(company__icontains=value) | Q(code__iexact=value)
        )


def sort_ordering(sort: str) -> tuple[str, tuple[str, ...]]:
    """The valid sort key (default: by code) and its ORDER BY fields."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return "code", SORTS["code"]
    descending = sort.startswith("-")
    fields = tuple(f"-{field}" if descending else field for field in SORTS[key])
    return sort, fields
