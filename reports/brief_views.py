"""The one-page project brief (项目简报) as a PDF download from the project page."""

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from hitech_zone import audit
from reports.briefings import project_brief as briefs


def brief_response(request: HttpRequest, brief: dict) -> HttpResponse:
    """The brief's PDF as an attachment, its reading recorded in the audit log like a
    briefing's (the web view and the API's share it)."""
    response = HttpResponse(briefs.project_brief_pdf(brief), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=briefs.brief_filename(brief)
    )
    response["X-Content-Type-Options"] = "nosniff"
    audit.audit_record(
        request,
        audit.Action.BRIEFING_DOWNLOAD,
        detail={"format": "pdf", "kind": "project", "project": brief["project"]["code"]},
    )
    return response


@require_GET
def project_brief(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    project = briefs.brief_project(request.user, code, as_of=today)
    return brief_response(request, briefs.project_brief(request.user, project, today))
