from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from hitech_zone import audit, fragments, paging, permissions, spreadsheets
from projects import exports, lights, pages, progress, selectors, services
from projects.filters import ProjectFilterSet, sort_ordering
from projects.forms import (
    MilestoneDatesForm,
    MonthlyInvestmentForm,
    ProgressNoteForm,
    ProjectImportForm,
    RebaselineForm,
    StatusForm,
)
from projects.imports import plan as import_plan
from projects.imports import services as import_services
from projects.imports import templates as import_templates
from projects.models import Milestone, Project, ProjectImport

# Rows per page of the register: the default holds a zone's key projects (28 in the
# demo's zone) on one page; the user may choose another size (?per_page=).
PAGE_SIZES = (25, 50, 100)
PAGE_SIZE = 50
# (sort key or "", heading, CSS classes) for the register's columns.
COLUMNS = [
    ("light", _("Light"), ""),
    ("code", _("Code"), "hide-phone"),
    ("name", _("Project"), ""),
    ("park", _("Park or carrier"), "hide-phone"),
    ("", _("Sector"), "hide-phone"),
    ("status", _("Status"), ""),
    ("total", _("Total (100M yuan)"), "num"),
    ("plan", _("Plan this year (10k yuan)"), "num hide-phone"),
    ("completed", _("Completed (10k yuan)"), "num hide-phone"),
    ("", _("Responsible person"), "hide-phone"),
]


def _register(request: HttpRequest):
    today = timezone.localdate()
    filterset = ProjectFilterSet(
        request.GET,
        queryset=selectors.project_list(user=request.user, as_of=today),
        user=request.user,
    )
    sort, ordering = sort_ordering(request.GET.get("sort", "code"))
    return today, filterset, sort, filterset.qs.order_by(*ordering)


def _page_size(request: HttpRequest) -> int:
    chosen = request.GET.get("per_page", "")
    return int(chosen) if chosen in {str(size) for size in PAGE_SIZES} else PAGE_SIZE


@require_GET
@vary_on_headers("HX-Request")
def project_list(request: HttpRequest) -> HttpResponse:
    def content() -> dict:
        today, filterset, sort, projects = _register(request)
        page_size = _page_size(request)
        page = Paginator(projects, page_size).get_page(request.GET.get("page"))
        page.object_list = lights.with_reasons(
            paging.page_rows(
                projects,
                offset=max(page.start_index() - 1, 0),
                limit=page.end_index() - page.start_index() + 1 if page.paginator.count else 0,
            ),
            as_of=today,
            period=progress.reporting_period(today),
        )
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("sort", None)
        return {
            "filterset": filterset,
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "columns": COLUMNS,
            "page_sizes": PAGE_SIZES,
            "page_size": page_size,
            "today": today,
            "period": progress.reporting_period(today),
        }

    return fragments.page(request, "projects/project_list.html", content, partial="project-table")


@require_GET
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The register's current view (filters and sort), in the import template's columns."""
    today, _filterset, _sort, projects = _register(request)
    return spreadsheets.download(
        exports.register_sheet(projects, period=progress.reporting_period(today)),
        request=request,
        filename=f"key-projects-{today:%Y%m%d}",
        fmt=fmt,
    )


@require_GET
def milestone_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The milestones of the projects in the register's current view."""
    today, _filterset, _sort, projects = _register(request)
    milestones = selectors.milestone_list(user=request.user, projects=projects)
    return spreadsheets.download(
        exports.milestone_sheet(milestones, as_of=today),
        request=request,
        filename=f"milestones-{today:%Y%m%d}",
        fmt=fmt,
    )


@require_GET
def investment_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The monthly figures of the projects in the register's current view, in the monthly
    import template's columns."""
    today, _filterset, _sort, projects = _register(request)
    figures = selectors.monthly_investment_list(user=request.user, projects=projects)
    return spreadsheets.download(
        exports.monthly_investment_sheet(figures),
        request=request,
        filename=f"monthly-investment-{today:%Y%m%d}",
        fmt=fmt,
    )


# ---------------------------------------------------------------- spreadsheet import


def _require_importer(request: HttpRequest) -> None:
    if not permissions.sees_all_projects(request.user, permissions.Action.EDIT):
        raise PermissionDenied(gettext("Only zone officials import spreadsheets."))


def _audit_import(
    request: HttpRequest, record: ProjectImport, *, step: str, refusal: str = ""
) -> None:
    """The audit-log entry of a dry-run preview or of applying one: the file, the outcome
    and the row counts."""
    detail = {
        "step": step,
        "import": record.pk,
        "kind": record.kind,
        "file": record.file_name,
        "status": record.status,
        "created": record.created_count,
        "updated": record.updated_count,
        "unchanged": record.unchanged_count,
        "errors": record.error_count,
    }
    if refusal or record.message:
        detail["message"] = (refusal or record.message)[:300]
    audit.audit_record(request, audit.Action.IMPORT, detail=detail)


TEMPLATE_LINKS = [
    ("register", _("Project register")),
    ("monthly", _("Monthly investment, one row per project and month")),
    ("monthly-wide", _("Monthly investment, one column per month")),
]


@require_http_methods(["GET", "POST"])
def project_import(request: HttpRequest) -> HttpResponse:
    """The upload form, the templates and past imports; an upload is read and previewed,
    and nothing is written to the register until the preview is confirmed."""
    _require_importer(request)
    status = 200
    if request.method == "POST":
        form = ProjectImportForm(request.POST, request.FILES)
        if form.is_valid():
            record = import_services.project_import_preview(
                upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"], by=request.user
            )
            _audit_import(request, record, step="preview")
            if record.status == ProjectImport.Status.PREVIEWED:
                return redirect("projects:import_preview", record.pk)
            form.add_error("file", record.message)
        status = 422
    else:
        form = ProjectImportForm()
    return render(
        request,
        "projects/import.html",
        {
            "form": form,
            "imports": selectors.project_import_list(),
            "template_links": TEMPLATE_LINKS,
        },
        status=status,
    )


@require_GET
def project_import_template(request: HttpRequest, name: str) -> HttpResponse:
    _require_importer(request)
    if name not in import_templates.TEMPLATE_NAMES:
        raise Http404(gettext("No such template."))
    content = import_templates.template_workbook(
        name, user=request.user, today=timezone.localdate()
    )
    return spreadsheets.attachment(content, filename=f"template-{name}", fmt="xlsx")


@require_GET
def project_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What the import does (or did, or why it could not): every row's action and field
    changes, and every error with its row, column and reason."""
    _require_importer(request)
    try:
        record = selectors.project_import_get(pk=pk)
    except ProjectImport.DoesNotExist:
        raise Http404(gettext("No such import.")) from None
    rows = record.plan.get("rows", [])
    labels = import_plan.column_labels(record.plan.get("plan_year"))
    for row in rows:
        for change in row["changes"]:
            change["label"] = labels.get(change["field"], change["field"])
    return render(
        request,
        "projects/import_preview.html",
        {
            "record": record,
            "errors": record.plan.get("errors", []),
            "changed": [row for row in rows if row["action"] in {"create", "update"}],
            "unchanged": [row for row in rows if row["action"] == "unchanged"],
            "examples_skipped": record.plan.get("examples_skipped", 0),
            "ignored": record.plan.get("ignored", []),
            "people": record.plan.get("people", []),
            "applied_before": ProjectImport.objects.filter(
                sha256=record.sha256, status=ProjectImport.Status.APPLIED
            )
            .exclude(pk=record.pk)
            .defer("content", "plan")
            .select_related("applied_by")
            .first(),
        },
    )


@require_POST
def project_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the previewed file, all of it or nothing, then show the outcome."""
    _require_importer(request)
    record = get_object_or_404(ProjectImport.objects.defer("content", "plan"), pk=pk)
    try:
        record = import_services.project_import_apply(
            record=record, by=request.user, create_people=request.POST.get("create_people") == "1"
        )
    except import_services.NotApplicable as refusal:
        _audit_import(request, record, step="apply", refusal=str(refusal))
        messages.error(request, str(refusal))
    else:
        _audit_import(request, record, step="apply")
        if record.status == ProjectImport.Status.APPLIED:
            messages.success(
                request,
                gettext(
                    "Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."
                )
                % {
                    "created": record.created_count,
                    "updated": record.updated_count,
                    "unchanged": record.unchanged_count,
                },
            )
        else:
            messages.error(request, record.message)
    return redirect("projects:import_preview", pk)


def _conflict_message(conflict: services.ConflictError) -> str:
    lines = [
        gettext("%(user)s changed this at %(time)s: %(changes)s")
        % {
            "user": entry.user,
            "time": timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"),
            "changes": gettext("; ").join(
                f"{change.field} {change.old} → {change.new}" for change in entry.changes
            )
            or entry.action,
        }
        for entry in conflict.changes
    ]
    return " ".join(
        [
            gettext("Not saved: someone else changed this record after you opened it."),
            *lines,
            gettext("Check the values below and save again to apply yours."),
        ]
    )


def _apply(
    request: HttpRequest,
    project: Project,
    today,
    form,
    *,
    key: str,
    section: str,
    perform: Callable[[dict], object],
    saved: str,
) -> HttpResponse:
    """Validate, call the service, and answer: the re-rendered section (and, out of band,
    the header and history) for htmx; a redirect, or the form with its errors, otherwise."""
    status = 200
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except services.ConflictError as conflict:
            # Keep the user's input; the next save applies it over the current version.
            data = request.POST.copy()
            data[form.add_prefix("version")] = conflict.current.version
            form = type(form)(data, **_form_kwargs(form))
            form.is_valid()
            form.add_error(None, _conflict_message(conflict))
            status = 409
        except ValidationError as error:
            form.apply_model_errors(error)
            status = 422
        else:
            url = reverse("project_detail", args=[project.code]) + f"#{section}"
            if not request.htmx:
                messages.success(request, saved)
                return redirect(url)
            fresh = pages.project_for(request.user, project.code, as_of=today)
            context = pages.sections(request.user, fresh, as_of=today)
            context.update(section=section, saved=saved)
            return render(request, "projects/update_response.html", context)
    else:
        status = 422
    if request.htmx:
        context = pages.sections(request.user, project, as_of=today, bound={key: form})
        context.update(section=section, oob=False)
        return render(request, f"projects/project_sections.html#{section}", context, status=status)
    return render(
        request,
        "projects/update_form.html",
        {"project": project, "form": form, "action": request.path},
        status=status,
    )


def _form_kwargs(form) -> dict:
    kwargs = {"prefix": form.prefix}
    if hasattr(form, "year"):
        kwargs["year"] = form.year
        kwargs["month"] = form.month
    return kwargs


def _editable(request: HttpRequest, code: str):
    today = timezone.localdate()
    return today, pages.project_for(request.user, code, as_of=today, action=permissions.Action.EDIT)


@require_POST
def project_status_update(request: HttpRequest, code: str) -> HttpResponse:
    today, project = _editable(request, code)
    form = StatusForm(request.POST, prefix="status")
    return _apply(
        request,
        project,
        today,
        form,
        key="status",
        section="project-header",
        perform=lambda data: services.project_set_status(
            project=project,
            status=data["status"],
            by=request.user,
            expected_version=data["version"],
        ),
        saved=gettext("Status saved."),
    )


def _milestone(project: Project, pk: int) -> Milestone:
    return get_object_or_404(Milestone, project=project, pk=pk)


@require_POST
def milestone_dates_update(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    today, project = _editable(request, code)
    milestone = _milestone(project, pk)
    form = MilestoneDatesForm(request.POST, prefix=f"dates-{milestone.pk}")
    return _apply(
        request,
        project,
        today,
        form,
        key=f"dates-{milestone.pk}",
        section="milestones",
        perform=lambda data: services.milestone_update_dates(
            milestone=milestone,
            by=request.user,
            forecast_date=data["forecast_date"],
            actual_date=data["actual_date"],
            expected_version=data["version"],
        ),
        saved=gettext("Milestone “%(name)s” saved.") % {"name": milestone.name},
    )


@require_POST
def milestone_rebaseline(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    today, project = _editable(request, code)
    milestone = _milestone(project, pk)
    form = RebaselineForm(request.POST, prefix=f"rebaseline-{milestone.pk}")
    return _apply(
        request,
        project,
        today,
        form,
        key=f"rebaseline-{milestone.pk}",
        section="milestones",
        perform=lambda data: services.milestone_rebaseline(
            milestone=milestone,
            by=request.user,
            baseline_date=data["baseline_date"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        saved=gettext("Milestone “%(name)s” re-baselined.") % {"name": milestone.name},
    )


@require_POST
def monthly_investment_update(request: HttpRequest, code: str, month: int) -> HttpResponse:
    today, project = _editable(request, code)
    if not permissions.has_role(request.user, *permissions.FIGURE_ENTERERS):
        raise PermissionDenied(
            gettext(
                "Monthly figures come in through the monthly report: only zone officials "
                "enter them here."
            )
        )
    if not 1 <= month <= 12:
        raise Http404(gettext("No such month."))
    year = progress.entry_year(today)
    form = MonthlyInvestmentForm(request.POST, prefix=f"month-{month}", year=year, month=month)
    return _apply(
        request,
        project,
        today,
        form,
        key=f"month-{month}",
        section="investment",
        perform=lambda data: services.monthly_investment_set(
            project=project,
            year=year,
            month=month,
            completed_amount=data["completed_amount"],
            note=data["note"],
            by=request.user,
            expected_version=data["version"],
        ),
        saved=gettext("Investment for %(year)s-%(month)02d saved.")
        % {"year": year, "month": month},
    )


@require_POST
def progress_note_create(request: HttpRequest, code: str) -> HttpResponse:
    today, project = _editable(request, code)
    form = ProgressNoteForm(request.POST, prefix="note")
    return _apply(
        request,
        project,
        today,
        form,
        key="note",
        section="notes",
        perform=lambda data: services.progress_note_add(
            project=project, body=data["body"], by=request.user
        ),
        saved=gettext("Progress note added."),
    )
