from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hitech_zone import permissions
from projects import selectors


@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    project = permissions.get_for(
        request.user,
        selectors.project_list(user=request.user, year=today.year, through_month=today.month),
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
