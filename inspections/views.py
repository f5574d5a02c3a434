import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hitech_zone import fragments, permissions, spreadsheets
from hitech_zone.forms import without_control_characters
from hitech_zone.permissions import Action, Role
from inspections import deadlines, exports, selectors, services, workdays
from inspections.filters import IssueFilterSet
from inspections.forms import IssueRowForm, SiteVisitForm, TransitionForm
from inspections.models import Department, Issue, Notification, SiteVisit, VisitPhoto
from projects.models import Project

PAGE_SIZE = 30
ISSUE_ROWS = 3
# What a draft keeps: the visit form's own fields, nothing else that comes with them.
DRAFT_FIELDS = frozenset(
    [
        *SiteVisitForm.base_fields,
        *(
            f"issue-{index}-{name}"
            for index in range(ISSUE_ROWS)
            for name in IssueRowForm.base_fields
        ),
    ]
)


def _issue_register(request: HttpRequest):
    today = timezone.localdate()
    filterset = IssueFilterSet(
        request.GET,
        queryset=selectors.issue_list(user=request.user, as_of=today),
        user=request.user,
    )
    return today, filterset


@require_GET
@vary_on_headers("HX-Request")
def issue_list(request: HttpRequest) -> HttpResponse:
    def content() -> dict:
        today, filterset = _issue_register(request)
        filterset.for_page()
        # Overdue first, by deadline, then the rest by deadline: one deadline order (NULLs,
        # just raised, last), which the issue_list_order_idx index serves.
        issues = filterset.qs.order_by(F("deadline").asc(nulls_last=True), "-raised_at")
        page = Paginator(issues, PAGE_SIZE).get_page(request.GET.get("page"))
        calendar = workdays.WorkdayCalendar()
        page.object_list = deadlines.with_deadline_states(
            page.object_list, today=today, calendar=calendar
        )
        rates = selectors.closure_rate_tables(
            permissions.scope(request.user, Issue.objects.all()),
            by=("department", "category"),
        )
        return {
            "filterset": filterset,
            "page": page,
            "today": today,
            "calendar_warning": deadlines.calendar_warning(
                page.object_list, today=today, calendar=calendar
            ),
            "rates_by_department": rates["department"],
            "rates_by_category": rates["category"],
        }

    return fragments.page(request, "inspections/issue_list.html", content, partial="issue-table")


@require_GET
def issue_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The issue list's current view, as .xlsx or CSV."""
    today, filterset = _issue_register(request)
    return spreadsheets.download(
        exports.issue_sheet(filterset.qs.order_by("project__code", "raised_at")),
        request=request,
        filename=f"issues-{today:%Y%m%d}",
        fmt=fmt,
    )


def _issue_context(
    request: HttpRequest, issue: Issue, *, form: TransitionForm | None = None, error: str = ""
) -> dict:
    """`form` is the step form the user submitted (prefixed with the step's name); every
    other step gets a fresh form of its own, so ids and errors never mix."""
    today = timezone.localdate()
    calendar = workdays.WorkdayCalendar()
    deadlines.with_deadline_states([issue], today=today, calendar=calendar)
    initial = {"department": issue.department_id, "deadline": issue.deadline, "owner": issue.owner}
    transition_forms = [
        (
            transition,
            form
            if form is not None and form.prefix == transition.name
            else TransitionForm(prefix=transition.name, initial=initial),
        )
        for transition in services.allowed_transitions(issue, request.user)
    ]
    return {
        "issue": issue,
        "timeline": selectors.issue_timeline(issue),
        "transition_forms": transition_forms,
        "submitted": form.prefix if form is not None else "",
        "error": error,
        "today": today,
        "calendar_warning": deadlines.calendar_warning([issue], today=today, calendar=calendar),
    }


@require_GET
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    issue = permissions.get_for(
        request.user,
        Issue.objects.select_related("project", "department", "raised_by", "category"),
        pk=pk,
    )
    return render(request, "inspections/issue_detail.html", _issue_context(request, issue))


@require_POST
def issue_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    issue = permissions.get_for(
        request.user, Issue.objects.select_related("project", "department", "category"), pk=pk
    )
    form = TransitionForm(request.POST, prefix=name)
    status, error = 200, ""
    if form.is_valid():
        try:
            issue = services.issue_transition(
                issue=issue,
                name=name,
                by=request.user,
                comment=form.cleaned_data["comment"],
                department=form.cleaned_data["department"],
                deadline=form.cleaned_data["deadline"],
                owner=form.cleaned_data["owner"],
                result=form.cleaned_data["result"],
            )
        except services.TransitionRefused as refused:
            status, error = 409, str(refused)
        except PermissionDenied as denied:
            status, error = 403, str(denied)
        except ValidationError as invalid:
            for field, messages_ in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
            status = 422
        else:
            saved = gettext("Step recorded: %(status)s.") % {"status": issue.get_status_display()}
            next_url = request.POST.get("next", "")
            # A path on this site only: redirect() would take other text for a view name.
            if next_url.startswith("/") and url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}
            ):
                # From the board: back to it (htmx follows the redirect and swaps the board).
                messages.success(request, saved)
                return redirect(next_url)
            if not request.htmx:
                messages.success(request, saved)
                return redirect("issue_detail", pk=issue.pk)
            form = None
            error = ""
            issue = Issue.objects.select_related(
                "project", "department", "raised_by", "category"
            ).get(pk=issue.pk)
    else:
        status = 422
    context = _issue_context(request, issue, form=form, error=error)
    if request.htmx:
        return render(
            request,
            "inspections/issue_detail.html#issue-panel",
            context,
            status=200 if status == 200 else status,
        )
    return render(request, "inspections/issue_detail.html", context, status=status)


@require_GET
def department_board(request: HttpRequest) -> HttpResponse:
    """A department's open issues by state, oldest first, with one-click steps."""
    today = timezone.localdate()
    # Membership alone is not enough: the department role, which an admin can take away,
    # is what the permission layer reads.
    membership = getattr(request.user, "department_membership", None)
    if not permissions.has_role(request.user, Role.DEPARTMENT):
        membership = None
    if membership is not None:
        department = membership.department
    elif permissions.has_role(request.user, Role.OFFICIAL, Role.LEADER, Role.ADMIN):
        chosen = request.GET.get("department")
        try:
            department = (
                get_object_or_404(Department, pk=int(chosen))
                if chosen
                else Department.objects.first()
            )
        except ValueError:
            raise Http404(gettext("No such department.")) from None
    else:
        raise PermissionDenied(gettext("The board is for departments and zone officials."))
    board = (
        selectors.department_board(user=request.user, department=department, as_of=today)
        if department
        else {}
    )
    shown = [issue for issues in board.values() for issue in issues]
    calendar = workdays.WorkdayCalendar()
    deadlines.with_deadline_states(shown, today=today, calendar=calendar)
    for issue in shown:
        issue.allowed = services.allowed_transitions(issue, request.user)
    return render(
        request,
        "inspections/board.html",
        {
            "department": department,
            "departments": Department.objects.all() if membership is None else [],
            "board": [(Issue.Status(status).label, issues) for status, issues in board.items()],
            "today": today,
            "calendar_warning": deadlines.calendar_warning(shown, today=today, calendar=calendar),
        },
    )


def _editable_projects(user):
    return permissions.scope(user, Project.objects.all(), Action.EDIT).order_by("code")


@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest) -> HttpResponse:
    projects = _editable_projects(request.user)
    if not projects.exists():
        raise PermissionDenied(gettext("You have no project to record a visit for."))
    if request.method == "POST":
        form = SiteVisitForm(request.POST, request.FILES, projects=projects)
        issue_forms = [
            IssueRowForm(request.POST, prefix=f"issue-{index}") for index in range(ISSUE_ROWS)
        ]
        if form.is_valid() and all(issue_form.is_valid() for issue_form in issue_forms):
            data = form.cleaned_data
            try:
                recorded = services.site_visit_record(
                    project=data["project"],
                    visited_on=data["visited_on"],
                    by=request.user,
                    submission_key=data["submission_key"],
                    notes=data["notes"],
                    leader_instruction=data["leader_instruction"],
                    visitors=form.people(data["visitors"]),
                    contacts=form.people(data["contacts"]),
                    issues=[
                        {
                            key: issue_form.cleaned_data[key]
                            for key in ("title", "category", "severity", "description")
                        }
                        for issue_form in issue_forms
                        if issue_form.cleaned_data.get("title")
                    ],
                    photos=data["photos"],
                    keep_location=data["keep_location"],
                )
            except IntegrityError:
                # The same submission arrived twice at once; the other copy recorded it.
                visit = SiteVisit.objects.get(idempotency_key=data["submission_key"])
                return redirect("visit_detail", pk=visit.pk)
            except ValidationError as invalid:
                for field, messages_ in (
                    invalid.message_dict.items()
                    if hasattr(invalid, "error_dict")
                    else [(None, invalid.messages)]
                ):
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                if recorded.created:
                    messages.success(request, gettext("Visit recorded."))
                return redirect("visit_detail", pk=recorded.visit.pk)
        status = 422
    else:
        draft = services.visit_draft_latest(by=request.user)
        if draft is not None and "new" not in request.GET:
            # Pick up where the user left off: the draft as initial values, not yet checked.
            typed = {key: values[0] for key, values in draft.data.items() if values}
            form = SiteVisitForm(projects=projects, initial=typed)
            issue_forms = [
                IssueRowForm(
                    prefix=f"issue-{index}",
                    initial={
                        field: typed.get(f"issue-{index}-{field}")
                        for field in ("title", "category", "severity", "description")
                    },
                )
                for index in range(ISSUE_ROWS)
            ]
            return render(
                request,
                "inspections/visit_form.html",
                {"form": form, "issue_forms": issue_forms, "draft": draft},
            )
        initial = {}
        if code := request.GET.get("project"):
            # No code has a NUL in it, and PostgreSQL refuses to even compare one.
            initial["project"] = projects.filter(code=code).first() if "\x00" not in code else None
        elif len(only := projects[:2]) == 1:
            initial["project"] = only[0]
        form = SiteVisitForm(projects=projects, initial=initial)
        issue_forms = [IssueRowForm(prefix=f"issue-{index}") for index in range(ISSUE_ROWS)]
        status = 200
    return render(
        request,
        "inspections/visit_form.html",
        {"form": form, "issue_forms": issue_forms},
        status=status,
    )


@require_POST
def visit_draft(request: HttpRequest) -> HttpResponse:
    """Save the visit form as typed so far (htmx, as the user types)."""
    try:
        submission_key = uuid.UUID(request.POST.get("submission_key", ""))
    except ValueError:
        return HttpResponse(gettext("Draft not saved: reload the form."), status=400)
    if not _editable_projects(request.user).exists():
        raise PermissionDenied
    # As typed, less the characters the form refuses anyway (PostgreSQL stores no NUL).
    typed = {
        key: [without_control_characters(value) for value in values]
        for key, values in request.POST.lists()
        if key in DRAFT_FIELDS
    }
    draft = services.visit_draft_save(by=request.user, submission_key=submission_key, data=typed)
    return HttpResponse(
        gettext("Draft saved at %(time)s.")
        % {"time": timezone.localtime(draft.updated_at).strftime("%H:%M:%S")}
    )


@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = permissions.get_for(
        request.user, SiteVisit.objects.select_related("project", "created_by"), pk=pk
    )
    return render(
        request,
        "inspections/visit_detail.html",
        {
            "visit": visit,
            "participants": visit.participants.all(),
            "photos": visit.photos.all(),
            "issues": visit.issues.select_related("department"),
        },
    )


@require_GET
def photo_file(request: HttpRequest, pk: int, size: str) -> FileResponse:
    """A visit photo, only for users who may see its project; never a public URL."""
    photo = permissions.get_for(request.user, VisitPhoto.objects.all(), pk=pk)
    field = photo.thumbnail if size == "thumb" else photo.image
    if not field:
        raise Http404
    response = FileResponse(
        field.open("rb"), content_type="image/jpeg" if field.name.endswith(".jpg") else None
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.select_related("issue__project", "project")[:100]
    return render(request, "inspections/notifications.html", {"notifications": notifications})


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications")
