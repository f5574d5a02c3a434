"""Alerts and briefings in the JSON API. Alerts are scoped like the web alert list;
briefings cover every project, so only those who see every project read them (403 for
the others), as on the web."""

import logging
from datetime import date, datetime

from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from hitech_zone import permissions
from hitech_zone.api_types import MAX_ID, PageNumber, choice, errors
from projects.api import ProjectRef
from reports import brief_views, selectors, services
from reports.alerts import alert_message
from reports.briefings import project_brief as project_briefs
from reports.models import Alert, Briefing

logger = logging.getLogger(__name__)

router = Router(tags=["alerts and briefings"])


class AlertOut(Schema):
    id: int
    project: ProjectRef
    kind: choice(Alert.Kind)
    kind_label: str
    severity: choice(Alert.Severity)
    subject_key: str = Field(
        description="What on the project it is about: milestone:<id>, issue:<id>, or empty "
        "for the project as a whole."
    )
    message: str = Field(description="What the alert says, in the active language.")
    first_seen_at: datetime
    last_seen_at: datetime

    @staticmethod
    def resolve_kind_label(alert: Alert) -> str:
        return str(alert.get_kind_display())

    @staticmethod
    def resolve_message(alert: Alert) -> str:
        return alert_message(alert)


@router.get(
    "/alerts",
    response={200: list[AlertOut], **errors(401, 422)},
    summary="Open alerts",
    operation_id="alert_list",
)
@paginate(PageNumber)
def alert_list(request: HttpRequest):
    """Open alerts on the projects the user may see: red first, then the oldest."""
    return selectors.alert_list_open_all(user=request.auth)


class BriefingOut(Schema):
    id: int
    kind: choice(Briefing.Kind)
    kind_label: str
    period: str = Field(description="e.g. 2026-W44 (weekly) or 2026-10 (monthly).")
    period_start: date
    period_end: date
    version: int
    status: choice(Briefing.Status)
    as_of: datetime = Field(description="The moment the figures are taken from.")
    finished_at: datetime | None
    reissue_reason: str
    pdf_sha256: str | None = Field(description="SHA-256 of the PDF, once published.")
    pdf_url: str | None = Field(description="The PDF through this API (token), once published.")
    download_url: str | None = Field(
        description="The PDF in the web application (signed-in session), once published."
    )

    @staticmethod
    def resolve_kind_label(briefing: Briefing) -> str:
        return str(briefing.get_kind_display())

    @staticmethod
    def resolve_pdf_sha256(briefing: Briefing) -> str | None:
        return briefing.pdf_sha256 or None

    @staticmethod
    def resolve_pdf_url(briefing: Briefing, context) -> str | None:
        if not _has_pdf(briefing):
            return None
        return context["request"].build_absolute_uri(
            reverse("api:briefing_pdf", args=[briefing.pk])
        )

    @staticmethod
    def resolve_download_url(briefing: Briefing, context) -> str | None:
        if not _has_pdf(briefing):
            return None
        return context["request"].build_absolute_uri(
            reverse("briefing_download", args=[briefing.pk])
        )


def _has_pdf(briefing: Briefing) -> bool:
    return briefing.status == Briefing.Status.PUBLISHED and bool(briefing.file)


def _require_reader(user) -> None:
    if not permissions.sees_all_projects(user):
        raise HttpError(403, _("Briefings are for zone officials and leaders."))


@router.get(
    "/briefings",
    response={200: list[BriefingOut], **errors(401, 403, 422)},
    summary="Briefings",
    operation_id="briefing_list",
)
@paginate(PageNumber)
def briefing_list(request: HttpRequest):
    """Weekly and monthly briefings, newest period first, with links to their PDFs."""
    _require_reader(request.auth)
    return selectors.briefing_list_all()


@router.get(
    "/briefings/{briefing_id}/pdf",
    response=errors(401, 403, 404, 422),
    summary="A briefing's PDF",
    operation_id="briefing_pdf",
    url_name="briefing_pdf",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The PDF.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def briefing_pdf(request: HttpRequest, briefing_id: int = Path(..., ge=1, le=MAX_ID, example=1)):
    """The published PDF of a briefing; 404 while it has none."""
    _require_reader(request.auth)
    briefing = selectors.briefing_list_all().filter(pk=briefing_id).first()
    if briefing is None or not _has_pdf(briefing):
        raise Http404(_("This briefing has no PDF yet."))
    try:
        pdf = briefing.file.open("rb")
    except FileNotFoundError:
        # The row says published but the file is gone from storage: an operations fault
        # to fix, logged as such; the caller learns only that there is no PDF.
        logger.error("Briefing %s: PDF %s missing from storage", briefing.pk, briefing.file.name)
        raise Http404(_("This briefing has no PDF yet.")) from None
    response = FileResponse(
        pdf,
        as_attachment=True,
        filename=f"{briefing.kind}-{briefing.period}-v{briefing.version}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    services.briefing_download_record(request, fmt="pdf", briefing=briefing)
    return response


@router.get(
    "/projects/{code}/brief.pdf",
    response=errors(401, 403, 404, 422),
    summary="A project's one-page brief (PDF)",
    operation_id="project_brief_pdf",
    url_name="project_brief_pdf",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The brief: one A4 page.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def project_brief_pdf(
    request: HttpRequest,
    code: str = Path(..., min_length=1, max_length=30, pattern=r"^[^\x00/]+$", example="GX-001"),
):
    """The project's 项目简报 as of today, as on the project page: a project manager's own
    projects (404 for others), every project for officials and leaders; 403 for the
    roles that read no brief (departments)."""
    today = timezone.localdate()
    project = project_briefs.brief_project(request.auth, code, as_of=today)
    return brief_views.brief_response(
        request, project_briefs.project_brief(request.auth, project, today)
    )
