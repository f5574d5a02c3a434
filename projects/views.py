from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from hitech_zone import permissions
from projects import exports, lights, selectors
from projects.filters import ProjectFilterSet, sort_ordering

PAGE_SIZE = 25
# (sort key or "", heading, numeric) for the register's columns.
COLUMNS = [
    ("light", _("Light"), False),
    ("code", _("Code"), False),
    ("name", _("Project"), False),
    ("park", _("Park or carrier"), False),
    ("", _("Sector"), False),
    ("status", _("Status"), False),
    ("total", _("Total (100M yuan)"), True),
    ("plan", _("Plan this year (10k yuan)"), True),
    ("completed", _("Completed (10k yuan)"), True),
    ("", _("Responsible person"), False),
]


def _register(request: HttpRequest):
    today = timezone.localdate()
    filterset = ProjectFilterSet(
        request.GET,
        queryset=selectors.project_list(user=request.user, as_of=today),
        user=request.user,
    )
    sort, ordering = sort_ordering(request.GET.get("sort", "code"))
    return today, filterset, sort, filterset.qs.order_by(*ordering)


@require_GET
@vary_on_headers("HX-Request")
def project_list(request: HttpRequest) -> HttpResponse:
    today, filterset, sort, projects = _register(request)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = lights.with_reasons(
        page.object_list, as_of=today, elapsed_share=selectors.year_elapsed_share(today)
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    template = "projects/project_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#project-table"
    return render(
        request,
        template,
        {
            "filterset": filterset,
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "columns": COLUMNS,
            "today": today,
        },
    )


@require_GET
def project_export(request: HttpRequest) -> HttpResponse:
    today, _filterset, _sort, projects = _register(request)
    response = HttpResponse(
        exports.project_register_xlsx(projects),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="key-projects-{today:%Y%m%d}.xlsx"'
    return response


@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    project = permissions.get_for(
        request.user,
        selectors.project_list(user=request.user, as_of=today),
        permissions.Action.VIEW,
        code=code,
    )
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "phases": project.phases.all(),
            "milestones": project.milestones.select_related("phase"),
            "monthly_investments": project.monthly_investments.filter(year=today.year),
            "managers": project.managers.all(),
            "today": today,
            "can_edit": permissions.can(request.user, permissions.Action.EDIT, project),
        },
    )
