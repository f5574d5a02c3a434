from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from hitech_zone import fragments, permissions, spreadsheets
from hitech_zone.permissions import Action, Role
from inspections import selectors as inspection_selectors
from inspections.rounds import selectors as round_selectors
from projects import pages, progress
from projects.lights import Thresholds
from reports import briefings, charts, detection, exports, periods, selectors, services
from reports.alerts import calendar_warning as alert_calendar_warning
from reports.forms import BriefingRequestForm
from reports.models import Briefing


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The leader's one screen: totals against targets, lights, what slips, by park and sector."""
    today = timezone.localdate()
    period = progress.period_for_year(request.GET.get("year"), today)

    def content() -> dict:
        dashboard = selectors.dashboard(user=request.user, as_of=today, period=period)
        return {
            "dashboard": dashboard,
            "dashboard_charts": charts.dashboard_charts(dashboard),
            "today": today,
        }

    return fragments.page(request, "reports/dashboard.html", content)


@require_GET
def lights_explained(request: HttpRequest) -> HttpResponse:
    """How a project's light is set, with the thresholds in force."""
    return render(
        request,
        "reports/lights.html",
        {
            "thresholds": Thresholds.from_settings(),
            "projection_tolerance_days": settings.ALERT_PROJECTION_TOLERANCE_DAYS,
            "period": progress.reporting_period(timezone.localdate()),
            "deadline_day": settings.REPORTING_DEADLINE_DAY,
        },
    )


@require_GET
def project_page(request: HttpRequest, code: str) -> HttpResponse:
    """A project: facts, milestones, investment, notes and history (its own app's
    sections), with its site visits and issues beside them."""
    today = timezone.localdate()
    named = pages.project_named(request.user, code)

    def content() -> dict:
        project = pages.project_for(request.user, code, as_of=today)
        return {
            **pages.sections(request.user, project, as_of=today),
            "visits": inspection_selectors.visit_list_for_project(
                user=request.user, project_id=project.pk
            ),
            "issues": inspection_selectors.issue_list_for_project(
                user=request.user, project_id=project.pk
            ),
            "projections": selectors.milestone_projections_for_project(project_id=project.pk),
            "alerts": selectors.alert_list_open_for_project(project_id=project.pk),
            # Submitted figures not accepted yet (待审核), and the manager's report to fill.
            "round_reports": round_selectors.project_reports(project=project, user=request.user),
        }

    return fragments.page(request, "reports/project_page.html", content, context={"project": named})


# ---------------------------------------------------------------- briefings


def _require_reader(user) -> None:
    # Briefings cover every project: only those who see every project read them.
    if not permissions.sees_all_projects(user):
        raise PermissionDenied(_("Briefings are for zone officials and leaders."))


def _require_publisher(user) -> None:
    _require_reader(user)
    if not permissions.sees_all_projects(user, Action.EDIT):
        raise PermissionDenied(_("Only zone officials generate briefings."))


def _briefing_for(user, pk: int) -> Briefing:
    _require_reader(user)
    return get_object_or_404(Briefing.objects.select_related("requested_by"), pk=pk)


def _list_context(request: HttpRequest, form: BriefingRequestForm | None = None) -> dict:
    today = timezone.localdate()
    if form is None:
        last_week = periods.last_complete(periods.WEEKLY, today)
        form = BriefingRequestForm(initial={"kind": periods.WEEKLY, "period": last_week.key})
    return {
        "briefings": selectors.briefing_list(),
        "form": form,
        "can_generate": permissions.sees_all_projects(request.user, Action.EDIT),
        "subscribed": selectors.subscribed_kinds(user=request.user),
        "kinds": Briefing.Kind.choices,
        "latest_periods": {
            kind: periods.last_complete(kind, today) for kind in (periods.WEEKLY, periods.MONTHLY)
        },
        "monthly_workdays_after_deadline": settings.BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE,
    }


@require_GET
@vary_on_headers("HX-Request")
def briefing_list(request: HttpRequest) -> HttpResponse:
    """Every briefing for download, the "generate now" form, and the reader's e-mail
    subscriptions."""
    _require_reader(request.user)
    template = "reports/briefing_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#briefing-table"
    return render(request, template, _list_context(request))


@require_POST
def briefing_generate(request: HttpRequest) -> HttpResponse:
    """Queue a briefing for a period and follow its progress. Asking twice joins the job
    already queued; asking for a published period issues its next version."""
    _require_publisher(request.user)
    form = BriefingRequestForm(request.POST)
    if not form.is_valid():
        template = "reports/briefing_list.html"
        if request.htmx:
            template += "#generate-form"
        return render(request, template, _list_context(request, form), status=422)
    requested = services.briefing_request(
        kind=form.cleaned_data["kind"],
        period=form.cleaned_data["period"],
        trigger=Briefing.Trigger.MANUAL,
        by=request.user,
        reissue_reason=form.cleaned_data["reissue_reason"],
    )
    briefing = requested.briefing
    if request.htmx:
        return render(
            request,
            "reports/briefing_detail.html#briefing-status",
            {**_status_context(request, briefing), "joined": not requested.created},
        )
    if not requested.created:
        if selectors.briefing_mark_stuck(briefing).retryable:
            # Joining a render whose worker is gone would wait for nothing: offer the retry.
            messages.warning(
                request,
                _("This briefing's render has stalled; queue it again below."),
            )
        else:
            messages.info(request, _("This briefing was already being prepared; here it is."))
    return redirect("briefing_detail", pk=briefing.pk)


def _status_context(request: HttpRequest, briefing: Briefing) -> dict:
    return {
        "briefing": selectors.briefing_mark_stuck(briefing),
        "waits_for_broker": selectors.briefing_waits_for_broker(briefing=briefing),
        "can_generate": permissions.sees_all_projects(request.user, Action.EDIT),
    }


@require_GET
@vary_on_headers("HX-Request")
def briefing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One briefing: its progress while it renders (htmx polls the status partial), then
    its download, hashes and, for a re-issue, what changed."""
    briefing = _briefing_for(request.user, pk)
    template = "reports/briefing_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#briefing-status"
    return render(
        request,
        template,
        {
            **_status_context(request, briefing),
            "versions": selectors.briefing_versions(briefing=briefing),
        },
    )


@require_POST
def briefing_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue again a briefing stuck past its lease or stalled past its expected time; any
    other is refused, with why."""
    _require_publisher(request.user)
    briefing = get_object_or_404(Briefing, pk=pk)
    refusal = ""
    try:
        briefing = services.briefing_retry(briefing_id=briefing.pk, by=request.user)
    except services.BriefingNotStuck as error:
        refusal = str(error)
    if request.htmx:
        return render(
            request,
            "reports/briefing_detail.html#briefing-status",
            {**_status_context(request, briefing), "refusal": refusal, "retried": not refusal},
        )
    if refusal:
        messages.error(request, refusal)
    else:
        messages.success(request, _("The briefing is queued again."))
    return redirect("briefing_detail", pk=briefing.pk)


@require_GET
def briefing_download(request: HttpRequest, pk: int) -> FileResponse:
    briefing = _briefing_for(request.user, pk)
    if briefing.status != Briefing.Status.PUBLISHED or not briefing.file:
        raise Http404(_("This briefing has no PDF yet."))
    response = FileResponse(
        briefing.file.open("rb"),
        as_attachment=True,
        filename=f"{briefing.download_stem}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    services.briefing_download_record(request, fmt="pdf", briefing=briefing)
    return response


@require_GET
def briefing_register_download(request: HttpRequest, pk: int) -> FileResponse:
    """The whole register of a monthly too long to print it, as .xlsx; for the PDF's readers."""
    briefing = _briefing_for(request.user, pk)
    if briefing.status != Briefing.Status.PUBLISHED or not briefing.register_file:
        raise Http404(_("This briefing has no register spreadsheet."))
    response = FileResponse(
        briefing.register_file.open("rb"),
        as_attachment=True,
        filename=f"{briefing.download_stem}-register.xlsx",
        content_type=spreadsheets.XLSX_CONTENT_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    services.briefing_download_record(request, fmt="xlsx", briefing=briefing)
    return response


@require_GET
def briefing_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A published briefing as a web page, from the figures it was rendered from."""
    briefing = _briefing_for(request.user, pk)
    if briefing.snapshot is None:
        raise Http404(_("This briefing has no figures yet."))
    html = briefings.html_render(
        snapshot=briefing.snapshot,
        generated_at=briefing.finished_at or briefing.as_of,
        version=briefing.version,
        changes=briefing.changes,
        preview=True,
        csp_nonce=request.csp_nonce,
        preview_document=briefing.is_preview,
    )
    services.briefing_download_record(request, fmt="html", briefing=briefing)
    return HttpResponse(html)


@require_GET
def briefing_preview_live(request: HttpRequest, kind: str, period: str) -> HttpResponse:
    """What a briefing of a period would say with the figures as they are now."""
    _require_reader(request.user)
    try:
        parsed = periods.parse(kind, period)
    except periods.PeriodError as error:
        raise Http404(str(error)) from None
    now = timezone.now()
    snapshot = briefings.snapshot_build(kind=kind, period=parsed, as_of=now)
    html = briefings.html_render(
        snapshot=snapshot,
        generated_at=now,
        version=0,
        changes=[],
        preview=True,
        csp_nonce=request.csp_nonce,
    )
    services.briefing_download_record(request, fmt="html-live", kind=kind, period=period)
    return HttpResponse(html)


@require_POST
def subscription_set(request: HttpRequest) -> HttpResponse:
    _require_reader(request.user)
    kind = request.POST.get("kind", "")
    if kind not in Briefing.Kind.values:
        return HttpResponse(_("Unknown briefing type."), status=422)
    subscribed = services.subscription_set(
        user=request.user, kind=kind, subscribed=request.POST.get("subscribed") == "1"
    )
    if request.htmx:
        return render(
            request,
            "reports/briefing_list.html#subscriptions",
            _list_context(request),
        )
    label = Briefing.Kind(kind).label
    messages.success(
        request,
        (
            _("You will receive the %(kind)s by e-mail.")
            if subscribed
            else _("You will no longer receive the %(kind)s by e-mail.")
        )
        % {"kind": label},
    )
    return redirect("briefing_list")


# ---------------------------------------------------------------- alerts


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """Open alerts on the projects this user may see, worst first, with their escalation."""
    alerts = selectors.alert_list_open(user=request.user)
    return render(
        request,
        "reports/alert_list.html",
        {
            "alerts": alerts,
            "calendar_warning": alert_calendar_warning(alerts, today=timezone.localdate()),
            "can_detect": permissions.has_role(request.user, Role.OFFICIAL, Role.ADMIN),
            "last_run": selectors.slip_detect_last_run(),
            "skipped": selectors.slip_detect_last_skipped(user=request.user),
        },
    )


# Every open alert, not the first page: an export is the whole list.
ALERT_EXPORT_LIMIT = 100_000


@require_GET
def alert_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The open alerts on the projects this user may see, as .xlsx or CSV."""
    alerts = selectors.alert_list_open(user=request.user, limit=ALERT_EXPORT_LIMIT)
    return spreadsheets.download(
        exports.alert_sheet(alerts),
        request=request,
        filename=f"alerts-{timezone.localdate():%Y%m%d}",
        fmt=fmt,
    )


@require_POST
def slip_detect_now(request: HttpRequest) -> HttpResponse:
    """Run the nightly slip detection now, on a worker."""
    permissions.require_role(request.user, Role.OFFICIAL, Role.ADMIN)
    detection.slip_detect_request()
    if selectors.slip_detect_waits_for_broker():
        messages.warning(
            request,
            _(
                "The task server cannot be reached right now. Slip detection is queued and "
                "will run as soon as the server is back; there is no need to ask again."
            ),
        )
    else:
        messages.success(
            request, _("Slip detection is running; the alerts will be up to date in a moment.")
        )
    return redirect("alert_list")
