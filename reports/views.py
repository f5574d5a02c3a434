from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from inspections import selectors as inspection_selectors
from projects import pages
from projects.lights import Thresholds
from reports import charts, selectors


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The leader's one screen: totals against targets, lights, what slips, by park and sector."""
    today = timezone.localdate()
    dashboard = selectors.dashboard(user=request.user, as_of=today)
    return render(
        request,
        "reports/dashboard.html",
        {
            "dashboard": dashboard,
            "dashboard_charts": charts.dashboard_charts(dashboard),
            "today": today,
        },
    )


@require_GET
def lights_explained(request: HttpRequest) -> HttpResponse:
    """How a project's light is set, with the thresholds in force."""
    return render(request, "reports/lights.html", {"thresholds": Thresholds.from_settings()})


@require_GET
def project_page(request: HttpRequest, code: str) -> HttpResponse:
    """A project: facts, milestones, investment, notes and history (its own app's
    sections), with its site visits and issues beside them."""
    today = timezone.localdate()
    project = pages.project_for(request.user, code, as_of=today)
    context = pages.sections(request.user, project, as_of=today)
    context.update(
        visits=inspection_selectors.visit_list_for_project(
            user=request.user, project_id=project.pk
        ),
        issues=inspection_selectors.issue_list_for_project(
            user=request.user, project_id=project.pk
        ),
    )
    return render(request, "reports/project_page.html", context)
