from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects.lights import Thresholds
from reports import selectors


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The leader's one screen: totals against targets, lights, what slips, by park and sector."""
    today = timezone.localdate()
    return render(
        request,
        "reports/dashboard.html",
        {"dashboard": selectors.dashboard(user=request.user, as_of=today), "today": today},
    )


@require_GET
def lights_explained(request: HttpRequest) -> HttpResponse:
    """How a project's light is set, with the thresholds in force."""
    return render(request, "reports/lights.html", {"thresholds": Thresholds.from_settings()})
