import uuid
from datetime import timedelta

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
from hitech_zone.forms import error_summary, without_control_characters
from hitech_zone.permissions import Action, Role
from inspections import deadlines, exports, photos, selectors, services, workdays
from inspections.filters import IssueFilterSet, VisitFilterSet
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


def _submission_key(form: SiteVisitForm) -> uuid.UUID | None:
    # The form's data, as its own field reads it (invisible characters taken out).
    try:
        return uuid.UUID(str(form.data.get("submission_key", "")))
    except ValueError:
        return None


def _visit_form_page(
    request: HttpRequest, form, issue_forms, *, held=(), draft=None, status: int = 200
) -> HttpResponse:
    """The visit form, with a summary of every error at its top (linked to the field) and
    the photos held from an earlier submission."""
    summary = error_summary(form)
    for number, issue_form in enumerate(issue_forms, start=1):
        row = gettext("Issue %(number)s") % {"number": number}
        summary += [
            (anchor, f"{row} · {label}" if label else row, message)
            for anchor, label, message in error_summary(issue_form)
        ]
    return render(
        request,
        "inspections/visit_form.html",
        {
            "form": form,
            "issue_forms": issue_forms,
            "draft": draft,
            "summary": summary,
            "held_photos": [photo.name for photo in held],
        },
        status=status,
    )


def _hold_photos(request: HttpRequest, form, submission_key, files) -> list:
    """Keep the acceptable new photos with those held before; name the refused ones on the
    photos field, in place of any message about them already there."""
    held, refused = photos.hold_photos(by=request.user, submission_key=submission_key, files=files)
    if refused:
        form.errors.pop("photos", None)
        form.add_error("photos", [str(rejection) for rejection in refused])
    return held


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
        # Photos that passed an earlier submission of this form, kept server-side.
        submission_key = _submission_key(form)
        held = (
            photos.held_photos(by=request.user, submission_key=submission_key)
            if submission_key
            else []
        )
        new_photos = request.FILES.getlist("photos")
        if form.is_valid() and all(issue_form.is_valid() for issue_form in issue_forms):
            data = form.cleaned_data
            try:
                with photos.opened(held) as held_files:
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
                        photos=[*held_files, *data["photos"]],
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
                # A photo refused for what it is: the others are kept. Refused for want of
                # space, or past the limit: nothing more is written.
                if new_photos and photos.refused_uploads(new_photos):
                    held = _hold_photos(request, form, submission_key, new_photos)
            else:
                photos.release_held_photos(by=request.user, submission_key=data["submission_key"])
                if recorded.created:
                    messages.success(request, gettext("Visit recorded."))
                return redirect("visit_detail", pk=recorded.visit.pk)
        elif submission_key and new_photos:
            # The form comes back for another reason: its photos need not be chosen again.
            held = _hold_photos(request, form, submission_key, new_photos)
        return _visit_form_page(request, form, issue_forms, held=held, status=422)
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
        # The draft's submission key is the form's again: so are the photos held for it.
        held = photos.held_photos(by=request.user, submission_key=draft.submission_key)
        return _visit_form_page(request, form, issue_forms, held=held, draft=draft)
    initial = {}
    if code := request.GET.get("project"):
        # No code has a NUL in it, and PostgreSQL refuses to even compare one.
        initial["project"] = projects.filter(code=code).first() if "\x00" not in code else None
    elif len(only := projects[:2]) == 1:
        initial["project"] = only[0]
    form = SiteVisitForm(projects=projects, initial=initial)
    issue_forms = [IssueRowForm(prefix=f"issue-{index}") for index in range(ISSUE_ROWS)]
    return _visit_form_page(request, form, issue_forms)


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


# ---------------------------------------------------------------- the list of visits

VISIT_PAGE_SIZE = 30


def _require_visit_list(request: HttpRequest) -> None:
    # Asked before the cached fragment is looked up, so a cached page is never the answer.
    if not permissions.can(request.user, "visit_list"):
        raise PermissionDenied(gettext("Your role sees no projects, so no visits."))


def _visit_register(request: HttpRequest):
    """The visits the user may see, filtered as asked; without a date in the query, this
    month's (the dates as the form shows them, so a link or an export says the same). An
    empty date, submitted, means no bound on that side."""
    data = request.GET.copy()
    if "visited_from" not in data and "visited_to" not in data:
        today = timezone.localdate()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        data["visited_from"], data["visited_to"] = first.isoformat(), last.isoformat()
    filterset = VisitFilterSet(
        data, queryset=selectors.visit_list(user=request.user), user=request.user
    )
    return data, filterset


@require_GET
@vary_on_headers("HX-Request")
def visit_list(request: HttpRequest) -> HttpResponse:
    """This month's visits (or the dates asked for), newest first, filtered by project,
    park and visitor; the filter form swaps the table in with htmx and works as a plain
    GET form."""
    _require_visit_list(request)

    def content() -> dict:
        data, filterset = _visit_register(request)
        filterset.for_page()
        page = Paginator(filterset.qs, VISIT_PAGE_SIZE).get_page(request.GET.get("page"))
        return {"filterset": filterset, "page": page, "query": data.urlencode()}

    return fragments.page(request, "inspections/visit_list.html", content, partial="visit-table")


@require_GET
def visit_export(request: HttpRequest) -> HttpResponse:
    """The list of visits as filtered, every page, as .xlsx."""
    _require_visit_list(request)
    _data, filterset = _visit_register(request)
    return spreadsheets.download(
        exports.visit_sheet(filterset.qs),
        request=request,
        filename=f"visits-{timezone.localdate():%Y%m%d}",
        fmt="xlsx",
    )
