"""Views of the round for project managers: my_reports, report_fill, report_correct,
report_photo_file.

A manager fills the reports of their own projects (officials and admins, who may change
every project, may too); a report of another's project answers 404. The form keeps every
entry when it is refused, whatever refused it (the input, the service, a stale copy), and
says why at the top. It works as a plain form; htmx adds the draft saved as one types."""

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hitech_zone import permissions
from hitech_zone.permissions import Action
from inspections import photos as photo_store
from inspections.models import IssueCategory, MonthlyReport, MonthlyReportPhoto
from inspections.rounds import selectors, services
from inspections.rounds.forms import CorrectForm, ReportForm
from projects.models import Milestone

State = MonthlyReport.State
FILLABLE = (State.DRAFT, State.RETURNED)
# Submitted and accepted reports listed under "recently reported".
RECENT_LIMIT = 24
TEMPLATE = "rounds/fill_report.html"


@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    """The reports this user has to fill (not reported, or returned), and those reported
    lately with their state. A manager sees their own projects'; an official every one."""
    recent = (
        selectors.reports(user=request.user)
        .filter(state__in=(State.SUBMITTED, State.ACCEPTED))
        .order_by("-submitted_at", "-pk")[:RECENT_LIMIT]
    )
    return render(
        request,
        "rounds/my_reports.html",
        {
            "open_reports": list(selectors.my_open_reports(user=request.user)),
            "recent_reports": list(recent),
            "today": timezone.localdate(),
        },
    )


def _report(request: HttpRequest, pk: int) -> MonthlyReport:
    """The report if the user may change its project: 404 when it is not theirs to see,
    403 when they may only read it (a leader)."""
    return selectors.report_get(user=request.user, pk=pk, action=Action.EDIT)


def _milestones(report: MonthlyReport) -> list[Milestone]:
    """The project's open milestones, and those this report already says were reached."""
    reached = [int(pk) for pk in report.milestones_reached or {}]
    return list(
        Milestone.objects.filter(project_id=report.project_id).filter(
            Q(actual_date__isnull=True) | Q(pk__in=reached)
        )
    )


def _form(report: MonthlyReport, data=None, files=None) -> ReportForm:
    return ReportForm(
        data,
        files,
        report=report,
        milestones=_milestones(report),
        accepted_before=selectors.accepted_before(report),
        photo_slots=max(0, photo_store.REPORT_PHOTO_MAX - len(report.photos.all())),
    )


def _raised_problems(report: MonthlyReport) -> list[dict]:
    raised = [problem for problem in report.problems or [] if problem.get("issue")]
    if not raised:
        return []
    names = dict(IssueCategory.objects.values_list("code", "name"))
    return [{**problem, "category_name": names.get(problem["category"], "")} for problem in raised]


def _context(
    report: MonthlyReport,
    *,
    form: ReportForm | None = None,
    correct_form: CorrectForm | None = None,
    error: str = "",
) -> dict:
    fillable = report.state in FILLABLE
    if fillable and form is None:
        form = _form(report)
    accepted_before = form.accepted_before if form else selectors.accepted_before(report)
    photos = list(report.photos.all())
    return {
        "report": report,
        "round": report.round,
        "project": report.project,
        "fillable": fillable,
        "form": form if fillable else None,
        "error": error,
        "accepted_before": accepted_before,
        "cumulative": accepted_before + (report.completed_amount or Decimal(0)),
        "photos": photos,
        "photo_max": photo_store.REPORT_PHOTO_MAX,
        "raised_problems": _raised_problems(report),
        "steps": list(report.steps.all()),
        "correct_form": (correct_form or CorrectForm(initial={"version": report.version}))
        if report.state == State.ACCEPTED
        else None,
    }


def _page(
    request: HttpRequest, report: MonthlyReport, *, status: int = 200, **context
) -> HttpResponse:
    template = TEMPLATE
    if request.htmx and not request.htmx.boosted:
        template += "#report-panel"
    return render(request, template, _context(report, **context), status=status)


def _apply_errors(form: ReportForm, invalid: ValidationError) -> None:
    if not hasattr(invalid, "error_dict"):
        form.add_error(None, invalid.messages)
        return
    for field, errors in invalid.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _posted_key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("submission_key", ""))
    except ValueError:
        return None


def _submitted_with(report_pk: int, key: uuid.UUID | None) -> bool:
    """Whether this very submission (its key) already went through: a double tap, or a
    retry after a lost answer."""
    if key is None:
        return False
    return MonthlyReport.objects.filter(
        pk=report_pk, state__in=(State.SUBMITTED, State.ACCEPTED), submission_key=key
    ).exists()


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def report_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """月报填报: the form (GET), a draft saved (保存草稿) or the report submitted for
    checking (提交审核) (POST). A submitted or accepted report is shown read-only."""
    report = _report(request, pk)
    if request.method == "GET":
        return _page(request, report)
    if request.htmx and request.POST.get("autosave"):
        return _autosave(request, report)
    submit = request.POST.get("action") == "submit"
    form = _form(report, request.POST, request.FILES)
    if report.state not in FILLABLE:
        if submit and _submitted_with(report.pk, _posted_key(request)):
            return redirect("round_report_fill", pk=report.pk)
        message = gettext("This report is %(state)s: it cannot be changed now.") % {
            "state": report.get_state_display()
        }
        return _page(request, report, status=409, error=message)
    if not form.is_valid():
        return _page(request, report, status=422, form=form)
    data = form.cleaned_data
    try:
        saved = services.report_save(
            report=report,
            by=request.user,
            expected_version=data["version"],
            **form.report_values(),
        )
    except services.ReportRefused as refused:
        if submit and _submitted_with(report.pk, data["submission_key"]):
            return redirect("round_report_fill", pk=report.pk)
        return _refused(request, report.pk, form, str(refused))
    except ValidationError as invalid:
        _apply_errors(form, invalid)
        return _page(request, report, status=422, form=form)
    form.keep_version(saved.version)
    stored, rejected = photo_store.attach_report_photos(
        saved, data["photos"], keep_location=data["keep_location"]
    )
    if rejected:
        for rejection in rejected:
            form.add_error("photos", rejection.message)
        fresh = _report(request, pk)
        return _page(request, fresh, status=422, form=_rebound(fresh, form))
    if not submit:
        removed = _photo_removed(request, saved)
        if removed is not None:
            return removed
        messages.success(request, _saved_message(saved, len(stored)))
        return redirect("round_report_fill", pk=report.pk)
    try:
        services.report_submit(
            report=saved,
            by=request.user,
            expected_version=saved.version,
            submission_key=data["submission_key"],
        )
    except services.ReportRefused as refused:
        return _refused(request, report.pk, form, str(refused))
    except ValidationError as invalid:
        fresh = _report(request, pk)
        form = _rebound(fresh, form)
        _apply_errors(form, invalid)
        form.add_error(
            None, gettext("Your entries are saved as a draft; the report is not submitted yet.")
        )
        return _page(request, fresh, status=422, form=form)
    messages.success(
        request,
        gettext("Report for %(round)s submitted for checking.") % {"round": saved.round.label},
    )
    return redirect("round_report_fill", pk=report.pk)


def _photo_removed(request: HttpRequest, report: MonthlyReport) -> HttpResponse | None:
    """The photo's 删除 button posts the whole form, so the entries are saved as a draft
    first and nothing typed is lost; then the photo goes."""
    try:
        photo_id = int(request.POST.get("remove_photo", ""))
    except ValueError:
        return None
    try:
        services.report_photo_remove(report=report, photo_id=photo_id, by=request.user)
    except services.ReportRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, gettext("Photo removed; your entries are saved as a draft."))
    return redirect("round_report_fill", pk=report.pk)


def _rebound(report: MonthlyReport, form: ReportForm) -> ReportForm:
    """The same entries and errors, on the report as it is now (its photos, its version)."""
    again = _form(report, form.data, form.files)
    again.full_clean()
    again._errors = form.errors
    return again


def _saved_message(report: MonthlyReport, photo_count: int) -> str:
    when = timezone.localtime(report.updated_at).strftime("%H:%M")
    if photo_count:
        return gettext("Draft saved at %(time)s with %(count)s new photos.") % {
            "time": when,
            "count": photo_count,
        }
    return gettext("Draft saved at %(time)s.") % {"time": when}


def _refused(request: HttpRequest, pk: int, form: ReportForm, message: str) -> HttpResponse:
    """The service refused (someone returned, accepted or saved the report meanwhile): the
    report as it now is, with the user's entries kept in the form while it may be filled."""
    fresh = _report(request, pk)
    if fresh.state in FILLABLE:
        form.keep_version(fresh.version)
        form = _rebound(fresh, form)
    return _page(request, fresh, status=409, form=form, error=message)


def _autosave(request: HttpRequest, report: MonthlyReport) -> HttpResponse:
    """The draft saved as the user types (htmx, without the photos): a line of status and
    the new version for the form, so the next save is not taken for a stale one."""
    if report.state not in FILLABLE:
        return render(
            request,
            "rounds/_report_form_saved.html",
            {"message": gettext("Draft not saved: the report is no longer open.")},
            status=409,
        )
    form = _form(report, request.POST)
    if not form.is_valid():
        return render(
            request,
            "rounds/_report_form_saved.html",
            {"message": gettext("Draft not saved yet: some entries need checking.")},
        )
    try:
        saved = services.report_save(
            report=report,
            by=request.user,
            expected_version=form.cleaned_data["version"],
            **form.report_values(),
        )
    except services.ReportRefused as refused:
        return render(
            request, "rounds/_report_form_saved.html", {"message": str(refused)}, status=409
        )
    except ValidationError:
        return render(
            request,
            "rounds/_report_form_saved.html",
            {"message": gettext("Draft not saved yet: some entries need checking.")},
        )
    return render(
        request,
        "rounds/_report_form_saved.html",
        {
            "message": gettext("Draft saved at %(time)s.")
            % {"time": timezone.localtime(saved.updated_at).strftime("%H:%M:%S")},
            "version": saved.version,
        },
    )


@require_POST
def report_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """更正: open an accepted report again with the reason, and back to its form."""
    report = _report(request, pk)
    form = CorrectForm(request.POST)
    if form.is_valid():
        try:
            services.report_reopen(
                report=report,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except services.ReportRefused as refused:
            fresh = _report(request, pk)
            return _page(request, fresh, status=409, error=str(refused))
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, gettext("The report is open again: correct it and submit it again.")
            )
            return redirect("round_report_fill", pk=report.pk)
    return _page(request, report, status=422, correct_form=form)


@require_GET
def report_photo_file(request: HttpRequest, pk: int, size: str) -> FileResponse:
    """A report photo, only for users who may see its project; never a public URL."""
    if size not in ("full", "thumb"):
        raise Http404
    photo = permissions.get_for(request.user, MonthlyReportPhoto.objects.all(), pk=pk)
    field = photo.thumbnail if size == "thumb" else photo.image
    if not field:
        raise Http404
    response = FileResponse(
        field.open("rb"), content_type="image/jpeg" if field.name.endswith(".jpg") else None
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
