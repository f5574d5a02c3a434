"""Views of the round for officials and leaders: round_index, round_detail, round_export,
check_queue, report_detail, report_accept, report_return.

Officials (and admins) check the reports (审核: accept or return with a reason); leaders
read the rounds, their rates and the late reporters. Every view asks the permission
layer first; the writes are the services' (`inspections.rounds.services`)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from hitech_zone import dates, permissions, spreadsheets
from hitech_zone.forms import InputRulesMixin
from hitech_zone.permissions import Role
from inspections.models import IssueCategory, MonthlyReport, ReportingRound
from inspections.rounds import exports, selectors, services
from projects.models import Milestone

State = MonthlyReport.State
# Who reads the rounds (every project's reports); who checks them.
READERS = tuple(permissions.ROUND_READERS)
CHECKERS = tuple(permissions.ROUND_CHECKERS)
ROUNDS_PER_PAGE = 24
REPORTS_PER_PAGE = 50
EARLIEST_YEAR, LATEST_YEAR = dates.EARLIEST.year, dates.LATEST.year


class _CheckForm(InputRulesMixin, forms.Form):
    # The version the official saw: a report changed since is refused, not checked blind.
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean(self):
        # A hidden field's error would show nowhere: say it above the form.
        if "version" in self.errors:
            self.add_error(None, gettext("This form is out of date: open the report again."))
        return super().clean()


class AcceptForm(_CheckForm):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(_CheckForm):
    # Required by the service (its message), so there is one rule and one wording.
    reason = forms.CharField(
        label=_("Reason for return"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _round_or_404(year: int, month: int) -> ReportingRound:
    # A number out of range is no round (and too large for the database to compare).
    if not (EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12):
        raise Http404(gettext("No such round."))
    return get_object_or_404(ReportingRound, year=year, month=month)


@require_GET
def round_index(request: HttpRequest) -> HttpResponse:
    """The rounds, newest first, each with its counts and rates. A project manager has
    their own page of reports to fill: they are sent there."""
    if not permissions.has_role(request.user, *READERS):
        if permissions.has_role(request.user, Role.PROJECT_MANAGER):
            return redirect("round_my_reports")
        raise PermissionDenied(gettext("The monthly rounds are for zone officials and leaders."))
    page = Paginator(selectors.round_list(), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.round_counts_by_round(user=request.user, rounds=list(page.object_list))
    empty = selectors.RoundCounts(0, 0, 0, 0, 0)
    rows = [(round_, counts.get(round_.pk, empty)) for round_ in page.object_list]
    can_check = permissions.has_role(request.user, *CHECKERS)
    return render(
        request,
        "rounds/round_index.html",
        {
            "page": page,
            "rows": rows,
            "can_check": can_check,
            "awaiting": (
                selectors.reports(user=request.user).filter(state=State.SUBMITTED).count()
                if can_check
                else None
            ),
        },
    )


@require_GET
@vary_on_headers("HX-Request")
def round_detail(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """One round: 已报 / 未报 / 退回 / 已审, 填报率 and 审核率, the late reporters by name and
    the reports, a page at a time. A fixed number of queries whatever the round's size."""
    permissions.require_role(request.user, *READERS)
    round_ = _round_or_404(year, month)
    today = timezone.localdate()
    reports = (
        selectors.reports(user=request.user, round_=round_)
        .select_related("checked_by")
        .order_by("project__code")
    )
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"round": round_, "page": page, "today": today}
    if request.htmx and not request.htmx.boosted:
        return render(request, "rounds/round_detail.html#report-table", context)
    late = selectors.late_reporters(user=request.user, round_=round_, today=today)
    context |= {
        "counts": selectors.round_counts(user=request.user, round_=round_),
        "late": late,
        "still_missing": sum(1 for row in late if not row.submitted_late),
        "can_check": permissions.has_role(request.user, *CHECKERS),
    }
    return render(request, "rounds/round_detail.html", context)


@require_GET
def round_export(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Every report of the round as .xlsx, recorded in the audit log."""
    permissions.require_role(request.user, *READERS)
    round_ = _round_or_404(year, month)
    today = timezone.localdate()
    late = selectors.late_reporters(user=request.user, round_=round_, today=today)
    reports = (
        selectors.reports(user=request.user, round_=round_)
        .select_related("checked_by")
        .prefetch_related("project__managers")
        .order_by("project__code")
    )
    return spreadsheets.download(
        exports.round_sheet(
            round_, reports, workdays_late={row.report.pk: row.workdays_late for row in late}
        ),
        request=request,
        filename=f"monthly-reports-{round_.year}-{round_.month:02d}",
        fmt="xlsx",
    )


def _queue_context(request: HttpRequest, **extra) -> dict:
    # A page at a time: a province's queue on the 6th holds thousands of reports.
    page = Paginator(
        selectors.awaiting_check_reports(user=request.user), REPORTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return {
        "page": page,
        "rows": selectors.queue_rows(list(page.object_list)),
        "jump_factor": settings.REPORT_JUMP_FACTOR,
        **extra,
    }


@require_GET
@vary_on_headers("HX-Request")
def check_queue(request: HttpRequest) -> HttpResponse:
    """Reports awaiting check, oldest first, each beside last month's figure and the plans,
    with a flag on a figure far above its monthly plan."""
    permissions.require_role(request.user, *CHECKERS)
    context = _queue_context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "rounds/queue.html#queue-table", context)
    return render(request, "rounds/queue.html", context)


def _reached_milestones(report: MonthlyReport) -> list[tuple[Milestone | None, str]]:
    if not report.milestones_reached:
        return []
    ids = [int(pk) for pk in report.milestones_reached]
    named = {
        milestone.pk: milestone
        for milestone in Milestone.objects.filter(project_id=report.project_id, pk__in=ids)
    }
    return [(named.get(int(pk)), day) for pk, day in sorted(report.milestones_reached.items())]


def _problems(report: MonthlyReport) -> list[dict]:
    if not report.problems:
        return []
    names = dict(IssueCategory.objects.values_list("code", "name"))
    return [
        {
            "category": names.get(problem.get("category"), problem.get("category", "")),
            "description": problem.get("description", ""),
            "issue": problem.get("issue"),
        }
        for problem in report.problems
    ]


def _report_context(
    request: HttpRequest,
    report: MonthlyReport,
    *,
    accept_form: AcceptForm | None = None,
    return_form: ReturnForm | None = None,
    error: str = "",
    opened: str = "",
) -> dict:
    """The report as submitted and, for an official on a submitted report they did not
    submit themselves, the two check forms (fresh ones unless given back with errors)."""
    user = request.user
    checkable = (
        permissions.has_role(user, *CHECKERS)
        and report.state == State.SUBMITTED
        and report.submitted_by_id != user.pk
    )
    initial = {"version": report.version}
    return {
        "report": report,
        "row": selectors.queue_rows([report])[0],
        "steps": list(report.steps.all()),
        "photos": list(report.photos.all()),
        "milestones": _reached_milestones(report),
        "problems": _problems(report),
        "can_read_rounds": permissions.has_role(user, *READERS),
        "own_submission": permissions.has_role(user, *CHECKERS)
        and report.state == State.SUBMITTED
        and report.submitted_by_id == user.pk,
        "may_fill": report.state in (State.DRAFT, State.RETURNED)
        and permissions.has_role(user, Role.PROJECT_MANAGER)
        and permissions.can(user, permissions.Action.EDIT, report.project),
        "accept_form": (accept_form or AcceptForm(prefix="accept", initial=initial))
        if checkable
        else None,
        "return_form": (return_form or ReturnForm(prefix="return", initial=initial))
        if checkable
        else None,
        "error": error,
        "opened": opened,
    }


@require_GET
@vary_on_headers("HX-Request")
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report as submitted, its steps, and the check forms for officials. A project
    manager sees their own projects' reports; another's answers 404."""
    permissions.require_role(request.user, *READERS, Role.PROJECT_MANAGER)
    report = selectors.report_get(user=request.user, pk=pk)
    template = "rounds/report_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#report-panel"
    return render(request, template, _report_context(request, report))


def _check(request: HttpRequest, pk: int, *, step: str) -> HttpResponse:
    """Accept or return (`step`) with the version the official saw. A refusal (someone
    checked it first, it changed since, or it is their own submission) comes back to the
    report with the reason and the report as it now is; missing input keeps what was typed."""
    permissions.require_role(request.user, *CHECKERS)
    report = selectors.report_get(user=request.user, pk=pk)
    from_queue = request.POST.get("from") == "queue"
    form_class, prefix = (AcceptForm, "accept") if step == "accept" else (ReturnForm, "return")
    form = form_class(request.POST, prefix=prefix)
    status, error = 422, ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == "accept":
                checked = services.report_accept(
                    report=report,
                    by=request.user,
                    expected_version=data["version"],
                    comment=data["comment"],
                )
                done = gettext("Report of %(project)s for %(round)s accepted.")
            else:
                checked = services.report_return(
                    report=report,
                    by=request.user,
                    reason=data["reason"],
                    expected_version=data["version"],
                )
                done = gettext("Report of %(project)s for %(round)s returned to its manager.")
        except (services.ReportRefused, PermissionDenied) as refused:
            status, error, form = 409, str(refused), None
        except ValidationError as invalid:
            # The reason missing, or a figure the register refuses (the whole step undone).
            given = (
                invalid.message_dict.items()
                if hasattr(invalid, "error_dict")
                else [(None, invalid.messages)]
            )
            for field, errors in given:
                form.add_error(field if field in form.fields else None, errors)
        else:
            done %= {"project": checked.project.name, "round": checked.round.label}
            if request.htmx and from_queue:
                return render(
                    request, "rounds/queue.html#queue-table", _queue_context(request, done=done)
                )
            if not request.htmx:
                messages.success(request, done)
                if from_queue:
                    return redirect("round_check_queue")
                return redirect("round_report", pk=pk)
            report = selectors.report_get(user=request.user, pk=pk)
            context = _report_context(request, report)
            return render(
                request, "rounds/report_detail.html#report-panel", {**context, "done": done}
            )
    if request.htmx and from_queue:
        context = _queue_context(request, error=error, failed=pk, failed_form=form)
        return render(request, "rounds/queue.html#queue-table", context, status=status)
    if status == 409:
        # The report as it is now: checked by someone else, or changed since it was read.
        report = selectors.report_get(user=request.user, pk=pk)
    forms_given = {"accept_form": form} if step == "accept" else {"return_form": form}
    context = _report_context(
        request, report, error=error, opened=step if form is not None else "", **forms_given
    )
    template = "rounds/report_detail.html"
    if request.htmx:
        template += "#report-panel"
    return render(request, template, context, status=status)


@require_POST
def report_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _check(request, pk, step="accept")


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _check(request, pk, step="return")
