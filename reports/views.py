from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects import selectors as project_selectors


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The first page: the zone's totals and its key projects (the full dashboard follows)."""
    today = timezone.localdate()
    summary = project_selectors.zone_summary(user=request.user, as_of=today)
    projects = project_selectors.project_list(
        user=request.user, year=today.year, through_month=today.month
    ).order_by("-total_investment", "code")
    return render(
        request,
        "reports/dashboard.html",
        {"summary": summary, "projects": projects, "today": today},
    )
